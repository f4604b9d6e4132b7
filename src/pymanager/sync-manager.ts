/**
 * Python's SyncManager typeids, served on every manager listener: `m.dict()`, `m.list()`,
 * `m.Namespace()`, `m.Queue()`, `m.JoinableQueue()`, `m.Value(typecode, v)`, `m.Lock()`,
 * `m.RLock()`, `m.Semaphore(n)`, `m.BoundedSemaphore(n)`, `m.Event()`, `m.Condition(lock=None)`,
 * `m.Barrier(parties)` and `m.Array(typecode, sequence)` each make a fresh shared object, as
 * Python's server does. `m.Pool()` is not served: a pool runs Python callables. A typeid the served API names
 * itself wins over these.
 *
 * {@link faceOf} finds the Python face of any shared object, however it was reached: made
 * here, returned by a function (`get_queue`), or exposed as a namespace (`{ jobs: queue }`).
 */
import type { MethodInfo } from "../core/dispatcher.js";
import { RpcError } from "../core/errors.js";
import { SharedDict, SharedList, SharedNamespace, SharedValue } from "./shared/containers.js";
import { SharedCondition, SharedEvent, SharedLock, SharedSemaphore } from "./shared/locks.js";
import { isExternalQueue, SharedQueue } from "./shared/queue.js";
import { SharedArray } from "./shared/array.js";
import { isTextTypecode, PyArray } from "./array-value.js";
import { SharedBarrier } from "./shared/barrier.js";
import { arg, pyInt, pySeconds, type Kwargs, type PyFace } from "./face.js";
import type { ClientEra } from "./client-era.js";
import { looseBarrier, looseQueue } from "./loose-arguments.js";
import { ARRAY_FACE, BARRIER_FACE } from "./faces-more.js";
import { DICT_FACE, ITERATOR_FACE, iterableOf, KeyIterator, LIST_FACE, NAMESPACE_FACE, VALUE_FACE } from "./faces-data.js";
import { CONDITION_FACE, EVENT_FACE, EXTERNAL_QUEUE_FACE, LOCK_FACE, QUEUE_FACE, SEMAPHORE_FACE } from "./faces-sync.js";

/** `proxied` reads a proxy argument (`m.Condition(lock)`) as the shared object it stands for, or undefined. */
type Factory = (args: unknown[], kwargs: Kwargs, proxied: (value: unknown) => object | undefined, era: ClientEra) => object;

function semaphore(bounded: boolean): Factory {
  return (args, kwargs) => new SharedSemaphore({ value: pyInt(arg(args, kwargs, 0, "value", 1), "value"), bounded });
}

function queue(args: unknown[], kwargs: Kwargs, _proxied: unknown, era: ClientEra): SharedQueue {
  return looseQueue(arg(args, kwargs, 0, "maxsize", 0), era);
}

const SYNC_TYPES: ReadonlyMap<string, Factory> = new Map<string, Factory>([
  ["Queue", queue],
  ["JoinableQueue", queue],
  ["Event", () => new SharedEvent()],
  ["Lock", () => new SharedLock()],
  ["RLock", () => new SharedLock({ reentrant: true })],
  ["Semaphore", semaphore(false)],
  ["BoundedSemaphore", semaphore(true)],
  ["Condition", (args, kwargs, proxied) => {
    const given = arg(args, kwargs, 0, "lock", null);
    if (given === null) return new SharedCondition();
    const lock = proxied(given);
    if (!(lock instanceof SharedLock)) throw new RpcError("TypeError", "Condition(lock) needs a Lock or RLock proxy of this server");
    return new SharedCondition(lock);
  }],
  ["Barrier", (args, kwargs, _proxied, era) => {
    if (arg(args, kwargs, 1, "action", null) !== null) throw new RpcError("TypeError", "Barrier(action=...) cannot run a Python callable on this server");
    return looseBarrier(arg(args, kwargs, 0, "parties", undefined), pySeconds(arg(args, kwargs, 2, "timeout", null), "timeout"), era);
  }],
  ["Pool", () => {
    throw new RpcError("TypeError", "Pool is not served: a pool runs Python callables, and this server runs no Python code");
  }],
  ["Array", (args, kwargs) => {
    const typecode = arg(args, kwargs, 0, "typecode", undefined);
    if (typeof typecode !== "string") throw new RpcError("TypeError", "Array() needs a typecode, such as 'i' or 'd'");
    const sequence = arg(args, kwargs, 1, "sequence", []);
    if (typeof sequence === "string" && !isTextTypecode(typecode)) throw new RpcError("TypeError", `cannot use a str to initialize an array with typecode '${typecode}'`);
    return new SharedArray(typecode, sequence instanceof PyArray ? [...sequence.items] : iterableOf(sequence));
  }],
  ["dict", (args, kwargs) => {
    const d = new SharedDict();
    DICT_FACE.methods.update(d, args, kwargs, undefined);
    return d;
  }],
  ["list", (args) => new SharedList(args.length > 0 ? iterableOf(args[0]) : [])],
  ["Namespace", (_args, kwargs) => new SharedNamespace(kwargs ?? {})],
  ["Value", (args, kwargs) => {
    const typecode = arg(args, kwargs, 0, "typecode", undefined);
    if (typeof typecode !== "string") throw new RpcError("TypeError", "Value() needs a typecode, such as 'i' or 'd'");
    return new SharedValue(arg(args, kwargs, 1, "value", null), typecode);
  }],
]);

/** A new shared object for SyncManager typeid `typeid`, or undefined when it is not one. */
export function createSyncObject(typeid: string, args: unknown[], kwargs: Kwargs, proxied: (value: unknown) => object | undefined, era: ClientEra): object | undefined {
  const factory = SYNC_TYPES.get(typeid);
  return factory === undefined ? undefined : factory(args, kwargs, proxied, era);
}

/** Python's parameters of each SyncManager typeid served, for listings. */
const SYNC_PARAMS: Readonly<Record<string, string[]>> = {
  Queue: ["maxsize"], JoinableQueue: ["maxsize"], Event: [], Lock: [], RLock: [], Semaphore: ["value"],
  BoundedSemaphore: ["value"], Condition: ["lock"], Barrier: ["parties", "action", "timeout"],
  Array: ["typecode", "sequence"], dict: ["mapping"], list: ["sequence"], Namespace: [], Value: ["typecode", "value"],
};

/** The SyncManager typeids served (Pool, refused, is not one), as `farcall list` shows them. */
export function syncListing(): MethodInfo[] {
  return Object.entries(SYNC_PARAMS).map(([name, params]) => ({ name, arity: params.length, params, description: "SyncManager type: each call makes a new shared object" }));
}

/** The Python face of a shared object, or undefined for any other value. */
export function faceOf(value: unknown): PyFace<object> | undefined {
  if (typeof value !== "object" || value === null) return undefined;
  let face: PyFace<never> | undefined;
  if (value instanceof SharedQueue) face = QUEUE_FACE;
  else if (isExternalQueue(value)) face = EXTERNAL_QUEUE_FACE;
  else if (value instanceof SharedDict) face = DICT_FACE;
  else if (value instanceof SharedList) face = LIST_FACE;
  else if (value instanceof SharedLock) face = LOCK_FACE;
  else if (value instanceof SharedEvent) face = EVENT_FACE;
  else if (value instanceof SharedNamespace) face = NAMESPACE_FACE;
  else if (value instanceof SharedValue) face = VALUE_FACE;
  else if (value instanceof SharedSemaphore) face = SEMAPHORE_FACE;
  else if (value instanceof SharedCondition) face = CONDITION_FACE;
  else if (value instanceof KeyIterator) face = ITERATOR_FACE;
  else if (value instanceof SharedArray) face = ARRAY_FACE;
  else if (value instanceof SharedBarrier) face = BARRIER_FACE;
  return face as PyFace<object> | undefined;
}
