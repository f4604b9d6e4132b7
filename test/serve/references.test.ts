// Both directions and references over a real connection: callbacks, functions and objects
// passed by reference, their release, and the caps that keep a careless peer bounded.
import assert from "node:assert/strict";
import { test } from "node:test";
import { close, connect, context, ref, release, RpcError, serve, type Remote } from "../../src/index.js";
import { rejectsWith, within } from "../helpers/bounded.js";
import { Collected } from "../helpers/gc.js";

class Account {
  #balance = 0;
  constructor(readonly owner: string) {}
  deposit(amount: number): number {
    if (typeof amount !== "number" || amount <= 0) throw new RpcError("INVALID_AMOUNT", `cannot deposit ${amount}`);
    return (this.#balance += amount);
  }
  balance(): number {
    return this.#balance;
  }
  _secret(): string {
    return "hidden";
  }
}

type ClientApi = { progress(pct: number): void; name(): string };

/** Server-side values the tests expect to be freed once the client lets go. */
const made = new Collected();

function makeApi() {
  const listeners = new Map<string, Set<(n: number) => unknown>>();
  const accounts = new Map<string, Account>();
  return {
    listeners,
    accounts,
    api: {
      async convert(steps: number): Promise<string> {
        const client = context().remote<ClientApi>();
        for (let i = 1; i <= steps; i++) await client.progress((100 * i) / steps);
        return `converted for ${await client.name()}`;
      },
      twice: async (fn: (x: number) => Promise<number>, x: number) => (await fn(x)) + (await fn(x)),
      makeAdder: (n: number) => {
        const adder = (x: number) => x + n;
        made.watch(`adder ${n}`, adder);
        return adder;
      },
      events: {
        subscribe(topic: string, listener: (n: number) => unknown) {
          let set = listeners.get(topic);
          if (!set) listeners.set(topic, (set = new Set()));
          set.add(listener);
          return () => {
            set!.delete(listener);
            release(listener);
          };
        },
        async emit(topic: string, n: number): Promise<number> {
          const set = listeners.get(topic) ?? new Set();
          await Promise.all([...set].map((l) => l(n)));
          return set.size;
        },
      },
      accounts: {
        open(owner: string) {
          let account = accounts.get(owner);
          if (!account) accounts.set(owner, (account = new Account(owner)));
          return ref(account);
        },
        ownerOf: (account: Account) => account.owner,
      },
      store: {
        keep: (fn: () => unknown) => {
          kept.push(fn);
          return kept.length;
        },
      },
    },
  };
}
const kept: unknown[] = [];

async function setup(t: import("node:test").TestContext, expose?: object, options: { maxReferences?: number } = {}) {
  const made = makeApi();
  const server = await serve(made.api, { listen: "tcp://127.0.0.1:0", logger: false, ...options });
  t.after(() => server.close({ drainMs: 0 }));
  const remote = await connect<typeof made.api>(server.addresses[0], { logger: false, ...(expose ? { expose } : {}), ...options });
  t.after(() => close(remote));
  return { ...made, server, remote };
}

test("a handler calls the client back over the same connection through context().remote()", async (t) => {
  const seen: number[] = [];
  const { remote } = await setup(t, { progress: (pct: number) => void seen.push(pct), name: () => "alice" });
  assert.equal(await within(remote.convert(4), 2000, "convert"), "converted for alice");
  assert.deepEqual(seen, [25, 50, 75, 100]);
});

test("calling back a client that exposes nothing answers METHOD_NOT_FOUND inside the handler", async (t) => {
  const { remote } = await setup(t);
  await rejectsWith(remote.convert(1), "METHOD_NOT_FOUND", 2000, "callback to nothing");
});

test("a function argument is called back by reference, and a returned function is callable", async (t) => {
  const { remote } = await setup(t);
  let calls = 0;
  assert.equal(await remote.twice(async (x) => (calls++, x * 10), 3), 60);
  assert.equal(calls, 2);
  const add5 = await remote.makeAdder(5);
  assert.equal(await add5(1), 6);
  assert.equal(await add5(10), 15);
});

test("subscribe gets a callback, events reach it, and unsubscribing is a remote call too", async (t) => {
  const { remote, listeners } = await setup(t);
  const views: number[] = [];
  const off = await remote.events.subscribe("views", (n) => void views.push(n));
  assert.equal(await remote.events.emit("views", 7), 1);
  assert.equal(await remote.events.emit("views", 8), 1);
  assert.deepEqual(views, [7, 8]);
  await off();
  assert.equal(listeners.get("views")!.size, 0);
  assert.equal(await remote.events.emit("views", 9), 0);
  assert.deepEqual(views, [7, 8], "no event after unsubscribing");
});

test("an object passed with ref() is a remote object whose calls run on the one server-side instance", async (t) => {
  const { remote, accounts } = await setup(t);
  const account = await remote.accounts.open("alice");
  assert.equal(await account.deposit(10), 10);
  assert.equal(await account.deposit(5), 15);
  const again = await remote.accounts.open("alice");
  assert.equal(again, account, "the same reference arrives as the same proxy");
  assert.equal(accounts.get("alice")!.balance(), 15);
  await rejectsWith(account.deposit(-1), "INVALID_AMOUNT", 2000, "handler error through a reference");
  // @ts-expect-error private by convention: never callable, not even through a reference
  await rejectsWith(account._secret(), "METHOD_NOT_FOUND", 2000, "_secret");
  assert.equal(await remote.accounts.ownerOf(account as unknown as Account), "alice", "a reference sent back arrives as the original object");
});

test("a released reference rejects with RELEASED on the caller's side and is gone on the exporter's", async (t) => {
  const { remote, server } = await setup(t);
  void server;
  const account = await remote.accounts.open("bob");
  await account.deposit(1);
  account[Symbol.dispose]();
  const err = await rejectsWith(account.deposit(1), "RELEASED", 2000, "call after dispose");
  assert.match(err.message, /released/);
  const add = await remote.makeAdder(1);
  release(add);
  await rejectsWith(add(1), "RELEASED", 2000, "function after release()");
});

test("`using` releases a remote object at the end of its block", async (t) => {
  const { remote } = await setup(t);
  let escaped: Remote<Account> | undefined;
  {
    using account = await remote.accounts.open("carol");
    await account.deposit(3);
    escaped = account;
  }
  await rejectsWith(escaped!.deposit(1), "RELEASED", 2000, "call after the using block");
});

test("the exporter frees a function once the importer releases it, and other references stay usable", async (t) => {
  const { remote } = await setup(t);
  const add = await remote.makeAdder(2);
  const add3 = await remote.makeAdder(3);
  assert.equal(await add(1), 3);
  add[Symbol.dispose]();
  assert.ok(await made.waitFor("adder 2", 5000), "the server's function was freed after the release");
  assert.equal(await add3(1), 4, "releasing one reference never disturbs another");
  assert.equal(made.has("adder 3"), false);
});

test("a remote function the application drops is released by garbage collection", async (t) => {
  const { remote } = await setup(t);
  await (async () => {
    const add = await remote.makeAdder(40);
    assert.equal(await add(2), 42);
  })();
  assert.ok(await made.waitFor("adder 40", 5000), "collecting the client's proxy freed the server's function");
});

test("an object received twice is one proxy, released as a whole, and can be received afresh", async (t) => {
  const { remote } = await setup(t);
  const account1 = await remote.accounts.open("erin");
  const account2 = await remote.accounts.open("erin");
  assert.equal(account1, account2);
  // Released once: both receipts go back together, so the object is released as a whole.
  account1[Symbol.dispose]();
  await rejectsWith(account2.balance(), "RELEASED", 2000, "the one proxy is released");
  const account3 = await remote.accounts.open("erin");
  assert.equal(await account3.deposit(2), 2, "a fresh receipt after the release works");
});

test("past maxReferences an export fails that call with RESOURCE_EXHAUSTED and the session stays up", async (t) => {
  const { remote, server } = await setup(t);
  const capped = await connect<ReturnType<typeof makeApi>["api"]>(server.addresses[0], { logger: false, maxReferences: 3 });
  t.after(() => close(capped));
  for (let i = 0; i < 3; i++) assert.equal(typeof (await capped.store.keep(() => i)), "number");
  const err = await rejectsWith(capped.store.keep(() => 99), "RESOURCE_EXHAUSTED", 2000, "a fourth export while the server holds three");
  assert.match(err.message, /maxReferences/);
  assert.equal(await capped.events.emit("none", 1), 0, "the connection still answers");
  void remote;
});

test("a peer sending more references than maxReferences gets RESOURCE_EXHAUSTED for that call only", async (t) => {
  const { server } = await setup(t);
  const capped = await connect<ReturnType<typeof makeApi>["api"]>(server.addresses[0], { logger: false, maxReferences: 2 });
  t.after(() => close(capped));
  const held = [await capped.makeAdder(1), await capped.makeAdder(2)];
  await rejectsWith(capped.makeAdder(3), "RESOURCE_EXHAUSTED", 2000, "a third import past the cap");
  assert.equal(await held[0](1), 2, "references already held still work");
  release(held[1]);
  const next = await capped.makeAdder(4);
  assert.equal(await next(1), 5, "a release makes room again");
});

test("calls on a reference from a session that ended reject with UNAVAILABLE, never hang", async (t) => {
  const { remote, server } = await setup(t);
  const account = await remote.accounts.open("dave");
  await server.close({ drainMs: 0 });
  await rejectsWith(account.deposit(1), "UNAVAILABLE", 2000, "call on a dead reference");
});

test("a callback the client holds stops being called when the client goes away; the server's call fails cleanly", async (t) => {
  const { remote, listeners } = await setup(t);
  await remote.events.subscribe("x", () => 1);
  const listener = [...listeners.get("x")!][0];
  await close(remote);
  await rejectsWith(Promise.resolve(listener(1)), "UNAVAILABLE", 2000, "callback into a closed session");
});
