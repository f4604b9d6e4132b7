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

// ---- references and streams --------------------------------------------------------------

import { ref, type RemoteStream } from "../../src/index.js";

class Account {
  deposit(amount: number): number {
    return amount;
  }
}

const refApi = {
  open: (_name: string) => ref(new Account()),
  subscribe: (topic: string, listener: (n: number) => void) => () => void [topic, listener],
  async *tail(app: string) {
    yield `${app}: line`;
  },
  save: async (name: string, chunks: AsyncIterable<Uint8Array>) => name.length + (chunks ? 0 : 1),
};
declare const refRemote: Remote<typeof refApi>;

export async function referenceChecks(): Promise<void> {
  const account = await refRemote.open("alice");
  const balance: number = await account.deposit(10); // a ref() object's methods return Promises
  account[Symbol.dispose]();
  const off = await refRemote.subscribe("views", (n) => console.log(n + 1));
  const nothing: void = await off(); // a returned function is a remote function
  off[Symbol.dispose]();
  const lines: RemoteStream<string> = await refRemote.tail("app");
  for await (const line of lines) {
    const s: string = line;
    void s;
  }
  async function* chunks() {
    yield new Uint8Array(1);
  }
  const saved: number = await refRemote.save("f", chunks());
  void [balance, nothing, saved];

  // @ts-expect-error a remote object's methods return Promises, not values
  const direct: number = account.deposit(1);
  // @ts-expect-error the listener's parameter is a number
  await refRemote.subscribe("views", (n: string) => n);
  void direct;
}
