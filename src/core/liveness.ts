/**
 * Keepalive and idle detection for one session, on one coarse ticker per connection: the
 * hot path only bumps two counters (no clock read per message); the ticker compares them
 * with what it saw last time.
 */
import { RpcError } from "./errors.js";
import type { PeerLimits } from "./peer.js";
import { unrefTimer } from "./runtime.js";

/** What the liveness checks need from their session. */
export interface LivenessHost {
  /** True when no call is in flight in either direction. */
  readonly quiet: boolean;
  sendPing(nonce: number): void;
  /** No call for idleTimeoutMs: close politely. */
  onIdle(idleTimeoutMs: number): void;
  /** A ping went unanswered (nothing at all arrived) for keepaliveTimeoutMs. */
  onUnresponsive(keepaliveTimeoutMs: number): void;
  /** This process stood still past the keepalive bound (see {@link Liveness.stalled}): end the session, unread input dropped. */
  onStalled(error: RpcError): void;
}

const MAX_NONCE = 0x7fffffff;
/**
 * Ticks per keepalive interval. A ping goes out after this many ticks in a row without a
 * frame, so at most one interval after the last frame (the tick that saw it may come a whole
 * tick later): a stopped peer is noticed within interval + timeout, not 2 x interval + timeout
 * as with one tick per interval.
 */
const TICKS_PER_INTERVAL = 4;

export class Liveness {
  /** Frames received so far; a ping counts as answered when this moves. */
  private frames = 0;
  private receivedSinceTick = true;
  /** Ticks in a row that saw no frame. */
  private silentTicks = 0;
  /** Calls sent, received or answered. */
  private calls = 0;
  private callsSeen = 0;
  private lastActiveAt = Date.now();
  private ticker: ReturnType<typeof setInterval> | undefined;
  private pingTimer: ReturnType<typeof setTimeout> | undefined;
  /** Time between ticks (ms). */
  private readonly period: number;
  /** When the ticker last ran: a clock read per tick, not per message. */
  private lastTickAt = Date.now();

  constructor(
    private readonly host: LivenessHost,
    private readonly limits: PeerLimits,
  ) {
    const { keepaliveIntervalMs, idleTimeoutMs } = limits;
    const period = Math.min(keepaliveIntervalMs ? keepaliveIntervalMs / TICKS_PER_INTERVAL : Infinity, idleTimeoutMs ? idleTimeoutMs / 2 : Infinity);
    this.period = Math.max(10, period);
    this.ticking = Number.isFinite(period);
    this.start();
  }

  /** Whether this session's settings need a ticker at all. */
  private readonly ticking: boolean;

  /** Starts (or, after {@link stop}, restarts) the checks as if a frame and a call had just arrived. */
  start(): void {
    if (!this.ticking || this.ticker !== undefined) return;
    this.lastTickAt = this.lastActiveAt = Date.now();
    this.receivedSinceTick = true;
    this.silentTicks = 0;
    this.ticker = setInterval(tick, this.period, this);
    unrefTimer(this.ticker);
  }

  /** Any frame arrived. */
  frameReceived(): void {
    this.receivedSinceTick = true;
    this.frames++;
  }

  /** A call was sent, received or answered. */
  callActivity(): void {
    this.calls++;
  }

  stop(): void {
    if (this.ticker) clearInterval(this.ticker);
    if (this.pingTimer) clearTimeout(this.pingTimer);
    this.ticker = undefined;
    this.pingTimer = undefined;
  }

  /**
   * Whether this process stood still (SIGSTOP, a suspended VM) longer than a peer with the
   * same keepalive waits before it fails its calls: the ticker missed its turns for more
   * than keepaliveIntervalMs + keepaliveTimeoutMs. Calls read now may already have been
   * reported failed to their callers, so they must not run. Read once per chunk of input.
   */
  stalled(now: number): RpcError | undefined {
    const { keepaliveIntervalMs, keepaliveTimeoutMs } = this.limits;
    const stood = Math.round(now - this.lastTickAt - this.period);
    if (keepaliveIntervalMs <= 0 || this.ticker === undefined || stood <= keepaliveIntervalMs + keepaliveTimeoutMs) return undefined;
    return new RpcError("UNAVAILABLE", `this process stood still for ${stood} ms, past keepaliveIntervalMs + keepaliveTimeoutMs: calls read now may have been reported failed to their callers`);
  }

  /** Run by the ticker. */
  onTick(now: number): void {
    // After a stop the timers may run before the input that waited is read: end it here.
    const stalled = this.stalled(now);
    this.lastTickAt = now;
    if (stalled) {
      this.host.onStalled(stalled);
      return;
    }
    const { keepaliveIntervalMs, keepaliveTimeoutMs, idleTimeoutMs } = this.limits;
    if (this.calls !== this.callsSeen) {
      this.callsSeen = this.calls;
      this.lastActiveAt = now;
    }
    if (idleTimeoutMs > 0 && this.host.quiet && now - this.lastActiveAt >= idleTimeoutMs) {
      this.host.onIdle(idleTimeoutMs);
      return;
    }
    if (keepaliveIntervalMs <= 0) return;
    if (this.receivedSinceTick) {
      this.receivedSinceTick = false;
      this.silentTicks = 0;
      return;
    }
    // Idle timeouts may tick faster than the keepalive needs: count silence in intervals.
    if (++this.silentTicks * this.period < keepaliveIntervalMs * (1 - 1 / TICKS_PER_INTERVAL) || this.pingTimer) return;
    this.host.sendPing(now % MAX_NONCE);
    this.pingTimer = setTimeout(onPingTimeout, keepaliveTimeoutMs, this, this.frames);
    unrefTimer(this.pingTimer);
  }

  /** The ping timer fired: was anything at all received since the ping? */
  onPingTimeout(framesAtPing: number): void {
    this.pingTimer = undefined;
    if (this.ticker === undefined || this.frames !== framesAtPing) return;
    this.host.onUnresponsive(this.limits.keepaliveTimeoutMs);
  }
}

function tick(liveness: Liveness): void {
  liveness.onTick(Date.now());
}

function onPingTimeout(liveness: Liveness, framesAtPing: number): void {
  liveness.onPingTimeout(framesAtPing);
}
