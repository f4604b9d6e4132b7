// What a caller sees when a call fails.
import assert from "node:assert/strict";
import { stateOf } from "../../src/core/remote.js";
import { test } from "node:test";
import { close, connect, RpcError, serve } from "../../src/index.js";

class Counter {
  #n = 0;
  inc(): number {
    return ++this.#n;
  }
  _secretReset(): void {
    this.#n = 0;
  }
}

function explodeInHandler(): never {
  throw new TypeError("x is not a function");
}

const api = {
  refuse: () => {
    throw new RpcError("INSUFFICIENT_FUNDS", "balance too low", { balance: 5, wanted: 10 });
  },
  refuseNumeric: async () => {
    throw new RpcError(4001, "numeric application code");
  },
  explode: () => explodeInHandler(),
  explodeLater: async () => {
    await Promise.resolve();
    explodeInHandler();
  },
  throwString: () => {
    throw "plain text";
  },
  _secret: () => "never",
  counter: new Counter(),
};

async function failure(p: Promise<unknown>): Promise<RpcError> {
  try {
    await p;
  } catch (err) {
    assert.ok(RpcError.is(err));
    return err;
  }
  assert.fail("expected the call to fail");
}

async function setup(t: { after(fn: () => unknown): void }, exposeErrorStacks = false) {
  const server = await serve(api, { listen: "tcp://127.0.0.1:0", logger: false, exposeErrorStacks });
  t.after(() => server.close());
  const remote = await connect<typeof api>(server.addresses[0]);
  t.after(() => close(remote));
  return remote;
}

test("an RpcError's code, message and data arrive intact", async (t) => {
  const remote = await setup(t);
  const err = await failure(remote.refuse());
  assert.equal(err.code, "INSUFFICIENT_FUNDS");
  assert.equal(err.message, "balance too low");
  assert.deepEqual(err.data, { balance: 5, wanted: 10 });
  const numeric = await failure(remote.refuseNumeric());
  assert.equal(numeric.code, 4001);
});

test("a thrown TypeError arrives as INTERNAL with its message and without the server's stack", async (t) => {
  const remote = await setup(t);
  for (const call of [remote.explode(), remote.explodeLater()]) {
    const err = await failure(call);
    assert.equal(err.code, "INTERNAL");
    assert.equal(err.message, "x is not a function");
    assert.equal(err.stack?.includes("explodeInHandler"), false, "the server's stack leaked");
  }
  assert.equal((await failure(remote.throwString())).message, "plain text");
});

test("with exposeErrorStacks the server's stack is sent", async (t) => {
  const remote = await setup(t, true);
  const err = await failure(remote.explode());
  assert.match(err.stack ?? "", /explodeInHandler/);
});

test("unknown, private and inherited names all answer METHOD_NOT_FOUND", async (t) => {
  const remote = await setup(t);
  const any = remote as unknown as Record<string, Record<string, () => Promise<unknown>>> & Record<string, () => Promise<unknown>>;
  // The proxy never turns inherited names into calls; the server refuses them anyway, so
  // they are sent here through the caller behind the proxy, as a hand-made client would.
  const { caller } = stateOf(remote, "test");
  const inherited = new Set(["__proto__", "constructor", "toString", "hasOwnProperty", "valueOf"]);
  const names = ["nope", "__proto__", "constructor", "toString", "hasOwnProperty", "valueOf", "_secret", "#n", "$methods.x"];
  for (const name of names) {
    const sent = inherited.has(name) ? caller.call(name, [], {}) : any[name]();
    assert.equal((await failure(sent)).code, "METHOD_NOT_FOUND", name);
    // toString prints the remote locally; the other inherited names are not there at all.
    if (name === "toString") assert.match(String(any.toString()), /^Remote</, "toString prints the remote, with no call");
    else if (inherited.has(name)) assert.notEqual(typeof any[name], "function", `the proxy makes no call of ${name}`);
  }
  for (const name of ["constructor", "_secretReset", "__proto__", "toString", "#n"]) {
    const sent = inherited.has(name) ? caller.call(`counter.${name}`, [], {}) : any.counter[name]();
    assert.equal((await failure(sent)).code, "METHOD_NOT_FOUND", `counter.${name}`);
  }
  assert.equal(await remote.counter.inc(), 1, "the public method still works");
});
