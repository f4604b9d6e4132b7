/**
 * farcall in a browser (the package's "browser" export condition): the same connect(),
 * Remote<T>, callbacks, references, streams, batches, cancellation and reconnection as on
 * Node, over the page's WebSocket. It drops what needs Node (serve(), the HTTP handlers,
 * NATS, stream sockets), not API: nothing in its import graph comes from `node:` (a test
 * bundles it to keep it so). context() works in handlers a page exposes to the server, up
 * to their first await (core/runtime.ts, SyncContextStore).
 */

/** Connects to a server over ws:// or wss:// and returns its typed remote. */
export { connect } from "./connect-browser.js";

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

/** Several calls as one unit: typed results in order, or each element's outcome. */
export { batch, batchSettled } from "./core/batch.js";
export type { BatchResults, BatchOutcomes } from "./core/batch.js";

/** The current call, inside a handler the page exposes (synchronous part only, see above). */
export { context } from "./core/context.js";
export type { CallContext, PeerInfo } from "./core/context.js";

/** Interceptors of outgoing calls: `connect(url, { use })`. */
export type { ClientInterceptor, ClientCall } from "./core/client-interceptor.js";

/** The one error class and its codes. */
export { RpcError, JSON_RPC_CODES } from "./core/errors.js";
export type { ErrorCode } from "./core/errors.js";

/** Typed errors: isRpcError(e, remote.method, "CODE") narrows `data` to what the method declares. */
export { isRpcError } from "./core/error-contract.js";
export type { TypedRpcError, DeclaredError, ErrorDeclaration } from "./core/error-contract.js";

export type { Logger } from "./core/logger.js";
export type { ConnectOptions, ConnectionLimits } from "./options.js";
export { CONNECT_DEFAULTS } from "./options.js";

/** Custom classes that cross the wire as themselves, rebuilt only where registered. */
export { registerType } from "./core/type-registry.js";
export type { TypeCodec } from "./core/type-registry.js";
