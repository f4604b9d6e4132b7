/**
 * The API every conformance case serves, and what its handlers report back to the case: the
 * handlers are plain functions; the probe counts, holds and records so a case can await
 * what happened on the server instead of sleeping.
 */
import { z } from "zod";
import { context, describeMethod, notify, RpcError, type CallLogEntry } from "../../src/index.js";
import { stateOf } from "../../src/core/remote.js";
import { until, within } from "../helpers/bounded.js";

/** Longest wait for one thing that should happen promptly. */
export const WAIT_MS = 3000;
/**
 * How long `slow()` runs when nothing stops it: a protocol that never tells the handler the
 * caller gave up still ends the case, and the case fails on what the caller saw instead.
 */
export const SLOW_CAP_MS = 1000;
/**
 * Longest wait for a call-log entry once the caller has its answer: entries are written as
 * the answer goes out, so a short wait is plenty, and a missing entry fails fast.
 */
export const LOG_WAIT_MS = 1000;

/** What the handlers report to the case. */
export class Probe {
  entered = 0;
  readonly recorded: unknown[] = [];
  readonly trace: string[] = [];
  abortReason: unknown;
  secretRan = false;
  private release!: () => void;
  private readonly gate = new Promise<void>((resolve) => (this.release = resolve));

  /** Lets every held call finish. */
  open(): void {
    this.release();
  }

  async hold(): Promise<string> {
    this.entered++;
    await this.gate;
    return "released";
  }

  /** Runs until its signal aborts (keeping the reason) or SLOW_CAP_MS pass. */
  slow(): Promise<string> {
    const { signal } = context();
    this.entered++;
    return new Promise((resolve, reject) => {
      const cap = setTimeout(() => resolve("finished"), SLOW_CAP_MS);
      cap.unref();
      signal.addEventListener(
        "abort",
        () => {
          clearTimeout(cap);
          this.abortReason = signal.reason;
          reject(signal.reason);
        },
        { once: true },
      );
    });
  }

  /** Resolves once `n` handlers have started. */
  running(n: number): Promise<void> {
    return until(WAIT_MS, `${n} handler(s) running`, () => this.entered >= n);
  }
}

export function makeApi(probe: Probe) {
  return {
    add: (a: number, b: number) => a + b,
    echo: (x: unknown) => x,
    args: (...args: unknown[]) => args,
    traced: (x: number) => {
      probe.trace.push("handler");
      return x;
    },
    fail: () => {
      throw new RpcError("TEAPOT", "short and stout", { spout: 1 });
    },
    failNumeric: () => {
      throw new RpcError(7, "no name");
    },
    failNotFound: () => {
      throw new RpcError("NOT_FOUND", "no such key");
    },
    deny: () => {
      throw new RpcError("PERMISSION_DENIED", "not for you");
    },
    broken: () => {
      throw new Error("disk on fire");
    },
    hold: () => probe.hold(),
    slow: () => probe.slow(),
    record: (x: unknown) => {
      probe.recorded.push(x);
    },
    _secret: () => {
      probe.secretRan = true;
      return "secret";
    },
    kv: { get: (k: string) => `value of ${k}` },
    /** Checked by Standard Schemas (zod): a number and an integer. */
    scale: describeMethod((n: number, factor: number) => n * factor, { input: [z.number(), z.number().int()], output: z.number() }),
    /** Checked by one schema: the one object argument (JSON-RPC's named params). */
    greet: describeMethod((who: { name: string }) => `hello ${who.name}`, { input: z.object({ name: z.string() }) }),
  };
}
export type Api = ReturnType<typeof makeApi>;

/** Call-log entries as they arrive, with a bounded wait for one. */
export class CallLogBook {
  readonly entries: CallLogEntry[] = [];
  private wake: (() => void) | undefined;
  readonly add = (entry: CallLogEntry): void => {
    this.entries.push(entry);
    this.wake?.();
  };

  /** The first entry for `method`, waiting for it if need be. */
  async entry(method: string, notification = false): Promise<CallLogEntry> {
    const find = () => this.entries.find((e) => e.method === method && e.notification === notification);
    return within(
      (async () => {
        let found: CallLogEntry | undefined;
        while (!(found = find())) await new Promise<void>((resolve) => (this.wake = resolve));
        return found;
      })(),
      LOG_WAIT_MS,
      `a call-log entry for ${method}${notification ? " (notification)" : ""}; entries so far: ${JSON.stringify(this.entries)}`,
    );
  }
}

/** A method by name, past the remote proxy (which never calls `toString`, `constructor`...). */
export function callRaw(remote: unknown, method: string, args: unknown[]): Promise<unknown> {
  return stateOf(remote, "callRaw").caller.call(method, args, {});
}

/** A notification of a method by name, past the remote proxy; resolves with what `done` was told. */
export function notifyRaw(remote: unknown, method: string, args: unknown[]): Promise<RpcError | undefined> {
  return new Promise((resolve) => stateOf(remote, "notifyRaw").caller.notify(method, args, {}, resolve));
}

/** notify(fn, args), resolving with what `done` was told (an error, or undefined once handed over). */
export function notified(fn: unknown, args: unknown[]): Promise<RpcError | undefined> {
  return within(new Promise((resolve) => notify(fn, args, resolve)), WAIT_MS, "notify() handed over");
}

/** The code of an RpcError, for assertions on abort reasons and settled batch members. */
export function codeOf(reason: unknown): string {
  return RpcError.is(reason) ? String(reason.code) : `not an RpcError: ${String(reason)}`;
}
