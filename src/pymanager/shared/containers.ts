/**
 * Shared data: a dict, a list, a namespace and a single value that every client of a server
 * reads and changes in place (Python's SyncManager `dict()`, `list()`, `Namespace()` and
 * `Value()`). Each operation runs in one synchronous step, so concurrent clients never see
 * half an update. Keys follow Python's equality (`1`, `1.0` and `True` are one key; tuples
 * are keys; lists are not), so a Python client finds what another stored.
 */
import { RpcError } from "../../core/errors.js";
import { hashKey } from "./py-equality.js";
import { MAX_SHARED_ITEMS, tooManyItems } from "./waiters.js";
import { SharedObject } from "./shared-object.js";

/** A dict shared by every client: a JavaScript Map behind Python's `dict` proxy. */
export class SharedDict<K = unknown, V = unknown> extends SharedObject {
  readonly #entries = new Map<unknown, [K, V]>();

  constructor(entries?: Iterable<readonly [K, V]>) {
    super();
    if (entries) for (const [k, v] of entries) this.set(k, v);
  }

  size(): number {
    return this.#entries.size;
  }

  has(key: K): boolean {
    return this.#entries.has(hashKey(key));
  }

  /** The value under `key`, or undefined. */
  get(key: K): V | undefined {
    return this.#entries.get(hashKey(key))?.[1];
  }

  /** Stores `value` under `key`. @throws RpcError RESOURCE_EXHAUSTED past 1,000,000 keys. */
  set(key: K, value: V): void {
    const h = hashKey(key);
    const entry = this.#entries.get(h);
    if (entry !== undefined) {
      entry[1] = value;
      return;
    }
    if (this.#entries.size >= MAX_SHARED_ITEMS) throw tooManyItems("the dict", this.#entries.size);
    this.#entries.set(h, [key, value]);
  }

  /** Removes `key`; true when it was there. */
  delete(key: K): boolean {
    return this.#entries.delete(hashKey(key));
  }

  clear(): void {
    this.#entries.clear();
  }

  /** Keys in insertion order, as Python keeps them. */
  keys(): K[] {
    return [...this.#entries.values()].map((e) => e[0]);
  }

  values(): V[] {
    return [...this.#entries.values()].map((e) => e[1]);
  }

  /** `[key, value]` pairs in insertion order. */
  entries(): [K, V][] {
    return [...this.#entries.values()].map(([k, v]) => [k, v]);
  }

  /** A copy as a Map. */
  toMap(): Map<K, V> {
    return new Map(this.entries());
  }
}

/** A list shared by every client, behind Python's `list` proxy. */
export class SharedList<T = unknown> extends SharedObject {
  #items: T[];

  constructor(items: Iterable<T> = []) {
    super();
    this.#items = [...items];
    if (this.#items.length > MAX_SHARED_ITEMS) throw tooManyItems("the list", this.#items.length);
  }

  length(): number {
    return this.#items.length;
  }

  /** The item at `index` (negative counts from the end). @throws RpcError IndexError when out of range. */
  at(index: number): T {
    return this.#items[this.#index(index)];
  }

  /** Replaces the item at `index`. @throws RpcError IndexError when out of range. */
  set(index: number, value: T): void {
    this.#items[this.#index(index)] = value;
  }

  /** Appends items; returns the new length. */
  push(...items: T[]): number {
    if (this.#items.length + items.length > MAX_SHARED_ITEMS) throw tooManyItems("the list", this.#items.length);
    return this.#items.push(...items);
  }

  /** Removes `deleteCount` items from `start`, inserts `items` there, and returns the removed ones. */
  splice(start: number, deleteCount: number, ...items: T[]): T[] {
    if (this.#items.length - Math.max(0, deleteCount) + items.length > MAX_SHARED_ITEMS) throw tooManyItems("the list", this.#items.length);
    return this.#items.splice(start, deleteCount, ...items);
  }

  /** A copy of the items. */
  toArray(): T[] {
    return [...this.#items];
  }

  #index(index: number): number {
    if (typeof index !== "number" || !Number.isInteger(index)) throw new RpcError("TypeError", `list indices must be integers, got ${String(index)}`);
    const i = index < 0 ? index + this.#items.length : index;
    if (i < 0 || i >= this.#items.length) throw new RpcError("IndexError", "list index out of range");
    return i;
  }
}

/** Named attributes shared by every client (Python's `Namespace`). */
export class SharedNamespace extends SharedObject {
  readonly #attributes = new Map<string, unknown>();

  constructor(attributes: Record<string, unknown> = {}) {
    super();
    for (const [k, v] of Object.entries(attributes)) this.set(k, v);
  }

  /** The attribute `name`. @throws RpcError AttributeError when there is none. */
  get(name: string): unknown {
    if (!this.#attributes.has(name)) throw new RpcError("AttributeError", `'Namespace' object has no attribute '${name}'`);
    return this.#attributes.get(name);
  }

  set(name: string, value: unknown): void {
    if (typeof name !== "string") throw new RpcError("TypeError", "attribute name must be string");
    if (!this.#attributes.has(name) && this.#attributes.size >= MAX_SHARED_ITEMS) throw tooManyItems("the namespace", this.#attributes.size);
    this.#attributes.set(name, value);
  }

  /** @throws RpcError AttributeError when there is no such attribute. */
  delete(name: string): void {
    if (!this.#attributes.delete(name)) throw new RpcError("AttributeError", String(name));
  }

  /** The attributes as a plain object. */
  toObject(): Record<string, unknown> {
    return Object.fromEntries(this.#attributes);
  }
}

/** One value shared by every client (Python's `Value(typecode, value)`; the typecode is kept, not enforced, as Python's manager does). */
export class SharedValue<T = unknown> extends SharedObject {
  #value: T;

  constructor(value: T, readonly typecode = "") {
    super();
    this.#value = value;
  }

  get(): T {
    return this.#value;
  }

  set(value: T): void {
    this.#value = value;
  }
}
