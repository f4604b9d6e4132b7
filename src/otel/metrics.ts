/**
 * The measurements of calls: how many, how many failed and with which code, how long they
 * took, how many are running. Instruments are made once per interceptor; each call adds to
 * them. Names follow the RPC semantic conventions where they have one
 * (`rpc.server.call.duration`, `rpc.client.call.duration`, in seconds) and are farcall's own
 * otherwise (`farcall.server.calls`, ...).
 */
import type { Attributes, Counter, Histogram, Meter, UpDownCounter } from "@opentelemetry/api";

/** Bucket bounds (seconds) for call durations: the conventions' advice for RPC durations. */
const DURATION_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10];

/** The instruments of one side (server or client). */
export class CallMetrics {
  private readonly calls: Counter;
  private readonly errors: Counter;
  private readonly duration: Histogram;
  private readonly inFlight: UpDownCounter;

  constructor(meter: Meter, side: "server" | "client") {
    this.calls = meter.createCounter(`farcall.${side}.calls`, { description: `Calls ${side === "server" ? "served" : "made"}, by method and outcome.`, unit: "{call}" });
    this.errors = meter.createCounter(`farcall.${side}.errors`, { description: "Calls that failed, by method and error code (error.type).", unit: "{call}" });
    this.duration = meter.createHistogram(`rpc.${side}.call.duration`, { description: "How long calls took.", unit: "s", advice: { explicitBucketBoundaries: DURATION_BUCKETS } });
    this.inFlight = meter.createUpDownCounter(`farcall.${side}.calls_in_flight`, { description: "Calls running now.", unit: "{call}" });
  }

  /** A call started; returns its start time for {@link ended}. */
  started(attributes: Attributes): number {
    this.inFlight.add(1, attributes);
    return performance.now();
  }

  /** A call ended, after `started`; `errorType` is its error code when it failed. */
  ended(attributes: Attributes, started: number, errorType: string | undefined): void {
    this.inFlight.add(-1, attributes);
    const outcome = errorType === undefined ? attributes : withErrorType(attributes, errorType);
    this.calls.add(1, outcome);
    if (errorType !== undefined) this.errors.add(1, outcome);
    this.duration.record((performance.now() - started) / 1000, outcome);
  }
}

/** `attributes` plus `error.type` (Object.assign: a spread with an added key is V8's slow path). */
function withErrorType(attributes: Attributes, errorType: string): Attributes {
  const out: Attributes = Object.assign({}, attributes);
  out["error.type"] = errorType;
  return out;
}
