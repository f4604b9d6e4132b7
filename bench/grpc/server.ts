/**
 * The gRPC peer server: unary Add, Echo, Get and Inc over HTTP/2 without TLS.
 */
import { Server, ServerCredentials, type sendUnaryData, type ServerUnaryCall } from "@grpc/grpc-js";
import { announcePort, die, watchParent } from "../child.js";
import { loadBenchService, MAX_MESSAGE_BYTES, type AddReply, type AddRequest, type Blob, type Key, type Value } from "./service.js";

const counters = new Map<string, number>();

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
};

watchParent();
const server = new Server({ "grpc.max_receive_message_length": MAX_MESSAGE_BYTES, "grpc.max_send_message_length": MAX_MESSAGE_BYTES });
server.addService(loadBenchService().service, implementation);
server.bindAsync("127.0.0.1:0", ServerCredentials.createInsecure(), (error, port) => {
  if (error) die(error);
  announcePort(port);
});
