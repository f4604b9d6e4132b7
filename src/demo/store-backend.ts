/**
 * Where the demo service keeps its keys, counters and queue: in process memory by default, or
 * in a store every instance shares (a NATS JetStream key-value bucket, store-nats.ts, and a
 * work-queue stream, queue-nats.ts). Methods
 * may answer synchronously (memory) or with a Promise (a networked store); the service
 * passes either through, so the in-memory demo stays synchronous.
 */
import { MemoryCounters } from "./counters.js";
import { MemoryKeyValueStore } from "./kv-store.js";
import { SharedQueue } from "../pymanager/shared/queue.js";
import type { NatsQueue } from "./queue-nats.js";

/** A value now or later. */
export type Maybe<T> = T | Promise<T>;

/** The key-value part of the demo's state. Arguments are checked by the service. */
export interface KeyValueBackend {
  /** The value under `key`, or undefined. */
  get(key: string): Maybe<unknown>;
  put(key: string, value: unknown): Maybe<void>;
  /** Adds 1 to the integer under `key` (missing counts as 0), atomically; answers the new value. */
  increment(key: string): Maybe<number>;
  /** True when `key` was there. */
  delete(key: string): Maybe<boolean>;
  /** Every key, sorted. */
  keys(): Maybe<string[]>;
}

/** The counters part of the demo's state: every add is atomic, however many writers race. */
export interface CountersBackend {
  /** The counter's value; 0 for a counter never written. */
  get(name: string): Maybe<number>;
  /** Adds `n` and answers the new value. */
  add(name: string, n: number): Maybe<number>;
}

/** The demo's whole state, and how to let go of it when the server stops. */
export interface DemoState {
  readonly store: KeyValueBackend;
  readonly counters: CountersBackend;
  /** The shared queue: in process memory, or one every instance serves; absent: a fresh one in memory. */
  readonly queue?: SharedQueue | NatsQueue;
  /** Releases connections the state holds. */
  close(): Promise<void>;
}

/** Options of the demo's state. */
export interface DemoStateOptions {
  /** The queue's bound, as Python's `Queue(maxsize)`: a put waits for room beyond it; 0, none. @default 0 */
  queueMaxsize?: number;
}

/** Fresh state in process memory: each service has its own. */
export function memoryState(options: DemoStateOptions = {}): DemoState {
  const queue = new SharedQueue({ maxsize: options.queueMaxsize ?? 0 });
  return { store: new MemoryKeyValueStore(), counters: new MemoryCounters(), queue, close: async () => {} };
}
