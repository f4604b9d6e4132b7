/**
 * A Queue's maxsize and a Barrier's parties as Python's server takes them: `queue.Queue` and
 * `threading.Barrier` store whatever they are given, and a value that is no positive int
 * shows only later, when the queue or barrier compares it. So `m.Queue('x')` makes a queue
 * whose every `put` and `full()` raise Python's TypeError (Python 3; 2.7 orders a number
 * before any other type, so there the queue has no bound), and `m.Barrier(0)` a barrier no
 * number of waits fills (Python 3.8-3.11; 3.13 refuses parties under 1 at create). A 3.12
 * client is served 3.13's rule: the handshake cannot tell them apart (client-era.ts).
 */
import { RpcError } from "../core/errors.js";
import type { ClientEra } from "./client-era.js";
import { pyTypeOf } from "./repr.js";
import { SharedBarrier } from "./shared/barrier.js";
import { SharedQueue } from "./shared/queue.js";

function unorderable(op: string, left: string, right: string): RpcError {
  return new RpcError("TypeError", `'${op}' not supported between instances of '${left}' and '${right}'`);
}

/** A number's value for Python's comparisons, or undefined for any other type. */
function numberOf(value: unknown): number | undefined {
  if (typeof value === "number") return value;
  if (typeof value === "bigint") return Number(value);
  if (typeof value === "boolean") return value ? 1 : 0;
  return undefined;
}

/** A queue whose maxsize Python 3 cannot compare with an int: it holds items, but cannot take one. */
export class UnorderedMaxsizeQueue extends SharedQueue {
  constructor(readonly maxsizeType: string) {
    super();
  }
  // queue.Queue.put tests `self.maxsize > 0` first, whether it blocks or not.
  override put(): Promise<void> {
    return Promise.reject(unorderable(">", this.maxsizeType, "int"));
  }
  override putNowait(): void {
    throw unorderable(">", this.maxsizeType, "int");
  }
  /** What `full()` raises: queue.Queue.full is `0 < self.maxsize <= self._qsize()`. */
  fullError(): RpcError {
    return unorderable("<", "int", this.maxsizeType);
  }
}

/** `m.Queue(maxsize)`: a number bounds the queue as the client's Python compares it. */
export function looseQueue(maxsize: unknown, era: ClientEra): SharedQueue {
  const n = numberOf(maxsize);
  const py2 = era.replyProtocol === 2;
  if (n === undefined) return py2 ? new SharedQueue() : new UnorderedMaxsizeQueue(pyTypeOf(maxsize));
  // Python 3 is full once qsize() >= maxsize (2.5 holds 3 items); 2.7 once qsize() == maxsize,
  // which a fraction never is. NaN, infinity, zero and below set no bound.
  const bounded = Number.isFinite(n) && n > 0 && (!py2 || Number.isInteger(n));
  return new SharedQueue({ maxsize: bounded ? Math.min(Math.ceil(n), Number.MAX_SAFE_INTEGER) : 0 });
}

/** A barrier made by a Python client, which reports `parties` as given (`True`, `0`, `'x'`). */
export class PythonBarrier extends SharedBarrier {
  constructor(readonly pythonParties: unknown, parties: number, timeoutMs: number | undefined) {
    super({ parties, timeoutMs });
  }
}

/**
 * `m.Barrier(parties, timeout=...)`, by the client's Python's rules. A wait releases when
 * `count == parties`, so only a whole number from 1 is ever reached; any other parties make
 * a barrier whose every wait lasts until its timeout, abort() or reset().
 */
export function looseBarrier(parties: unknown, timeoutMs: number | undefined, era: ClientEra): SharedBarrier {
  const n = numberOf(parties);
  if (era.before312 !== true) {
    // Python 3.13's Barrier.__init__: `if parties < 1: raise ValueError(...)`.
    if (n === undefined) throw unorderable("<", pyTypeOf(parties), "int");
    if (n < 1) throw new RpcError("ValueError", "parties must be > 0");
  }
  const fills = n !== undefined && Number.isSafeInteger(n) && n >= 1;
  return new PythonBarrier(parties, fills ? n : Number.MAX_SAFE_INTEGER, timeoutMs);
}
