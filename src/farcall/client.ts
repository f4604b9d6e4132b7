/**
 * The farcall/1 client behind connect(): it keeps one session to a server and survives its
 * restarts, over whatever transport its SessionDialer opens (stream-dial.ts: tcp, tls, unix;
 * ws-dial.ts and browser-dial.ts: WebSocket). It imports no Node module. Calls in flight when the link drops reject with UNAVAILABLE; calls made while
 * it is down wait for the reconnection within their deadline (or connectTimeoutMs).
 */
import { createMsgpackCodec } from "../codecs/msgpack.js";
import { exposedPipeline } from "../core/pipeline.js";
import { RpcError } from "../core/errors.js";
import type { Logger } from "../core/logger.js";
import type { Peer } from "../core/peer.js";
import type { Caller, CallOptions } from "../core/remote.js";
import { CONNECT_DEFAULTS } from "../options.js";
import { unrefTimer } from "../core/runtime.js";
import type { ResolvedConnect } from "../connect-options.js";
import type { StreamSessionConfig } from "./stream-session.js";
import type { SessionHooks } from "./message-session.js";
import { isResumeRefusal } from "./resume-handshake.js";
import type { ResumableLink } from "./resume-link.js";

/**
 * The transport seam of the reconnecting client: opens one connection, runs the handshake
 * with `cfg` and `hooks`, and resolves with its Peer within `timeoutMs` (or rejects with
 * UNAUTHENTICATED or UNAVAILABLE). The client calls it for the first session and each
 * reconnection, and with `resuming` to resume that session (resolving with its Peer).
 */
export type SessionDialer = (cfg: StreamSessionConfig, hooks: SessionHooks, timeoutMs: number, resuming?: ResumableLink) => Promise<Peer>;

/** A reconnecting farcall/1 client over `dialer`, once its first session is up. */
export async function startClient(url: string, options: ResolvedConnect, dialer: SessionDialer): Promise<Caller> {
  const client = new Client(url, dialer, options);
  await client.start();
  return client;
}

/** `promise`, or the error `onTimeout` makes (after giving up on what it waited for) past `ms`. */
export async function withTimeout<T>(promise: Promise<T>, ms: number, onTimeout: () => RpcError): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(onTimeout()), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** A call waiting for a connection. */
interface Waiter {
  target: string;
  args: unknown[];
  options: CallOptions;
  deadline: number | undefined;
  resolve(value: unknown): void;
  reject(error: RpcError): void;
  timer: ReturnType<typeof setTimeout>;
  /** Set for notifications, which have no answer to wait for. */
  notifyDone?: ((error?: RpcError) => void) | undefined;
}

/** One reconnecting farcall/1 client. */
class Client implements Caller {
  private peer: Peer | undefined;
  private connecting = false;
  private retryTimer: ReturnType<typeof setTimeout> | undefined;
  private failures = 0;
  private lastError: RpcError | undefined;
  private waiters: Waiter[] = [];
  private closed = false;
  private readonly others = new Set<Peer>();
  /** The session whose connection dropped and that waits for its resumption, if any. */
  private detached: ResumableLink | undefined;
  private readonly defaultTimeout: number;
  private readonly connectTimeoutMs: number;
  private readonly reconnect: { initialDelayMs: number; maxDelayMs: number } | undefined;
  private readonly waitForReady: boolean;
  private readonly cfg: StreamSessionConfig;
  private readonly logger: Logger;

  constructor(
    private readonly url: string,
    private readonly dialer: SessionDialer,
    options: ResolvedConnect,
  ) {
    const { limits } = options;
    this.logger = options.logger;
    this.defaultTimeout = options.timeout;
    this.connectTimeoutMs = options.connectTimeoutMs;
    this.reconnect = options.reconnect;
    this.waitForReady = options.waitForReady;
    this.cfg = {
      codec: createMsgpackCodec({ maxDepth: limits.maxDepth }),
      key: options.key,
      maxFrameBytes: limits.maxFrameBytes,
      maxWriteBufferBytes: limits.maxWriteBufferBytes,
      limits: {
        maxCallsInFlight: CONNECT_DEFAULTS.maxCallsInFlight,
        keepaliveIntervalMs: limits.keepaliveIntervalMs,
        keepaliveTimeoutMs: limits.keepaliveTimeoutMs,
        idleTimeoutMs: 0,
        maxReferences: limits.maxReferences,
      },
      exposeErrorStacks: false,
      logger: this.logger,
      pipeline: exposedPipeline(options.expose, this.logger),
      clientResume: options.resume && {
        limits: options.resume,
        hooks: {
          detached: (link) => {
            this.detached = link;
            this.resume(link, 0);
          },
        },
      },
    };
  }

  /** The first connection: its failure is connect()'s failure. */
  async start(): Promise<void> {
    this.peer = await this.dial();
  }

  call(target: string, args: unknown[], options: CallOptions): Promise<unknown> {
    const timeout = options.timeout ?? this.defaultTimeout;
    const deadline = timeout > 0 ? Date.now() + timeout : undefined;
    const peer = this.usablePeer();
    if (peer) {
      const notReady = this.waitForReady ? undefined : this.resuming(target);
      if (notReady) return Promise.reject(notReady);
      return peer.call(target, args, deadline, options.signal, options.meta);
    }
    if (this.closed) return Promise.reject(new RpcError("UNAVAILABLE", `${target}: the client is closed`));
    const notReady = this.notReady(target);
    if (notReady) return Promise.reject(notReady);
    return new Promise((resolve, reject) => this.wait({ target, args, options, deadline, resolve, reject }));
  }

  notify(target: string, args: unknown[], options: CallOptions, done?: (error?: RpcError) => void): void {
    const peer = this.usablePeer();
    const resuming = peer && !this.waitForReady ? this.resuming(target) : undefined;
    if (resuming) {
      if (done) queueMicrotask(() => done(resuming));
      return;
    }
    if (peer) return peer.notify(target, args, options.meta, done);
    const refused = this.closed ? new RpcError("UNAVAILABLE", `${target}: the client is closed`) : this.notReady(target);
    if (refused) {
      if (done) queueMicrotask(() => done(refused));
      return;
    }
    const timeout = options.timeout ?? this.defaultTimeout;
    this.wait({
      target,
      args,
      options,
      deadline: timeout > 0 ? Date.now() + timeout : undefined,
      resolve: () => {},
      reject: (error) => done?.(error),
      notifyDone: done ?? (() => {}),
    });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    const reason = new RpcError("UNAVAILABLE", "the client was closed");
    this.failWaiters(reason);
    this.peer?.close(reason);
    for (const peer of this.others) peer.close(reason);
  }

  /**
   * With waitForReady false, the error a call gets at once while the last connection attempt
   * failed (the next attempt starts in the background, after its backoff); else undefined.
   */
  private notReady(target: string): RpcError | undefined {
    if (this.waitForReady || this.failures === 0) return undefined;
    this.ensureConnecting();
    return new RpcError("UNAVAILABLE", `${target}: not connected to ${this.url} (waitForReady: false): ${this.lastError?.message ?? "no connection"}`);
  }

  /**
   * With waitForReady false, the error a call gets at once while the session waits for its
   * resumption (it would otherwise wait in the session's buffer); else undefined.
   */
  private resuming(target: string): RpcError | undefined {
    const link = this.detached;
    if (link === undefined || !link.isDetached || link.peer !== this.peer) return undefined;
    return new RpcError("UNAVAILABLE", `${target}: the connection to ${this.url} dropped and the session waits for its resumption (waitForReady: false)`);
  }

  private usablePeer(): Peer | undefined {
    const peer = this.peer;
    return peer && peer.open && !peer.goawayReceived ? peer : undefined;
  }

  private wait(w: Omit<Waiter, "timer">): void {
    const waitMs = w.deadline !== undefined ? Math.max(0, w.deadline - Date.now()) : this.connectTimeoutMs;
    const waiter = w as Waiter;
    waiter.timer = setTimeout(() => {
      const i = this.waiters.indexOf(waiter);
      if (i >= 0) this.waiters.splice(i, 1);
      const why = this.lastError ? `: ${this.lastError.message}` : "";
      waiter.reject(
        w.deadline !== undefined
          ? new RpcError("DEADLINE_EXCEEDED", `${w.target}: no connection to ${this.url} before the deadline${why}`)
          : new RpcError("UNAVAILABLE", `${w.target}: no connection to ${this.url} within ${waitMs} ms${why}`),
      );
    }, waitMs);
    this.waiters.push(waiter);
    this.ensureConnecting();
  }

  private failWaiters(error: RpcError): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) {
      clearTimeout(w.timer);
      w.reject(error);
    }
  }

  private ensureConnecting(): void {
    if (this.connecting || this.retryTimer || this.closed || this.usablePeer()) return;
    if (!this.reconnect && this.failures > 0) {
      this.failWaiters(this.lastError ?? new RpcError("UNAVAILABLE", `not connected to ${this.url}`));
      return;
    }
    this.connecting = true;
    this.dial().then(
      (peer) => {
        this.connecting = false;
        if (this.closed) {
          peer.close();
          return;
        }
        this.failures = 0;
        this.lastError = undefined;
        this.peer = peer;
        // Routine, and the caller's own stderr is not ours to write on: debug, off by default.
        this.logger.debug?.(`reconnected to ${this.url}`);
        const waiters = this.waiters;
        this.waiters = [];
        for (const w of waiters) {
          clearTimeout(w.timer);
          if (w.notifyDone) {
            peer.notify(w.target, w.args, w.options.meta, w.notifyDone);
          } else {
            peer.call(w.target, w.args, w.deadline, w.options.signal, w.options.meta).then(w.resolve, w.reject);
          }
        }
      },
      (error: RpcError) => {
        this.connecting = false;
        this.failures++;
        this.lastError = error;
        if (error.code === "UNAUTHENTICATED" || !this.reconnect) {
          this.failWaiters(error); // a wrong key does not get better by retrying
          return;
        }
        // Without waitForReady the calls that waited for this attempt fail with it; the
        // backoff still runs, so calls failing fast do not dial in a loop.
        if (!this.waitForReady) this.failWaiters(error);
        else if (this.waiters.length === 0) return;
        if (this.closed) return;
        const { initialDelayMs, maxDelayMs } = this.reconnect;
        const delay = Math.min(maxDelayMs, initialDelayMs * 2 ** Math.min(this.failures - 1, 30));
        this.retryTimer = setTimeout(() => {
          this.retryTimer = undefined;
          if (this.waiters.length > 0 || !this.waitForReady) this.ensureConnecting();
        }, delay);
        unrefTimer(this.retryTimer);
      },
    );
  }

  /**
   * Resumes `link`'s session after its connection dropped: attempts with the reconnection
   * backoff until one succeeds, the server refuses, or the window passes (the link then ends
   * the session). Meanwhile the session stays this client's: calls made now wait in its buffer.
   */
  private resume(link: ResumableLink, attempt: number): void {
    if (this.closed || !link.isDetached) return;
    this.dialer(this.cfg, this.hooks(), this.connectTimeoutMs, link).then(
      () => this.logger.info(`resumed the session with ${this.url}`),
      (error: RpcError) => {
        if (!link.isDetached) return;
        if (isResumeRefusal(error) || error.code === "UNAUTHENTICATED") {
          link.peer.close(new RpcError("UNAVAILABLE", `the session with ${this.url} could not be resumed: ${error.message}`));
          return;
        }
        const { initialDelayMs, maxDelayMs } = this.reconnect ?? { initialDelayMs: CONNECT_DEFAULTS.reconnectInitialDelayMs, maxDelayMs: CONNECT_DEFAULTS.reconnectMaxDelayMs };
        const timer = setTimeout(() => this.resume(link, attempt + 1), Math.min(maxDelayMs, initialDelayMs * 2 ** Math.min(attempt, 30)));
        unrefTimer(timer);
      },
    );
  }

  private dial(): Promise<Peer> {
    return this.dialer(this.cfg, this.hooks(), this.connectTimeoutMs);
  }

  private hooks(): SessionHooks {
    return {
      onClose: (peer) => {
        this.others.delete(peer);
        if (this.peer === peer) this.peer = undefined;
      },
      onGoaway: (peer) => {
        // New calls go to a fresh connection; this one finishes what it has, then closes.
        if (this.peer === peer) this.peer = undefined;
        this.others.add(peer);
        void peer.whenIdle().then(() => peer.close(new RpcError("UNAVAILABLE", "the server went away")));
        if (this.waiters.length > 0) this.ensureConnecting();
      },
    };
  }
}
