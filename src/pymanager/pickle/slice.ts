/**
 * Python's `slice`, as a client pickles it for `l[1:3]`, `l[::2]`, `del l[:2]` through a list
 * proxy (Python 3 sends the slice object to `__getitem__`/`__setitem__`/`__delitem__`).
 * Decoded from `builtins.slice(start, stop, step)` with each part None or an integer; the
 * indices are resolved against a length exactly as CPython's `slice.indices` does.
 */
import { RpcError } from "../../core/errors.js";

export class PySlice {
  constructor(
    readonly start: number | null,
    readonly stop: number | null,
    readonly step: number | null,
  ) {}

  /**
   * The positions this slice selects in a sequence of `length`, in order (CPython's
   * `slice.indices` then `range`): negative parts count from the end, and out-of-range
   * parts are clamped, never an error.
   */
  positions(length: number): number[] {
    const step = this.step ?? 1;
    if (step === 0) throw new RpcError("ValueError", "slice step cannot be zero");
    const lower = step < 0 ? -1 : 0;
    const upper = step < 0 ? length - 1 : length;
    const clamp = (part: number | null, fallback: number): number => {
      if (part === null) return fallback;
      const at = part < 0 ? part + length : part;
      return Math.min(upper, Math.max(lower, at));
    };
    const start = clamp(this.start, step < 0 ? upper : lower);
    const stop = clamp(this.stop, step < 0 ? lower : upper);
    const out: number[] = [];
    for (let i = start; step > 0 ? i < stop : i > stop; i += step) out.push(i);
    return out;
  }
}

/**
 * A slice bound as a safe integer: Python allows any int (Python 2.7 passes sys.maxint for an
 * omitted end), and any bound past a list's length selects the same as the length itself.
 */
export function sliceBound(value: unknown, name: string): number {
  const limit = Number.MAX_SAFE_INTEGER;
  if (typeof value === "bigint") return value > BigInt(limit) ? limit : value < BigInt(-limit) ? -limit : Number(value);
  if (typeof value === "boolean") return Number(value);
  if (typeof value !== "number" || !Number.isInteger(value)) throw new RpcError("TypeError", `slice ${name} must be an integer or None`);
  return Math.min(limit, Math.max(-limit, value));
}

function part(value: unknown, name: string): number | null {
  return value === null || value === undefined ? null : sliceBound(value, name);
}

/** `builtins.slice(stop)` or `(start, stop[, step])`, as CPython pickles a slice (REDUCE). */
export function decodeSlice(args: unknown[]): PySlice {
  if (args.length === 1) return new PySlice(null, part(args[0], "stop"), null);
  if (args.length === 2 || args.length === 3) return new PySlice(part(args[0], "start"), part(args[1], "stop"), part(args[2], "step"));
  throw new RpcError("TypeError", `slice expected 1 to 3 arguments, got ${args.length}`);
}
