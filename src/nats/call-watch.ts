/**
 * The client's side of NATS heartbeats: which requests have heard nothing from the instance
 * holding them for longer than the bound.
 *
 * Why per request, and why from the instance: NATS's queue group hides which instance took a
 * request until it answers, and NATS tells nobody when that instance dies or stops (a
 * stopped process even keeps its subscription, so NATS goes on routing to it). So every
 * instance, once per `nats.heartbeatMs`, sends an empty reply carrying its `Farcall-Instance`
 * header to the reply subject of every request it is still running (requests.ts). A request
 * that is answered within a heartbeat costs nothing more, an idle client or instance sends
 * nothing, and a beat proves what matters: the instance holding this very request is alive.
 *
 * Here one coarse timer ticks twice per heartbeat; a request is noted at the tick it was
 * sent and at each beat, and is silent once 5 ticks (2 to 2.5 heartbeats) pass without one.
 * So a request whose instance died, stopped, or lost its way to the client (nats-server
 * killed) is given up within 2.5 × heartbeatMs of the last sign of life, instead of at its
 * deadline. An instance whose event loop is blocked for over 2 heartbeats looks stopped.
 */

/** Ticks without a sign of life after which a request is silent; a tick is half a heartbeat. */
export const SILENT_TICKS = 5;

export class CallWatch {
  /** The tick of each watched request's last sign of life, by key (a call id; a batch's key is negative). */
  private readonly last = new Map<number, number>();
  private tick = 0;
  private readonly timer: ReturnType<typeof setInterval>;

  constructor(
    readonly heartbeatMs: number,
    /** Called for each request silent for SILENT_TICKS ticks; it is no longer watched unless noted again. */
    private readonly onSilent: (key: number) => void,
  ) {
    this.timer = setInterval(onTick, Math.max(1, Math.floor(heartbeatMs / 2)), this);
    // Pending calls keep a process alive through their deadline timers, not through this.
    this.timer.unref();
  }

  /** The longest silence a request is given, ms. */
  get boundMs(): number {
    return (SILENT_TICKS * this.heartbeatMs) / 2;
  }

  /** Request `key` was sent, or its instance gave a sign of life. */
  note(key: number): void {
    this.last.set(key, this.tick);
  }

  /** Request `key` is answered or given up: no longer watched. */
  forget(key: number): void {
    this.last.delete(key);
  }

  /** One tick: every request silent for SILENT_TICKS ticks is reported. */
  sweep(): void {
    const now = ++this.tick;
    for (const [key, heard] of this.last) {
      if (now - heard < SILENT_TICKS) continue;
      this.last.delete(key);
      this.onSilent(key);
    }
  }

  close(): void {
    clearInterval(this.timer);
    this.last.clear();
  }
}

function onTick(watch: CallWatch): void {
  watch.sweep();
}
