/**
 * farcall: expose plain functions, objects and class instances; call them from another
 * process or machine through a typed proxy. This file is the whole public API.
 */
/* Node's AsyncLocalStorage behind context(): a handler keeps its call across awaits. */
import "./runtime-node.js";

/** Serves an API object on one or more listen URLs. */
export { serve } from "./on-demand.js";
export type { Server } from "./serve.js";
export type { ServerStats } from "./core/server-stats.js";

/** Connects to a server and returns its typed remote. */
export { connect } from "./connect.js";

/** Serves an API on a MessagePort, a worker's parentPort or a Web Worker's self; connect(worker) calls it. */
export { servePort } from "./worker/port-dial.js";
/** Marks an ArrayBuffer, typed array, DataView or MessagePort to be moved, not copied, across a MessagePort or worker (the sender's is detached). */
export { transfer } from "./core/transfer.js";
export type { PortServer } from "./worker/port-dial.js";
export type { PortEndpoint } from "./worker/port-link.js";

/** Per-call options, notifications, introspection and closing, as free functions over a remote. */
export { withOptions, notify, listMethods, close, release } from "./core/remote.js";
export type { Remote, RemoteFunction, RemoteCallback, RemoteObject, Received, RegisteredTypes, CallOptions } from "./core/remote.js";

/** Passing by reference: ref() marks an object to travel as a remote object; streams are async iterables. */
export { ref } from "./core/ref.js";
export type { Ref, RemoteStream } from "./core/ref.js";

/**
 * Several calls as one unit (one JSON-RPC batch POST over HTTP): `batch` resolves to the
 * typed results in order and rejects with the first failure; `batchSettled` gives each
 * element's outcome, as Promise.allSettled does.
 */
export { batch, batchSettled } from "./core/batch.js";
export type { BatchResults, BatchOutcomes } from "./core/batch.js";

/** The current call, inside a handler. */
export { context } from "./core/context.js";
export type { CallContext, PeerInfo } from "./core/context.js";

/**
 * Interceptors (middleware): `serve(api, { use })` runs each incoming call through them over
 * every protocol and transport; `connect(url, { use })` each outgoing call.
 */
export type { Interceptor, ServerCall } from "./core/pipeline.js";
export type { ClientInterceptor, ClientCall } from "./core/client-interceptor.js";

/** The one error class and its codes. */
export { RpcError, JSON_RPC_CODES } from "./core/errors.js";
export type { ErrorCode } from "./core/errors.js";

/** Typed errors: isRpcError(e, remote.method, "CODE") narrows `data` to what the method declares. */
export { isRpcError } from "./core/error-contract.js";
export type { TypedRpcError, DeclaredError, ErrorDeclaration } from "./core/error-contract.js";

export type { MethodInfo, ErrorInfo } from "./core/dispatcher.js";

/** A description, parameter types and idempotence attached to a method, for introspection and retries. */
export { describeMethod } from "./core/method-doc.js";
export type { MethodDoc, ParamDoc } from "./core/method-doc.js";

/**
 * Shared objects, Python's SyncManager types: one instance served under a name (`{ jobs:
 * queue }`) or returned by a function (`get_queue: () => queue`) is the same object to
 * farcall/1 callers and to Python's manager clients (`m.get_queue().put(x)`), with Python's
 * semantics; a waiting get or acquire parks only its own call.
 */
export { SharedQueue } from "./pymanager/shared/queue.js";
export type { SharedQueueOptions } from "./pymanager/shared/queue.js";
export { SharedDict, SharedList, SharedNamespace, SharedValue } from "./pymanager/shared/containers.js";
export { SharedLock, SharedSemaphore, SharedEvent } from "./pymanager/shared/locks.js";
export type { SharedLockOptions, SharedSemaphoreOptions } from "./pymanager/shared/locks.js";
export type { BlockingOptions } from "./pymanager/shared/waiters.js";

/**
 * Python's types that JavaScript values cannot tell apart, kept as a mark on the natural
 * value (a tuple is an array marked "tuple"; frozenset, bytearray, date and datetime too), so
 * Python's manager clients get back what they stored.
 */
export { tuple, isTuple, pythonTypeOf } from "./pymanager/pickle/python-types.js";
export { PyComplex, PyDecimal, PyFraction, PyTime, PyUUID } from "./pymanager/shared/py-values.js";
export { PyObject, type PyObjectBuild } from "./pymanager/shared/py-object.js";
export type { PythonTypeMark } from "./pymanager/pickle/python-types.js";
export type { Logger, LogLimit } from "./core/logger.js";
/**
 * Wraps a logger so that `info` and `warn` write at most `lines` per `intervalMs` (20 per
 * 10 s by default) and then one line counting what was dropped; the default stderr logger is
 * wrapped so already.
 */
export { rateLimited } from "./core/logger.js";
export type { CallLog, CallLogEntry } from "./core/call-log.js";
export type {
  ServeOptions, ConnectOptions, ConnectionLimits, ServerTlsOptions, ClientTlsOptions,
  HttpHandlerOptions, BearerAuth, JsonRpcOverTcp, ListenEntry,
} from "./options.js";
/** Every default, for documentation and for code that wants to derive its own limits. */
export { SERVE_DEFAULTS, CONNECT_DEFAULTS, HTTP_DEFAULTS } from "./options.js";

/** JSON-RPC 2.0 and XML-RPC (Content-Type text/xml) over HTTP as a node:http handler (also Express/Connect middleware). */
export { httpHandler } from "./http-handlers.js";
export type { NodeHttpHandler } from "./http/node.js";

/** JSON-RPC 2.0 and XML-RPC (Content-Type text/xml) over HTTP as a Fetch-API handler (Hono, Bun, Deno, Workers). */
export { fetchHandler } from "./http-handlers.js";
export type { FetchHandler, FetchPeer } from "./http/fetch.js";
export type { OpenRpcInfo } from "./jsonrpc/openrpc.js";

/** farcall's WebSocket upgrades (farcall.v1 and jsonrpc-2.0) on an app's own node:http(s) server, such as Express's. */
export { attachWebSocket } from "./ws-attach.js";
export type { AttachWebSocketOptions, AttachedWebSocket } from "./ws-attach.js";

/**
 * Services on NATS (`nats://host:4222/service`): the `nats` option block of serve() and
 * connect(), and what every instance of a service says of itself in NATS's Services API.
 */
export { natsInstances } from "./on-demand.js";
export type { InstanceHealth } from "./nats/service-api.js";
export { NATS_DEFAULTS } from "./nats/options.js";
export type { NatsOptions, NatsTlsOptions } from "./nats/options.js";

/** Custom classes that cross the wire as themselves, rebuilt only where registered. */
export { registerType } from "./core/type-registry.js";
export type { TypeCodec } from "./core/type-registry.js";
