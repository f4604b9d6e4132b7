/**
 * Where the outcome of a notification a session serves goes: nobody is answered, so a
 * failure is only logged (and written to the call log by the pipeline).
 */
import { describe } from "./describe.js";
import { RpcError } from "./errors.js";
import type { IncomingCall } from "./incoming-call.js";
import type { Logger } from "./logger.js";
import type { CallSink } from "./pipeline.js";

/** Notifications this side serves: nobody is answered, so a failure is only logged. */
export class NotificationSink implements CallSink {
  inFlight = 0;
  readonly maxInFlight: number;
  readonly scope = "this connection (notifications)";
  constructor(
    private readonly session: { readonly maxInFlight: number; checkIdle(): void },
    private readonly logger: Logger,
  ) {
    this.maxInFlight = session.maxInFlight;
  }
  settled(call: IncomingCall, _value: unknown, error: unknown, failed: boolean): void {
    if (failed) this.logger.warn(`${describe(call.peer)}: notification ${call.method} failed: ${RpcError.from(error).message}`);
    this.session.checkIdle();
  }
}

/** Where a refused notification's outcome goes: nowhere but the call log, which the pipeline writes. */
export const REFUSED_NOTIFICATION: CallSink = {
  inFlight: 0,
  maxInFlight: Number.POSITIVE_INFINITY,
  scope: "",
  settled() {},
};
