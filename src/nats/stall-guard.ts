/**
 * An instance that stood still (SIGSTOP, a host suspended, an event loop blocked by a
 * handler) for longer than two heartbeats has gone silent long enough for its callers to
 * give up on its calls (call-watch.ts): they were told UNAVAILABLE, "may or may not have
 * run". When it moves again, NATS hands it the requests that waited in its socket, sent by
 * callers who may also have given up. Running those would run calls reported failed, so the
 * guard has them refused UNAVAILABLE (not run, safe to send again), and the calls that were
 * running have their signal aborted.
 *
 * The heartbeat timer is the clock: it runs once per heartbeat, so a request read more than
 * two heartbeats after the last tick was read after a stall; and a tick that finds a gap
 * that long refuses what is read before the event loop's next check phase, which covers an
 * event loop that runs its timers before the reads that waited.
 */
import { RpcError } from "../core/errors.js";

export class StallGuard {
  private last: number;
  private refusing = false;

  constructor(
    /** Two heartbeats, ms: a caller gives up after 2 to 2.5 heartbeats of silence. */
    readonly boundMs: number,
    now: number,
  ) {
    this.last = now;
  }

  /** The heartbeat ran at `now`: how long the instance stood still when that exceeds the bound, else undefined. */
  tick(now: number): number | undefined {
    const gap = now - this.last;
    this.last = now;
    if (gap <= this.boundMs) return undefined;
    this.refusing = true;
    setImmediate(endRefusing, this);
    return gap;
  }

  /** True when a request read at `now` may have been given up by its caller: it must not run. */
  stood(now: number): boolean {
    return this.refusing || now - this.last > this.boundMs;
  }

  /** What a request read after a stall is answered, naming it. */
  refusal(instance: string, now: number): RpcError {
    return new RpcError("UNAVAILABLE", `instance ${instance} stood still for ${now - this.last} ms (over ${this.boundMs} ms, two heartbeats): the call was not run, since its caller may have given up on it`);
  }

  endRefusing(): void {
    this.refusing = false;
  }
}

function endRefusing(guard: StallGuard): void {
  guard.endRefusing();
}
