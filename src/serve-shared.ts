/**
 * What the listeners of one server share, before any of them listens (the method table, one
 * call pipeline, the connections, the write and read budgets), and the settings each family's sessions
 * take from it. serve() builds its listeners on it; attachWebSocket() takes WebSocket
 * upgrades on an app's server with it, without loading serve()'s other listeners.
 */
import { createMsgpackCodec } from "./codecs/msgpack.js";
import type { Codec } from "./core/codec.js";
import { Dispatcher } from "./core/dispatcher.js";
import { CallLimit, CallPipeline } from "./core/pipeline.js";
import { ServerConnections } from "./net/connections.js";
import { WriteBudget } from "./net/framing.js";
import { ReadBudget } from "./net/read-budget.js";
import { HttpDrain } from "./http/drain.js";
import { rebindingGuard, type HostCheck } from "./http/host-check.js";
import { FarcallSessions } from "./farcall/listen.js";
import { ResumeRegistry } from "./farcall/resume-registry.js";
import type { StreamSessionConfig } from "./farcall/stream-session.js";
import { farcallWsHandler, FARCALL_WS_PROTOCOL } from "./farcall/ws-listen.js";
import { MAX_HANDSHAKE_MESSAGE } from "./farcall/message-session.js";
import { WsUpgrades } from "./ws/upgrade.js";
import { BusyRefusals } from "./ws/busy.js";
import { JsonRpcSessions, type JsonRpcAccess, type JsonRpcListenSettings } from "./jsonrpc/listen.js";
import { jsonRpcWsHandler, JSONRPC_WS_PROTOCOL } from "./jsonrpc/ws-session.js";
import type { ListenerPolicy, ResolvedServe } from "./serve-options.js";

/** Default time close() lets calls in flight finish. */
export const DEFAULT_DRAIN_MS = 5000;

/** What every listener of one server shares. */
export interface Shared {
  readonly options: ResolvedServe;
  readonly connections: ServerConnections;
  readonly farcall: FarcallSessions;
  readonly json: JsonRpcSessions;
  readonly http: HttpDrain;
  /** Answer bytes queued over all connections (maxServerWriteBufferBytes). */
  readonly writeBudget: WriteBudget;
  /** Bytes held for large frames still arriving over all connections (maxServerReadBufferBytes). */
  readonly readBudget: ReadBudget;
  /** farcall/1's codec, with the server's decode limits. */
  readonly msgpack: Codec;
  /** Tells WebSocket and HTTP clients past maxConnections to come back later. */
  readonly busy: BusyRefusals;
  /** The pipeline of a listener: the server's, inside which its own interceptors run. */
  pipelineFor(policy: ListenerPolicy): CallPipeline;
}

/** What the listeners of one server share, before any of them listens. */
export function serverShared(api: object, resolved: ResolvedServe): Shared {
  const dispatcher = new Dispatcher(api);
  const limit = new CallLimit(resolved.maxServerCallsInFlight, "this server");
  const pipeline = new CallPipeline({ dispatcher, use: resolved.use, callLog: resolved.callLog, logger: resolved.logger, limit });
  const connections = new ServerConnections(resolved.maxConnections, resolved.logger);
  const writeBudget = new WriteBudget(resolved.maxServerWriteBufferBytes);
  const shared: Shared = {
    options: resolved,
    connections,
    farcall: new FarcallSessions(resolved.resume && new ResumeRegistry(resolved.resume, resolved.logger, writeBudget)),
    json: new JsonRpcSessions(),
    writeBudget,
    readBudget: new ReadBudget(resolved.maxServerReadBufferBytes),
    http: new HttpDrain(writeBudget),
    msgpack: createMsgpackCodec({ maxDepth: resolved.limits.maxDepth }),
    busy: new BusyRefusals(() => `${connections.count} connections reach maxConnections ${resolved.maxConnections}`),
    pipelineFor: (policy) => (policy.use ? pipeline.derive({ use: policy.use }) : pipeline),
  };
  connections.addGroup(shared.farcall);
  connections.addGroup(shared.http);
  connections.addGroup(shared.json);
  return shared;
}

/** The DNS-rebinding guard of a keyless listener bound to loopback (see http/host-check.ts). */
export function hostCheckOf(policy: ListenerPolicy, o: ResolvedServe): HostCheck | undefined {
  let bound: string;
  try {
    bound = new URL(policy.url).hostname;
  } catch {
    return undefined;
  }
  // unix:// has no host: a browser cannot reach a socket file.
  return bound === "" ? undefined : rebindingGuard(bound, policy.key !== undefined || policy.auth !== undefined, o.allowHosts);
}

/** farcall/1's session settings on one listener. */
export function farcallConfig(policy: ListenerPolicy, pipeline: CallPipeline, shared: Shared): StreamSessionConfig {
  const o = shared.options;
  return {
    codec: shared.msgpack,
    key: policy.key,
    maxFrameBytes: o.limits.maxFrameBytes,
    maxWriteBufferBytes: o.limits.maxWriteBufferBytes,
    writeBudget: shared.writeBudget,
    readBudget: shared.readBudget,
    resume: shared.farcall.resume,
    limits: o.peerLimits,
    exposeErrorStacks: o.exposeErrorStacks,
    logger: o.logger,
    pipeline,
  };
}

/** Raw JSON-RPC's settings on one listener (TCP and WebSocket). */
export function jsonSettings(pipeline: CallPipeline, shared: Shared): JsonRpcListenSettings {
  const o = shared.options;
  return {
    pipeline,
    maxBodyBytes: o.maxBodyBytes,
    maxDepth: o.limits.maxDepth,
    maxBatch: o.maxBatch,
    maxInFlight: o.peerLimits.maxCallsInFlight,
    maxWriteBufferBytes: o.limits.maxWriteBufferBytes,
    writeBudget: shared.writeBudget,
    requestTimeoutMs: o.requestTimeoutMs,
    logger: o.logger,
  };
}

export function jsonAccess(policy: ListenerPolicy): JsonRpcAccess {
  return { mode: policy.jsonRpcOverTcp, keyed: policy.key !== undefined };
}

/**
 * The WebSocket upgrades of one listener, stopped with the server: subprotocol farcall.v1
 * (farcall/1) and jsonrpc-2.0 (JSON-RPC, under the listener's jsonRpcOverTcp policy).
 */
export function wsUpgrades(policy: ListenerPolicy, pipeline: CallPipeline, shared: Shared, transport: "ws" | "wss"): WsUpgrades {
  const o = shared.options;
  const upgrades = new WsUpgrades({
    protocols: new Map([
      [FARCALL_WS_PROTOCOL, farcallWsHandler(farcallConfig(policy, pipeline, shared), shared.farcall, transport)],
      [JSONRPC_WS_PROTOCOL, jsonRpcWsHandler(jsonSettings(pipeline, shared), jsonAccess(policy), shared.json, transport)],
    ]),
    maxFrameBytes: o.limits.maxFrameBytes,
    maxHandshakeBytes: MAX_HANDSHAKE_MESSAGE,
    handshakeTimeoutMs: o.handshakeTimeoutMs,
    logger: o.logger,
    origins: { allowOrigins: o.allowOrigins, authenticated: new Set(policy.key ? [FARCALL_WS_PROTOCOL] : []), host: hostCheckOf(policy, o) },
  });
  shared.connections.addStoppable(upgrades);
  return upgrades;
}

