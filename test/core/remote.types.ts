// Compile-time checks of Remote<T>, run by `npm run typecheck` (part of `npm test`).
// Each @ts-expect-error line must fail to compile; if it ever compiles, tsc reports it.
import type { Remote } from "../../src/index.js";

class Counter {
  #count = 0;
  private hidden = 1;
  inc(by: number): number {
    return (this.#count += by + this.hidden);
  }
  async total(): Promise<number> {
    return this.#count;
  }
}

const api = {
  add: (a: number, b: number) => a + b,
  kv: { get: (k: string): string | null => k, put: (k: string, v: unknown): void => void [k, v] },
  counter: new Counter(),
  _private: () => 1,
  version: "1.0",
};
type Api = typeof api;
declare const remote: Remote<Api>;

export async function checks(): Promise<void> {
  const sum: number = await remote.add(1, 2);
  const value: string | null = await remote.kv.get("a");
  const nothing: void = await remote.kv.put("a", 1);
  const n: number = await remote.counter.inc(1);
  const total: number = await remote.counter.total(); // a Promise is not wrapped twice
  const p: Promise<number> = remote.add(1, 2);
  void [sum, value, nothing, n, total, p];

  // @ts-expect-error wrong argument type
  await remote.add("1", 2);
  // @ts-expect-error missing argument
  await remote.kv.get();
  // @ts-expect-error the result is a Promise, not the value
  const notAwaited: number = remote.add(1, 2);
  // @ts-expect-error names starting with _ are not exposed
  await remote._private();
  // @ts-expect-error data properties are not methods
  await remote.version();
  // @ts-expect-error private members are not exposed
  await remote.counter.hidden;
  void notAwaited;
}
