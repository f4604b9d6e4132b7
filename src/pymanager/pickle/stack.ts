/**
 * The value side of the pickle decoder: the unpickling stack with its MARKs, the memo, and
 * the containers opcodes may still mutate. It tracks each stack value's nesting depth so a
 * tree is checked against maxDepth as it is built, and records when a second reference to a
 * container was handed out (memo GET, DUP, a factory's result), after which the depth must
 * be measured once the value is complete (pickle-graph.ts).
 */
import { RpcError } from "../../core/errors.js";
import { tooDeep } from "./graph.js";
import { describe } from "./globals.js";
import type { PickleReader } from "./reader.js";

/**
 * What a stack value is, where opcodes care: APPEND needs a list (not a tuple), SETITEM a
 * dict, ADDITEMS a set (not a frozenset), BUILD a record, REDUCE a tuple. The kind travels
 * with the value on the stack and in the memo, packed with its depth as depth * 8 + kind,
 * so no per-object table is needed.
 */
export const OTHER = 0;
export const LIST = 1;
export const DICT = 2;
export const SET = 3;
export const RECORD = 4;
export const TUPLE = 5;

const KIND_BITS = 3;
const KIND_MASK = 7;

export interface StackLimits {
  readonly maxDepth: number;
  readonly maxMemo: number;
  readonly maxStack: number;
}

export class UnpicklingStack {
  readonly values: unknown[] = [];
  /** Depth and kind of each stack value; depth is 0 for a scalar, 1 for a container of scalars. */
  private readonly meta: number[] = [];
  /** Stack lengths at each open MARK; the last one is the fence pops may not cross. */
  readonly marks: number[] = [];
  /** Dicts that met a key other than a str, and the Maps that replaced them. */
  replacements: Map<object, unknown> | undefined;
  /** The member keys of each set ADDITEMS has filled, so a later batch merges with the earlier ones. */
  setKeys: Map<Set<unknown>, Set<unknown>> | undefined;
  /** Sets ADDITEMS has filled with strs and numbers only, which need no member keys. */
  plainSets: Set<Set<unknown>> | undefined;
  /** Set once a container may be referenced twice: depths must then be measured at the end. */
  shared = false;
  /** Depth of the items the last popMark or popN returned. */
  itemsDepth = 0;
  // Memo by index: CPython numbers entries 0, 1, 2..., so arrays serve; a sparse index
  // only makes the array slower, never larger than its entries.
  private readonly memoValues: unknown[] = [];
  private readonly memoMeta: number[] = [];
  private memoSize = 0;

  constructor(private readonly reader: PickleReader, private readonly limits: StackLimits) {}

  fence(): number {
    return this.marks.length > 0 ? this.marks[this.marks.length - 1] : 0;
  }

  /** Index of the top value; throws when the stack above the fence is empty. */
  top(): number {
    const i = this.values.length - 1;
    if (i < this.fence()) throw this.reader.fail("stack underflow");
    return i;
  }

  push(value: unknown, depth: number, kind = OTHER): void {
    if (this.values.length >= this.limits.maxStack) {
      throw new RpcError("RESOURCE_EXHAUSTED", `pickle stack exceeds maxStack ${this.limits.maxStack}`);
    }
    this.values.push(value);
    this.meta.push((depth << KIND_BITS) | kind);
  }

  pop(): unknown {
    this.top();
    this.meta.pop();
    return this.values.pop();
  }

  /** Depth of the top value, without popping it. */
  topDepth(): number {
    return this.meta[this.top()] >> KIND_BITS;
  }

  /** Kind of the top value, without popping it. */
  topKind(): number {
    return this.meta[this.top()] & KIND_MASK;
  }

  mark(): void {
    if (this.marks.length >= this.limits.maxDepth) throw tooDeep(this.limits.maxDepth);
    this.marks.push(this.values.length);
  }

  /** Removes the values above the last MARK and the MARK itself; returns the values. */
  popMark(): unknown[] {
    const from = this.marks.pop();
    if (from === undefined) throw this.reader.fail("no MARK to pop");
    return this.cut(from);
  }

  /** Removes the top `n` values (TUPLE1 to TUPLE3). */
  popN(n: number): unknown[] {
    const from = this.values.length - n;
    if (from < this.fence()) throw this.reader.fail("stack underflow");
    return this.cut(from);
  }

  private cut(from: number): unknown[] {
    let depth = 0;
    for (let k = from; k < this.meta.length; k++) depth = Math.max(depth, this.meta[k] >> KIND_BITS);
    this.itemsDepth = depth;
    const items = this.values.slice(from);
    this.values.length = from;
    this.meta.length = from;
    return items;
  }

  /** Depth of a container holding values of depth `inner`, refused past the limit. */
  nested(inner: number): number {
    if (inner + 1 > this.limits.maxDepth) throw tooDeep(this.limits.maxDepth);
    return inner + 1;
  }

  /** The top value grew by values of depth `inner`. */
  deepen(inner: number): void {
    const i = this.top();
    const depth = Math.max(this.meta[i] >> KIND_BITS, this.nested(inner));
    this.meta[i] = (depth << KIND_BITS) | (this.meta[i] & KIND_MASK);
  }

  /** The top value, which must be a mutable container of `kind`. */
  target(kind: typeof LIST, opcode: string): unknown[];
  target(kind: typeof SET, opcode: string): Set<unknown>;
  target(kind: typeof RECORD, opcode: string): object;
  target(kind: number, opcode: string): unknown {
    const i = this.top();
    if ((this.meta[i] & KIND_MASK) !== kind) throw this.reader.fail(`${opcode} on a ${describe(this.values[i])}`);
    return this.values[i];
  }

  /** Replaces the value on top of the stack by `value`, here and wherever it was shared (memo, containers) once decoding ends. */
  replaceTop(value: unknown): void {
    const slot = this.top();
    (this.replacements ??= new Map()).set(this.values[slot] as object, value);
    this.values[slot] = value;
  }

  /** Sets key-value pairs from `items` (of depth `depth`) in the dict on top of the stack. */
  setItems(items: unknown[], depth: number, opcode: string): void {
    if (items.length % 2 !== 0) throw this.reader.fail(`${opcode} with an odd number of values`);
    const slot = this.top();
    let dict = this.values[slot];
    if ((this.meta[slot] & KIND_MASK) !== DICT) throw this.reader.fail(`${opcode} on a ${describe(dict)}`);
    dict = (this.replacements?.get(dict as object) as Map<unknown, unknown> | undefined) ?? dict;
    for (let k = 0; k < items.length; k += 2) {
      const key = items[k];
      if (dict instanceof Map) {
        dict.set(key, items[k + 1]);
      } else if (typeof key !== "string") {
        // The first key that is not a str: from here on this dict is a Map.
        const map = new Map<unknown, unknown>(Object.entries(dict as Record<string, unknown>));
        map.set(key, items[k + 1]);
        (this.replacements ??= new Map()).set(dict as object, map);
        this.values[slot] = map;
        dict = map;
      } else if (key === "__proto__") {
        // An own property named __proto__, never a prototype change.
        Object.defineProperty(dict, key, { value: items[k + 1], writable: true, enumerable: true, configurable: true });
      } else {
        (dict as Record<string, unknown>)[key] = items[k + 1];
      }
    }
    this.deepen(depth);
  }

  put(index: number): void {
    const i = this.top();
    if (this.memoValues[index] === undefined) {
      if (this.memoSize >= this.limits.maxMemo) {
        throw new RpcError("RESOURCE_EXHAUSTED", `pickle memo exceeds maxMemo ${this.limits.maxMemo} entries`);
      }
      this.memoSize++;
    }
    this.memoValues[index] = this.values[i];
    this.memoMeta[index] = this.meta[i];
  }

  /** MEMOIZE: the next index is the memo's size, as in CPython. */
  memoize(): void {
    this.put(this.memoSize);
  }

  get(index: number | bigint): void {
    const value = typeof index === "number" ? this.memoValues[index] : undefined;
    if (value === undefined) throw this.reader.fail(`memo has no entry ${index}`);
    // A second reference: the container may grow after being nested, so its depth is
    // measured again at the end.
    if (typeof value === "object" && value !== null) this.shared = true;
    this.pushMeta(value, this.memoMeta[index as number]);
  }

  dup(): void {
    const i = this.top();
    const value = this.values[i];
    if (typeof value === "object" && value !== null) this.shared = true;
    this.pushMeta(value, this.meta[i]);
  }

  private pushMeta(value: unknown, meta: number): void {
    this.push(value, meta >> KIND_BITS, meta & KIND_MASK);
  }
}
