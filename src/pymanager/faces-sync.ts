/**
 * The Python faces of the waiting objects: `queue.Queue` (Queue, JoinableQueue), and
 * threading's Lock, RLock, Semaphore, BoundedSemaphore, Event and Condition, with the
 * signatures and exceptions of Python's own (`queue.Empty`, `acquire(True, t)` answering
 * False after t seconds).
 */
import { RpcError } from "../core/errors.js";
import { SharedCondition, SharedEvent, SharedLock, SharedSemaphore } from "./shared/locks.js";
import { SharedQueue, type ExternalQueue } from "./shared/queue.js";
import { UnorderedMaxsizeQueue } from "./loose-arguments.js";
import type { BlockingOptions } from "./shared/waiters.js";
import { arg, pyInt, pySeconds, truthy, type Kwargs, type PyFace } from "./face.js";

/** queue.Queue's `block=True` argument, at position `at`. */
function blockArg(args: unknown[], kwargs: Kwargs, at: number): boolean {
  return truthy(arg(args, kwargs, at, "block", true));
}

/** queue.Queue's `timeout=None` argument, at position `at`, in ms (undefined: none). */
function timeoutArg(args: unknown[], kwargs: Kwargs, at: number): number | undefined {
  return pySeconds(arg(args, kwargs, at, "timeout", null), "timeout");
}

/** `put`'s required `item`. */
function putItem(args: unknown[], kwargs: Kwargs): unknown {
  const item = arg(args, kwargs, 0, "item", undefined);
  if (item === undefined) throw new RpcError("TypeError", "put() missing 1 required positional argument: 'item'");
  return item;
}

/** `get(block=True, timeout=None)` as queue.Queue binds it. */
function getOptions(args: unknown[], kwargs: Kwargs, signal: AbortSignal | undefined): BlockingOptions {
  return { block: blockArg(args, kwargs, 0), timeoutMs: timeoutArg(args, kwargs, 1), signal };
}

/** `put(item, block=True, timeout=None)` as queue.Queue binds it. */
function putArguments(args: unknown[], kwargs: Kwargs, signal: AbortSignal | undefined): [unknown, BlockingOptions] {
  const item = putItem(args, kwargs);
  return [item, { block: blockArg(args, kwargs, 1), timeoutMs: timeoutArg(args, kwargs, 2), signal }];
}

// A get or put that need not wait is answered in the same turn: no Promise, no extra tick,
// and no options object (each costs a few ns of the hot path's CPU per operation).
function queueGet(q: SharedQueue, args: unknown[], kwargs: Kwargs, signal: AbortSignal | undefined): unknown {
  const block = blockArg(args, kwargs, 0);
  const timeoutMs = timeoutArg(args, kwargs, 1);
  return q.qsize() > 0 || !block ? q.getNowait() : q.get({ block, timeoutMs, signal });
}

function queuePut(q: SharedQueue, args: unknown[], kwargs: Kwargs, signal: AbortSignal | undefined): Promise<void> | void {
  const item = putItem(args, kwargs);
  const block = blockArg(args, kwargs, 1);
  const timeoutMs = timeoutArg(args, kwargs, 2);
  return !q.full() || !block ? q.putNowait(item) : q.put(item, { block, timeoutMs, signal });
}

const QUEUE_EXPOSED = ["empty", "full", "get", "get_nowait", "join", "put", "put_nowait", "qsize", "task_done"];

export const QUEUE_FACE: PyFace<SharedQueue> = {
  typeid: "Queue",
  exposed: QUEUE_EXPOSED,
  methods: {
    empty: (q) => q.empty(),
    full: (q) => {
      if (q instanceof UnorderedMaxsizeQueue) throw q.fullError();
      return q.full();
    },
    get: queueGet,
    get_nowait: (q) => q.getNowait(),
    join: (q, _args, _kwargs, signal) => q.join({ signal }),
    put: queuePut,
    put_nowait: (q, args, kwargs) => q.putNowait(arg(args, kwargs, 0, "item", null)),
    qsize: (q) => q.qsize(),
    task_done: (q) => q.taskDone(),
  },
  repr: () => "<queue.Queue object>",
};

/** The same Queue proxy over a queue kept elsewhere, whose every answer may come later. */
export const EXTERNAL_QUEUE_FACE: PyFace<ExternalQueue> = {
  typeid: "Queue",
  exposed: QUEUE_EXPOSED,
  methods: {
    empty: (q) => q.empty(),
    full: (q) => q.full(),
    get: (q, args, kwargs, signal) => q.get(getOptions(args, kwargs, signal)),
    get_nowait: (q, _args, _kwargs, signal) => q.get({ block: false, signal }),
    join: (q, _args, _kwargs, signal) => q.join({ signal }),
    put: (q, args, kwargs, signal) => q.put(...putArguments(args, kwargs, signal)),
    put_nowait: (q, args, kwargs, signal) => q.put(arg(args, kwargs, 0, "item", null), { block: false, signal }),
    qsize: (q) => q.qsize(),
    task_done: (q) => q.taskDone(),
  },
  repr: () => "<queue.Queue object>",
};

/** `acquire(blocking=True, timeout=-1)` as threading.Lock binds it. */
function lockTimeout(args: unknown[], kwargs: Kwargs, blocking: boolean, noTimeout: unknown): number | undefined {
  const timeout = arg(args, kwargs, 1, "timeout", noTimeout);
  if (timeout === noTimeout || (noTimeout === -1 && timeout === -1)) return undefined;
  if (!blocking) throw new RpcError("ValueError", "can't specify a timeout for a non-blocking call");
  return pySeconds(timeout, "timeout");
}

function lockAcquire(lock: SharedLock, args: unknown[], kwargs: Kwargs, signal: AbortSignal | undefined): Promise<boolean> {
  const block = truthy(arg(args, kwargs, 0, "blocking", true));
  return lock.acquire({ block, timeoutMs: lockTimeout(args, kwargs, block, -1), signal });
}

const ACQUIRER = ["acquire", "release"];

export const LOCK_FACE: PyFace<SharedLock> = {
  typeid: "Lock",
  exposed: ACQUIRER,
  methods: { acquire: lockAcquire, release: (lock) => lock.release() },
  repr: (lock) => `<${lock.reentrant ? "_thread.RLock" : "_thread.lock"} object, ${lock.locked() ? "locked" : "unlocked"}>`,
};

export const SEMAPHORE_FACE: PyFace<SharedSemaphore> = {
  typeid: "Semaphore",
  exposed: ACQUIRER,
  methods: {
    acquire: (s, args, kwargs, signal) => {
      const block = truthy(arg(args, kwargs, 0, "blocking", true));
      return s.acquire({ block, timeoutMs: lockTimeout(args, kwargs, block, null), signal });
    },
    release: (s, args, kwargs) => s.release(pyInt(arg(args, kwargs, 0, "n", 1), "n")),
  },
  repr: () => "<threading.Semaphore object>",
};

export const EVENT_FACE: PyFace<SharedEvent> = {
  typeid: "Event",
  exposed: ["is_set", "set", "clear", "wait"],
  methods: {
    is_set: (e) => e.isSet(),
    set: (e) => e.set(),
    clear: (e) => e.clear(),
    wait: (e, args, kwargs, signal) => e.wait({ timeoutMs: pySeconds(arg(args, kwargs, 0, "timeout", null), "timeout"), signal }),
  },
  repr: (e) => `<threading.Event object, ${e.isSet() ? "set" : "unset"}>`,
};

export const CONDITION_FACE: PyFace<SharedCondition> = {
  typeid: "Condition",
  exposed: ["acquire", "release", "wait", "notify", "notify_all"],
  methods: {
    acquire: (c, args, kwargs, signal) => lockAcquire(c.lock, args, kwargs, signal),
    release: (c) => c.lock.release(),
    wait: (c, args, kwargs, signal) => c.wait({ timeoutMs: pySeconds(arg(args, kwargs, 0, "timeout", null), "timeout"), signal }),
    notify: (c, args, kwargs) => c.notify(pyInt(arg(args, kwargs, 0, "n", 1), "n")),
    notify_all: (c) => c.notifyAll(),
  },
  repr: () => "<threading.Condition object>",
};
