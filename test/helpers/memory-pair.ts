/**
 * Two Peers back to back with no socket between them: farcall/1 messages in MessagePack, as
 * a tcp:// session carries them after the handshake. Every frame either side sends is kept
 * (its exact bytes and a decoded view) so tests can assert what went over the wire, and is
 * delivered on a later turn of the event loop (setImmediate, in order), so a caller's code
 * runs on before the other side sees anything, as it would over a real connection.
 */
import { createMsgpackCodec } from "../../src/codecs/msgpack.js";
import type { CallLog } from "../../src/core/call-log.js";
import type { PeerInfo } from "../../src/core/context.js";
import { Dispatcher } from "../../src/core/dispatcher.js";
import { RpcError } from "../../src/core/errors.js";
import { silentLogger, type Logger } from "../../src/core/logger.js";
import { Peer, type FrameSink, type PeerLimits } from "../../src/core/peer.js";
import { CallPipeline, type Interceptor } from "../../src/core/pipeline.js";
import { makeRemote, type Remote } from "../../src/core/remote.js";
import { createFarcallProtocol } from "../../src/core/farcall-protocol.js";

/** One frame as it went over the wire. */
export interface RecordedFrame {
  /** The exact bytes the sender handed to its transport (a copy: later sends cannot change it). */
  readonly bytes: Uint8Array;
  /**
   * The frame decoded as plain MessagePack, for assertions: `[type, ...fields]`. Undefined
   * when it cannot be decoded outside its session (a frame carrying a reference).
   */
  readonly message: unknown[] | undefined;
}

/** Frames sent by one side, in order, with a way to wait for the next one that matches. */
export class FrameLog {
  readonly all: RecordedFrame[] = [];
  private waiters: { match: (m: unknown[]) => boolean; resolve: (f: RecordedFrame) => void }[] = [];

  /** The decoded messages, in order. */
  get messages(): (unknown[] | undefined)[] {
    return this.all.map((f) => f.message);
  }

  /** The decoded messages whose type (first element) is `type`. */
  ofType(type: number): unknown[][] {
    return this.all.flatMap((f) => (f.message && f.message[0] === type ? [f.message] : []));
  }

  /**
   * The first frame, already sent or still to come, whose message satisfies `match`; rejects
   * after `ms` naming `what`.
   */
  waitFor(match: (message: unknown[]) => boolean, ms: number, what: string): Promise<RecordedFrame> {
    const seen = this.all.find((f) => f.message !== undefined && match(f.message));
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const waiter = { match, resolve: (f: RecordedFrame) => (clearTimeout(timer), resolve(f)) };
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        reject(new Error(`${what}: no such frame within ${ms} ms; frames so far: ${JSON.stringify(this.messages, jsonSafe)}`));
      }, ms);
      this.waiters.push(waiter);
    });
  }

  /** @internal */
  record(frame: RecordedFrame): void {
    this.all.push(frame);
    const message = frame.message;
    if (message === undefined || this.waiters.length === 0) return;
    const woken = this.waiters.filter((w) => w.match(message));
    if (woken.length === 0) return;
    this.waiters = this.waiters.filter((w) => !woken.includes(w));
    for (const w of woken) w.resolve(frame);
  }
}

/** BigInts and bytes in failure messages. */
function jsonSafe(_key: string, value: unknown): unknown {
  return typeof value === "bigint" ? `${value}n` : value instanceof Uint8Array ? `<${value.length} bytes>` : value;
}

export interface MemoryPairOptions {
  /** What the server side exposes. @default nothing: every call is METHOD_NOT_FOUND */
  serverApi?: object;
  /** What the client side exposes, for the server's context().remote(). @default nothing */
  clientApi?: object;
  /** The server side's limits, over {@link PAIR_LIMITS}. */
  limits?: Partial<PeerLimits>;
  /** The client side's limits, over {@link PAIR_LIMITS}. */
  clientLimits?: Partial<PeerLimits>;
  /** The server side's call log. @default none */
  callLog?: CallLog;
  /** Interceptors the server side runs every call through. */
  use?: Interceptor[];
  /** The server side sends handler stacks. @default false */
  exposeErrorStacks?: boolean;
  /** @default silent */
  logger?: Logger;
  /** Who the server sees calling. @default {@link MEMORY_CLIENT_INFO} */
  clientInfo?: PeerInfo;
}

/** Who each side sees on the other end. */
export const MEMORY_CLIENT_INFO: PeerInfo = Object.freeze({ transport: "memory", address: "client", authenticated: false });
export const MEMORY_SERVER_INFO: PeerInfo = Object.freeze({ transport: "memory", address: "server", authenticated: false });

/**
 * Limits of both sides unless overridden: no keepalive and no idle timeout, so a pair owns
 * no timer and a test that forgets to close it still lets the process exit.
 */
export const PAIR_LIMITS: Readonly<PeerLimits> = Object.freeze({
  maxCallsInFlight: 10_000,
  keepaliveIntervalMs: 0,
  keepaliveTimeoutMs: 10_000,
  idleTimeoutMs: 0,
});

export interface MemoryPair<T> {
  /** The dialling side: it calls `serverApi`. */
  readonly client: Peer;
  /** The listening side: it serves `serverApi`. */
  readonly server: Peer;
  /** A typed remote over the client side. */
  readonly clientRemote: Remote<T>;
  readonly frames: { readonly fromClient: FrameLog; readonly fromServer: FrameLog };
  /** Settle with the reason each side's session ended. */
  readonly closed: { readonly client: Promise<RpcError>; readonly server: Promise<RpcError> };
  /** Ends both sessions (UNAVAILABLE). */
  close(): void;
}

/** One direction of the pair: frames from one Peer, delivered to the other. */
class MemoryLink implements FrameSink {
  /** The receiving side, set once both Peers exist. */
  to: Peer | undefined;
  private ended = false;

  constructor(
    private readonly log: FrameLog,
    private readonly view: (bytes: Uint8Array) => unknown[] | undefined,
  ) {}

  send(frame: Uint8Array): void {
    if (this.ended) return;
    const bytes = new Uint8Array(frame);
    this.log.record({ bytes, message: this.view(bytes) });
    setImmediate(deliver, this, bytes);
  }

  /** Frames already sent still arrive, then the other side sees the connection close. */
  close(): void {
    if (this.ended) return;
    this.ended = true;
    setImmediate(hangUp, this);
  }

  /** @internal */
  arrive(bytes: Uint8Array): void {
    this.to?.receive(bytes);
  }

  /** @internal */
  closeOther(): void {
    this.to?.close(new RpcError("UNAVAILABLE", "the other side closed the connection"));
  }
}

function deliver(link: MemoryLink, bytes: Uint8Array): void {
  link.arrive(bytes);
}

function hangUp(link: MemoryLink): void {
  link.closeOther();
}

/**
 * Connects a client Peer to a server Peer serving `options.serverApi`.
 * @example const pair = memoryPair<typeof api>({ serverApi: api }); await pair.clientRemote.add(1, 2); pair.close();
 */
export function memoryPair<T = Record<string, unknown>>(options: MemoryPairOptions = {}): MemoryPair<T> {
  const codec = createMsgpackCodec();
  const protocol = createFarcallProtocol(codec);
  // A codec of its own for the decoded view, so recording never touches the sessions' state.
  const viewCodec = createMsgpackCodec();
  const view = (bytes: Uint8Array): unknown[] | undefined => {
    try {
      const doc = viewCodec.decode(bytes);
      return Array.isArray(doc) ? doc : undefined;
    } catch {
      return undefined; // a reference cannot be decoded outside its session: bytes only
    }
  };
  const fromClient = new FrameLog();
  const fromServer = new FrameLog();
  const clientToServer = new MemoryLink(fromClient, view);
  const serverToClient = new MemoryLink(fromServer, view);
  const logger = options.logger ?? silentLogger;
  let clientClosed!: (reason: RpcError) => void;
  let serverClosed!: (reason: RpcError) => void;
  const closed = {
    client: new Promise<RpcError>((resolve) => (clientClosed = resolve)),
    server: new Promise<RpcError>((resolve) => (serverClosed = resolve)),
  };
  const server = new Peer(serverToClient, {
    protocol,
    pipeline: new CallPipeline({ dispatcher: options.serverApi ? new Dispatcher(options.serverApi) : undefined, use: options.use, callLog: options.callLog, logger }),
    info: options.clientInfo ?? MEMORY_CLIENT_INFO,
    limits: { ...PAIR_LIMITS, ...options.limits },
    exposeErrorStacks: options.exposeErrorStacks ?? false,
    logger,
    onClose: (_peer, reason) => serverClosed(reason),
  });
  const client = new Peer(clientToServer, {
    protocol,
    pipeline: new CallPipeline({ dispatcher: options.clientApi ? new Dispatcher(options.clientApi) : undefined, logger }),
    info: MEMORY_SERVER_INFO,
    limits: { ...PAIR_LIMITS, ...options.clientLimits },
    exposeErrorStacks: false,
    logger,
    onClose: (_peer, reason) => clientClosed(reason),
  });
  clientToServer.to = server;
  serverToClient.to = client;
  return {
    client,
    server,
    clientRemote: makeRemote<T>(client.caller),
    frames: { fromClient, fromServer },
    closed,
    close() {
      client.close();
      server.close();
    },
  };
}
