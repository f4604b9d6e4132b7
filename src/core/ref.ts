/**
 * Passing by reference. Functions always travel by reference; an object travels by
 * reference when marked with `ref()` (otherwise its data is copied); an async iterable
 * travels as a stream. The other side gets a proxy whose calls come back here over the same
 * session.
 */

declare const REF_BRAND: unique symbol;

/**
 * An object marked to travel by reference. The type stays `T` on this side; the other side
 * sees `RemoteObject<T>`.
 */
export type Ref<T extends object> = T & { readonly [REF_BRAND]: T };

const marked = new WeakSet<object>();
let markedCount = 0;

/**
 * Marks `obj` so that it is passed by reference: the other side gets a proxy of its methods
 * (as with a served object), and calls on it run here, on this very instance. Returns `obj`.
 * @example open(name: string) { return ref(new Account(name)); }
 */
export function ref<T extends object>(obj: T): Ref<T> {
  if ((typeof obj !== "object" && typeof obj !== "function") || obj === null) throw new TypeError("ref() needs an object");
  if (!marked.has(obj)) {
    marked.add(obj);
    markedCount++;
  }
  return obj as Ref<T>;
}

/** True when `obj` was marked by {@link ref}. Costs nothing while nothing was ever marked. */
export function isMarkedRef(obj: object): boolean {
  return markedCount !== 0 && marked.has(obj);
}

/** `Symbol.dispose`, also on a Node that predates it. */
export const DISPOSE: typeof Symbol.dispose = Symbol.dispose ?? (Symbol.for("nodejs.dispose") as typeof Symbol.dispose);
/** `Symbol.asyncDispose`, also on a Node that predates it. */
export const ASYNC_DISPOSE: typeof Symbol.asyncDispose = Symbol.asyncDispose ?? (Symbol.for("nodejs.asyncDispose") as typeof Symbol.asyncDispose);

/** A stream received from the other side: iterate it once; `return()` (or `break`) stops its producer. */
export interface RemoteStream<T> extends AsyncIterableIterator<T>, Disposable {
  /** Stops the producer (its `finally` blocks run) and ends the iteration. */
  return(value?: unknown): Promise<IteratorResult<T>>;
}
