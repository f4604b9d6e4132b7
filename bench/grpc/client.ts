/**
 * The gRPC peer client: one channel (one HTTP/2 connection), each unary call wrapped in a
 * Promise, and each server stream read with for-await, as an application using grpc-js would.
 */
import { credentials, type ClientReadableStream, type ServiceError } from "@grpc/grpc-js";
import { runClient } from "../client-main.js";
import { promiseDrivers, type BenchClient } from "../workloads.js";
import { loadBenchService, MAX_MESSAGE_BYTES, type AddReply, type Blob, type NumberMessage, type Value } from "./service.js";

type Unary = (request: object, callback: (error: ServiceError | null, reply: unknown) => void) => void;
type ServerStreaming = (request: object) => ClientReadableStream<unknown>;

/**
 * The stream's messages through `field`. Leaving the loop early cancels the call: ending a
 * grpc-js Readable alone does not tell the server to stop.
 */
function values<T>(call: ClientReadableStream<unknown>, field: (message: unknown) => T): AsyncIterable<T> {
  return {
    [Symbol.asyncIterator]() {
      const it = call[Symbol.asyncIterator]();
      return {
        next: () => it.next().then((r) => (r.done ? r : { value: field(r.value), done: false })),
        return: async () => {
          call.on("error", () => {}); // the CANCELLED status that cancel() raises
          call.cancel();
          await it.return?.();
          return { value: undefined, done: true };
        },
      };
    },
  };
}

function unary<Reply>(method: Unary, request: object): Promise<Reply> {
  return new Promise((resolve, reject) => {
    method(request, (error, reply) => (error ? reject(error) : resolve(reply as Reply)));
  });
}

async function open(port: number): Promise<BenchClient> {
  const Bench = loadBenchService();
  const client = new Bench(`127.0.0.1:${port}`, credentials.createInsecure(), {
    "grpc.max_receive_message_length": MAX_MESSAGE_BYTES,
    "grpc.max_send_message_length": MAX_MESSAGE_BYTES,
  });
  await new Promise<void>((resolve, reject) => client.waitForReady(Date.now() + 10_000, (error) => (error ? reject(error) : resolve())));
  const method = (name: string): Unary => (client[name] as Unary).bind(client);
  const add = method("Add");
  const echo = method("Echo");
  const get = method("Get");
  const inc = method("Inc");
  const count = (client.Count as ServerStreaming).bind(client);
  const chunks = (client.Chunks as ServerStreaming).bind(client);
  return {
    add: async (a, b) => (await unary<AddReply>(add, { a, b })).sum,
    echo: async (data) => (await unary<Blob>(echo, { data })).data,
    get: async (key) => (await unary<Value>(get, { key })).value,
    inc: async (key) => {
      await unary<object>(inc, { key });
    },
    stream: async (n, bytes) =>
      bytes > 0 ? values(chunks({ n, bytes }), (m) => (m as Blob).data) : values(count({ n }), (m) => (m as NumberMessage).value),
    close: async () => client.close(),
  };
}

runClient(async (port) => promiseDrivers(await open(port)));
