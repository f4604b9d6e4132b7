// Compile-time checks that Remote<T> types what crosses the wire as what arrives, run by
// `npm run typecheck` (part of `npm test`). Each @ts-expect-error line must fail to compile.
import { ref, type Remote, type RemoteStream } from "../../src/index.js";
import { Point } from "../fixtures/point.js";

class Account {
  owner = "alice";
  balance = 10;
  opened = new Date(0);
  deposit(amount: number): number {
    return (this.balance += amount);
  }
}

// Point is registered with registerType() in type-registry.test.ts; this declares it to the types.
declare module "../../src/index.js" {
  interface RegisteredTypes {
    point: Point;
  }
}

const api = {
  account: (): Account => new Account(),
  accounts: (): Account[] => [new Account()],
  shared: () => ref(new Account()),
  adder: () => (a: number, b: number) => a + b,
  origin: () => new Point(0, 0),
  when: () => new Date(),
  table: () => new Map<string, number>([["a", 1]]),
  tags: () => new Set(["a"]),
  bytes: () => new Uint8Array(2),
  big: () => 2n ** 64n,
  nested: () => ({ at: new Date(), account: new Account(), list: [1, 2], pair: ["a", 1] as [string, number] }),
  async *ticks() {
    yield new Account();
  },
};
declare const remote: Remote<typeof api>;

export async function receivedChecks(): Promise<void> {
  // A class instance that is neither ref()'d nor registered arrives as its data fields only.
  const account = await remote.account();
  const owner: string = account.owner;
  const balance: number = account.balance;
  const opened: Date = account.opened;
  // @ts-expect-error its methods are not sent: calling one is a compile error, not a TypeError
  account.deposit(1);
  const [first] = await remote.accounts();
  // @ts-expect-error the same inside an array
  first!.deposit(1);
  void [owner, balance, opened];

  // A ref()'d object stays a remote object: its methods answer Promises.
  const shared = await remote.shared();
  const after: number = await shared.deposit(1);
  void after;

  // A function passes by reference and stays callable.
  const add = await remote.adder();
  const sum: number = await add(1, 2);
  void sum;

  // A registered type (declared in RegisteredTypes) arrives as itself, methods included.
  const origin = await remote.origin();
  const norm: number = origin.norm();
  void norm;

  // Date, Map, Set, Uint8Array and bigint stay themselves.
  const when: Date = await remote.when();
  const table: Map<string, number> = await remote.table();
  const tags: Set<string> = await remote.tags();
  const bytes: Uint8Array = await remote.bytes();
  const big: bigint = await remote.big();
  void [when.getTime(), table.get("a"), tags.has("a"), bytes.byteLength, big];

  // Plain data nests: dates stay dates, class instances lose their methods at any depth.
  const nested = await remote.nested();
  const at: Date = nested.at;
  const list: number[] = nested.list;
  const pair: [string, number] = nested.pair;
  // @ts-expect-error a nested class instance loses its methods too
  nested.account.deposit(1);
  void [at, list, pair];

  // A stream stays an async iterable, its items received in turn.
  const ticks: RemoteStream<{ owner: string; balance: number; opened: Date }> = await remote.ticks();
  for await (const tick of ticks) {
    // @ts-expect-error streamed class instances arrive as data too
    tick.deposit(1);
  }
}
