/**
 * Python's `range(start, stop, step)` (2.7's `xrange`) as a value. A shared dict or list
 * stores it as the range it is and sends it back as one: read as the list of its ints, a
 * client storing `range(3)` would have read back `[0, 1, 2]`, a silent change. Where Python
 * iterates it (`m.list(range(10))`, `l.extend(range(3))`) it gives its ints, made only then
 * and bounded.
 */
import { RpcError } from "../core/errors.js";
import { PickleGlobal } from "./pickle/pickle.js";

/** Most ints a range may be iterated into, checked before any is made. */
const MAX_RANGE_ITEMS = 1_000_000;

export class PyRange extends PickleGlobal {
  constructor(name: "range" | "xrange", readonly start: number, readonly stop: number, readonly step: number) {
    super("builtins", name, { args: [start, stop, step] });
  }

  get length(): number {
    return Math.max(0, Math.ceil((this.stop - this.start) / this.step));
  }

  /** Its ints. @throws RpcError RESOURCE_EXHAUSTED past MAX_RANGE_ITEMS. */
  items(): number[] {
    const count = this.length;
    if (count > MAX_RANGE_ITEMS) throw new RpcError("RESOURCE_EXHAUSTED", `range of ${count} items exceeds the ${MAX_RANGE_ITEMS} a shared object holds`);
    return Array.from({ length: count }, (_, i) => this.start + i * this.step);
  }

  /** As Python prints it: `range(0, 3)`, `range(0, 6, 2)`; 2.7's `xrange(3)`, `xrange(1, 3)`. */
  reprPython(): string {
    const { name, start, stop, step } = this;
    if (name === "range") return step === 1 ? `range(${start}, ${stop})` : `range(${start}, ${stop}, ${step})`;
    // 2.7 prints an xrange by its normalised stop.
    const end = start + this.length * step;
    return step !== 1 ? `xrange(${start}, ${end}, ${step})` : start === 0 ? `xrange(${end})` : `xrange(${start}, ${end})`;
  }
}

/** The `builtins.range` / `xrange` global of a request's allow-list. */
export function rangeGlobal(name: "range" | "xrange"): (args: unknown[]) => PyRange {
  return (args) => {
    const [start, stop, step = 1] = args.length === 1 ? [0, args[0]] : args;
    if (![start, stop, step].every((n) => typeof n === "number" && Number.isSafeInteger(n)) || step === 0 || args.length > 3) {
      throw new RpcError("PARSE_ERROR", `${name}() needs one to three integer arguments and a step other than 0`);
    }
    return new PyRange(name, start as number, stop as number, step as number);
  };
}
