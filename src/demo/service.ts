/**
 * The embedded default service: the programs farcall grew out of, as one object to pass to
 * `serve()`. It is what `farcall serve` answers with when given no module.
 */
import os from "node:os";
import { Account } from "./account.js";
import { sleep } from "./sleep.js";
import { memoryState, type DemoState, type Maybe } from "./store-backend.js";
import { balanceData, requireName, requireSafeInteger } from "./validate.js";
import { describeMethod } from "../core/method-doc.js";
import { currentCall } from "../core/context.js";
import { RpcError } from "../core/errors.js";
import { add, divide, get_uname, multiply, search, subtract } from "./seed-functions.js";
import { SharedQueue } from "../pymanager/shared/queue.js";
import type { BlockingOptions } from "../pymanager/shared/waiters.js";
import { ref, type Ref } from "../core/ref.js";

/**
 * The demo's queue as `get_queue()` hands it to a farcall/1 caller (a reference: every call
 * runs on the instance), whichever store keeps it: Python's `queue.Queue` methods.
 */
export interface DemoQueue {
  put(item: unknown, options?: BlockingOptions): Promise<void>;
  get(options?: BlockingOptions): Promise<unknown>;
  putNowait(item: unknown): Maybe<void>;
  getNowait(): Maybe<unknown>;
  qsize(): Maybe<number>;
  empty(): Maybe<boolean>;
  full(): Maybe<boolean>;
  taskDone(): Maybe<void>;
  join(options?: Pick<BlockingOptions, "signal">): Promise<void>;
}

/**
 * A fresh demo service with its own empty state:
 * - a key-value store at the top level: `get(k)` (null when missing), `put(k, v)`,
 *   `delete(k)` (true when the key was there), `keys()` (sorted);
 * - named counters: `counter.get(name)` (0 when missing), `counter.inc(name)` and
 *   `counter.add(name, n)`, both returning the new value, atomic under any concurrency;
 * - `uname()` (the server's OS, release and CPU), `echo(x)` (its argument, unchanged) and
 *   `sleep(ms)` (honours cancellation);
 * - `account`: a remote {@link Account} (`deposit`, `withdraw`, `balance`);
 * - the origin programs' functions, so their clients run unchanged: `inc(k)` (adds 1 to the
 *   integer under key k, a missing key counting from 0, atomically; with `get` and `put` the
 *   manager seeds' store), `get_uname()`, `add`, `subtract`, `multiply`, `divide` (XML-RPC
 *   seed; division by zero is INVALID_PARAMS), and `search(number?, last_name?, first_name?)`
 *   over a small table, by position or by name (JSON-RPC seed);
 * - one shared queue: `get_queue()` answers it to Python's manager clients as a proxy, so the
 *   remote-queue example of Python's documentation runs against the demo, and to farcall/1
 *   callers as a reference ({@link DemoQueue}); `queue.put(item)`, `queue.get(timeoutMs?)`,
 *   `queue.size()` reach the same queue from any protocol.
 *
 * The keys, counters and queue live in `state`: process memory by default, or a store shared
 * by every instance (`farcall serve --store nats://...`), where the methods answer Promises.
 */
export function createDemoService(state: DemoState = memoryState()) {
  const { store, counters } = state;
  const jobs = state.queue ?? new SharedQueue();
  const service = {
    get(key: string): Maybe<unknown> {
      // null, not undefined: the answer a caller expects from any protocol (Python's None).
      const value = store.get(requireName(key, "key"));
      return value instanceof Promise ? value.then((v) => v ?? null) : (value ?? null);
    },
    put(key: string, value: unknown): Maybe<void> {
      return store.put(requireName(key, "key"), value);
    },
    inc(key: string): Maybe<number> {
      return store.increment(requireName(key, "key"));
    },
    delete(key: string): Maybe<boolean> {
      return store.delete(requireName(key, "key"));
    },
    keys(): Maybe<string[]> {
      return store.keys();
    },
    counter: {
      get(name: string): Maybe<number> {
        return counters.get(requireName(name, "name"));
      },
      inc(name: string): Maybe<number> {
        return counters.add(requireName(name, "name"), 1);
      },
      add(name: string, n: number): Maybe<number> {
        return counters.add(requireName(name, "name"), requireSafeInteger(n, "n"));
      },
    },
    uname(): string {
      return `${os.type()} ${os.release()} ${os.arch()}`;
    },
    echo<T>(value: T): T {
      return value;
    },
    sleep,
    account: new Account(),
    get_uname,
    add,
    subtract,
    multiply,
    divide,
    search,
    queue: {
      put(item: unknown): Promise<void> {
        return jobs.put(item);
      },
      get(timeoutMs?: number): Promise<unknown> {
        return jobs.get({ timeoutMs });
      },
      size(): Maybe<number> {
        return jobs.qsize();
      },
    },
    get_queue(): Ref<DemoQueue> {
      const protocol = currentCall()?.protocol;
      // JSON-RPC and XML-RPC carry no references; their callers have queue.* for the same queue.
      if (protocol === "jsonrpc" || protocol === "xmlrpc") {
        throw new RpcError("INVALID_REQUEST", `get_queue() answers the queue by reference, which only farcall/1 and Python's manager clients can hold; over ${protocol} use queue.put(item), queue.get(timeoutMs) and queue.size()`);
      }
      // Both kinds of queue are shared objects, already marked to travel by reference.
      return ref<DemoQueue>(jobs);
    },
  };
  describeAll(service);
  return service;
}

/**
 * What introspection (`system.methodHelp`, OpenRPC) says of each method, and which ones a
 * client may retry on another instance (reads, and `put`, whose second run changes nothing).
 */
function describeAll(s: DemoApi): void {
  const str = (name: string) => ({ name, type: "string" });
  describeMethod(s.get, { description: "The value stored under key, or null.", params: [str("key")], idempotent: true });
  describeMethod(s.put, { description: "Stores value under key.", params: [str("key"), { name: "value" }], idempotent: true });
  describeMethod(s.delete, { description: "Removes key; true when it was there.", params: [str("key")], returns: "boolean" });
  describeMethod(s.keys, { description: "Every key, sorted.", params: [], returns: "array", idempotent: true });
  describeMethod(s.counter.get, { description: "The counter's value (0 when it was never incremented).", params: [str("name")], returns: "int", idempotent: true });
  describeMethod(s.counter.inc, { description: "Adds 1 to the counter, atomically; returns the new value.", params: [str("name")], returns: "int" });
  describeMethod(s.counter.add, { description: "Adds n to the counter, atomically; returns the new value.", params: [str("name"), { name: "n", type: "int" }], returns: "int" });
  describeMethod(s.uname, { description: "The server's operating system, release and CPU.", params: [], returns: "string", idempotent: true });
  describeMethod(s.echo, { description: "Its argument, unchanged.", params: [{ name: "value" }], idempotent: true });
  describeMethod(s.inc, { description: "Adds 1 to the integer under key (a missing key counts from 0), atomically; returns the new value.", params: [str("key")], returns: "int" });
  describeMethod(s.get_uname, { description: "str(os.uname()) as Python prints it on the server.", params: [], returns: "string", idempotent: true });
  const xy = [{ name: "x", type: "double" }, { name: "y", type: "double" }];
  describeMethod(s.add, { description: "x + y.", params: xy, idempotent: true });
  describeMethod(s.subtract, { description: "x - y.", params: xy, idempotent: true });
  describeMethod(s.multiply, { description: "x * y.", params: xy, idempotent: true });
  describeMethod(s.divide, { description: "x / y; division by zero is INVALID_PARAMS.", params: xy, returns: "double", idempotent: true });
  describeMethod(s.sleep, { description: "Resolves after ms milliseconds (0 to one hour); a caller that cancels or times out stops it.", params: [{ name: "ms", type: "int" }], returns: "nil", idempotent: true });
  describeMethod(s.account.deposit, { description: "Adds amount (a positive integer, in cents) to the shared account; returns the new balance.", params: [{ name: "amount", type: "int" }], returns: "int" });
  describeMethod(s.account.withdraw, {
    description: "Takes amount (a positive integer, in cents) out of the shared account; returns the new balance.",
    params: [{ name: "amount", type: "int" }],
    returns: "int",
    errors: { INSUFFICIENT_FUNDS: { description: "amount exceeds the balance", data: balanceData } },
  });
  describeMethod(s.account.balance, { description: "The shared account's balance, in cents.", params: [], returns: "int", idempotent: true });
  describeMethod(s.queue.put, { description: "Adds item to the end of the shared queue (the one get_queue answers).", params: [{ name: "item" }], returns: "nil" });
  describeMethod(s.queue.get, {
    description: "Takes the first item of the shared queue, waiting for one up to timeoutMs (for ever when left out); QUEUE_EMPTY when none came.",
    params: [{ name: "timeoutMs", type: "double", optional: true }],
  });
  describeMethod(s.queue.size, { description: "How many items the shared queue holds.", params: [], returns: "int", idempotent: true });
  describeMethod(s.get_queue, { description: "The demo's shared queue, by reference: a Queue proxy to Python's manager clients (as in Python's remote-queue example), a reference over farcall/1.", params: [] });
  describeMethod(s.search, {
    description: "The people matching every criterion given (by position or by name); none lists them all.",
    // Every criterion may be left out, as the seed's Python defaults say (and one object of
    // them is JSON-RPC's named params).
    params: [str("number"), str("last_name"), str("first_name")].map((p) => ({ ...p, optional: true })),
    returns: "array",
    idempotent: true,
  });
}

/** The type of the demo service, for `connect<DemoApi>(url)`. */
export type DemoApi = ReturnType<typeof createDemoService>;
