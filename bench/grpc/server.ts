/**
 * The gRPC peer server: unary Add, Echo, Get and Inc, and the server-streaming Count and
 * Chunks, over HTTP/2 without TLS.
 */
import { Server, ServerCredentials, type sendUnaryData, type ServerUnaryCall, type ServerWritableStream } from "@grpc/grpc-js";
import { announcePort, die, watchParent } from "../child.js";
import { makePayload } from "../drivers.js";
import { loadBenchService, MAX_MESSAGE_BYTES, type AddReply, type AddRequest, type Blob, type ChunksRequest, type CountRequest, type Key, type NumberMessage, type Value } from "./service.js";

const counters = new Map<string, number>();

/**
 * Writes `n` messages, waiting for "drain" whenever write() asks to, as a grpc-js service
 * streaming a large result should; stops when the client cancels.
 */
async function writeAll<Req, Reply>(call: ServerWritableStream<Req, Reply>, n: number, message: (i: number) => Reply): Promise<void> {
  let cancelled = call.cancelled;
  let wake: (() => void) | undefined;
  const resume = (): void => {
    wake?.();
    wake = undefined;
  };
  const stop = (): void => {
    cancelled = true;
    resume();
  };
  call.on("cancelled", stop);
  call.on("error", stop);
  call.on("drain", resume);
  for (let i = 0; i < n && !cancelled; i++) {
    if (!call.write(message(i))) await new Promise<void>((resolve) => (wake = resolve));
  }
  if (!cancelled) call.end();
}

const implementation = {
  Add(call: ServerUnaryCall<AddRequest, AddReply>, callback: sendUnaryData<AddReply>): void {
    callback(null, { sum: call.request.a + call.request.b });
  },
  Echo(call: ServerUnaryCall<Blob, Blob>, callback: sendUnaryData<Blob>): void {
    callback(null, { data: call.request.data });
  },
  Get(call: ServerUnaryCall<Key, Value>, callback: sendUnaryData<Value>): void {
    callback(null, { value: counters.get(call.request.key) ?? 0 });
  },
  Inc(call: ServerUnaryCall<Key, Record<string, never>>, callback: sendUnaryData<Record<string, never>>): void {
    counters.set(call.request.key, (counters.get(call.request.key) ?? 0) + 1);
    callback(null, {});
  },
  Count(call: ServerWritableStream<CountRequest, NumberMessage>): void {
    void writeAll(call, call.request.n, (i) => ({ value: i }));
  },
  Chunks(call: ServerWritableStream<ChunksRequest, Blob>): void {
    const data = makePayload(call.request.bytes);
    void writeAll(call, call.request.n, () => ({ data }));
  },
};

watchParent();
const server = new Server({ "grpc.max_receive_message_length": MAX_MESSAGE_BYTES, "grpc.max_send_message_length": MAX_MESSAGE_BYTES });
server.addService(loadBenchService().service, implementation);
server.bindAsync("127.0.0.1:0", ServerCredentials.createInsecure(), (error, port) => {
  if (error) die(error);
  announcePort(port);
});
