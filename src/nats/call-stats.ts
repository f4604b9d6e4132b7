/**
 * What an instance counts of its one-shot calls, per method, for `$SRV.STATS` (NATS's
 * Services API, service-api.ts): requests, errors, the last error, processing time, and the
 * calls running now. The table is made once from the method list, so a call costs one Map
 * lookup and a few additions; a name that is not a method (METHOD_NOT_FOUND) is counted in
 * no endpoint, so a caller cannot grow the table.
 */
import { callClock } from "../core/call-log.js";
import { RpcError } from "../core/errors.js";

/** The figures of one method, as NATS's Services API reports an endpoint's. */
export class MethodStats {
  requests = 0;
  errors = 0;
  /** What the last call that failed threw; formatted only when reported. */
  lastError: unknown;
  /** Total time from arrival to answer, ms. */
  processingMs = 0;
  inFlight = 0;

  constructor(readonly method: string) {}
}

/** The per-method figures of one instance. */
export class CallStats {
  private readonly table = new Map<string, MethodStats>();

  constructor(methods: readonly string[]) {
    for (const m of methods) this.table.set(m, new MethodStats(m));
  }

  /** The figures of `method`, or undefined for a name that is not one. */
  of(method: string): MethodStats | undefined {
    return this.table.get(method);
  }

  /** Every method's figures, in the order the methods were listed. */
  all(): IterableIterator<MethodStats> {
    return this.table.values();
  }

  /** A call to `stats`'s method started. */
  static started(stats: MethodStats | undefined): void {
    if (stats !== undefined) stats.inFlight++;
  }

  /** A call to `stats`'s method that started at `startedMs` (callClock())  ended. */
  static ended(stats: MethodStats | undefined, startedMs: number, failed: boolean, error: unknown): void {
    if (stats === undefined) return;
    stats.inFlight--;
    stats.requests++;
    stats.processingMs += callClock() - startedMs;
    if (failed) {
      stats.errors++;
      stats.lastError = error;
    }
  }
}

/** `CODE: message` of what a call threw, as `$SRV.STATS` reports an endpoint's last error. */
export function errorLine(error: unknown): string {
  const e = RpcError.from(error);
  return `${e.code}: ${e.message}`;
}
