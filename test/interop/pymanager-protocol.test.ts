/**
 * The pymanager pieces without sockets or Python: the challenge forms against the test
 * vectors in PYMANAGER.md, Python's framing, Python's repr, how errors map to Python
 * exceptions, and the request semantics of the server (referents and their counts).
 */
import { pipelineFor } from "../helpers/pipeline.js";
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { decodePickle, encodePickle, PickleGlobal, PickleTuple, recordGlobals } from "../../src/pymanager/pickle/pickle.js";
import type { PeerInfo } from "../../src/core/context.js";
import { RpcError } from "../../src/core/errors.js";
import { ref } from "../../src/core/ref.js";
import { decodeReply, encodeRequest } from "../../src/pymanager/client-protocol.js";
import { errorReply } from "../../src/pymanager/errors.js";
import { pyRepr, pyStr } from "../../src/pymanager/repr.js";
import { PyManagerService, type PyManagerConnection } from "../../src/pymanager/server.js";
import { answerChallenge, CHALLENGE, verifyResponse } from "../../src/pymanager/auth.js";
import { PyFrameReader, pyFrame } from "../../src/pymanager/framing.js";

const key = Buffer.from("password");
const range = (n: number): Buffer => Buffer.from(Array.from({ length: n }, (_, i) => i));
const hex = (b: Uint8Array): string => Buffer.from(b).toString("hex");

describe("pymanager challenge", () => {
  const p312 = Buffer.concat([Buffer.from("{sha256}"), range(40)]);

  it("answers a 20-byte challenge with raw HMAC-MD5, as Python 3.11 and 2.7 expect", () => {
    assert.equal(hex(answerChallenge(key, Buffer.concat([CHALLENGE, range(20)]))!), "8477eee15aeeb85e7ed2a828ac3828b9");
  });

  it("answers a {sha256} challenge with {sha256} and the HMAC over the whole message, prefix included", () => {
    const answer = answerChallenge(key, Buffer.concat([CHALLENGE, p312]))!;
    assert.equal(answer.subarray(0, 8).toString(), "{sha256}");
    assert.equal(hex(answer.subarray(8)), "c78bca77d832c64a2d71ffa962fb0505b5abc895a6cb7d0b9fa73ce309ad8d30");
  });

  it("refuses to answer a frame without #CHALLENGE#, a message under 20 bytes, or an unknown digest", () => {
    assert.equal(answerChallenge(key, range(40)), undefined);
    assert.equal(answerChallenge(key, Buffer.concat([CHALLENGE, range(19)])), undefined);
    assert.equal(answerChallenge(key, Buffer.concat([CHALLENGE, Buffer.from("{crc32}"), range(40)])), undefined);
    assert.equal(answerChallenge(key, Buffer.concat([CHALLENGE, Buffer.from("{sha256"), range(40)])), undefined);
  });

  it("accepts a raw HMAC-MD5 over the {sha256} message (a 3.11 client) and a {sha256} reply (3.12+)", () => {
    assert.ok(verifyResponse(key, p312, Buffer.from("3c51d31eef8efa28b498f9d62b59b583", "hex")));
    assert.ok(verifyResponse(key, p312, answerChallenge(key, Buffer.concat([CHALLENGE, p312]))!));
  });

  it("rejects a wrong key, a truncated reply and an unknown digest name", () => {
    const good = answerChallenge(key, Buffer.concat([CHALLENGE, p312]))!;
    assert.equal(verifyResponse(Buffer.from("wrong"), p312, good), false);
    assert.equal(verifyResponse(key, p312, good.subarray(0, 30)), false);
    assert.equal(verifyResponse(key, p312, Buffer.concat([Buffer.from("{nope}"), good.subarray(8)])), false);
    assert.equal(verifyResponse(key, p312, Buffer.alloc(16)), false);
  });
});

describe("pymanager framing", () => {
  function collect(limit: number): { reader: PyFrameReader; frames: string[]; errors: RpcError[] } {
    const frames: string[] = [];
    const errors: RpcError[] = [];
    const reader = new PyFrameReader(limit, "maxFrameBytes", (b) => frames.push(b.toString()), (e) => errors.push(e));
    return { reader, frames, errors };
  }

  it("writes a 4-byte big-endian length before the payload, in one buffer", () => {
    assert.equal(hex(pyFrame(Buffer.from("ab"))), "000000026162");
  });

  it("reads frames split at every byte, including an empty frame", () => {
    const bytes = Buffer.concat([pyFrame(Buffer.from("one")), pyFrame(Buffer.alloc(0)), pyFrame(Buffer.from("three"))]);
    const { reader, frames } = collect(100);
    for (let i = 0; i < bytes.length; i++) reader.push(bytes.subarray(i, i + 1));
    assert.deepEqual(frames, ["one", "", "three"]);
  });

  it("reads the long form: -1, then an 8-byte length", () => {
    const { reader, frames } = collect(100);
    reader.push(Buffer.concat([Buffer.from("ffffffff0000000000000002", "hex"), Buffer.from("hi")]));
    assert.deepEqual(frames, ["hi"]);
  });

  it("refuses a length over the limit as soon as the header is read, and a negative length", () => {
    const big = collect(1024);
    big.reader.push(Buffer.from("ffffffff0000000080000000", "hex"));
    assert.equal(big.errors[0]?.code, "RESOURCE_EXHAUSTED");
    assert.match(big.errors[0]!.message, /frame of 2147483648 B exceeds maxFrameBytes 1024/);
    const negative = collect(1024);
    negative.reader.push(Buffer.from("fffffffe", "hex"));
    assert.equal(negative.errors[0]?.code, "PARSE_ERROR");
  });
});

describe("Python repr of plain values", () => {
  // Each expected text is what CPython 3.11 prints for repr() of the same value.
  const cases: Array<[unknown, string]> = [
    [null, "None"], [true, "True"], [10, "10"], [2n ** 70n, "1180591620717411303424"],
    [1.5, "1.5"], [1e16, "1e+16"], [1e-5, "1e-05"], [0.0001, "0.0001"], [123456789012345.6, "123456789012345.6"],
    [1.23e-7, "1.23e-07"], [5e-324, "5e-324"], [2 ** 53 + 2, "9007199254740994.0"], [-0, "-0.0"], [NaN, "nan"], [-Infinity, "-inf"],
    ["it's", `"it's"`], [`a"b'c`, `'a"b\\'c'`], ["\x00\u200b\u00e9 \t", "'\\x00\\u200bé \\t'"],
    [{ a: [1, null, true] }, "{'a': [1, None, True]}"], [new Set(), "set()"], [Buffer.from("a'\x00"), `b"a'\\x00"`],
  ];
  for (const [value, text] of cases) {
    it(`repr(${text})`, () => assert.equal(pyRepr(value), text));
  }

  it("str() of a str is the text itself", () => {
    assert.equal(pyStr("it's"), "it's");
    assert.equal(pyStr(null), "None");
  });
});

describe("errors as Python exceptions", () => {
  const globals = recordGlobals(["builtins.KeyError", "builtins.ValueError", "builtins.TypeError", "builtins.AttributeError"]);
  const sent = (error: unknown): unknown => decodePickle(encodePickle(errorReply(error)), { globals });

  it("an RpcError whose code is a Python exception name is that exception", () => {
    assert.deepEqual(sent(new RpcError("KeyError", "a")), ["#ERROR", { __class__: "builtins.KeyError", args: ["a"] }]);
  });

  it("RangeError is ValueError, TypeError is TypeError, METHOD_NOT_FOUND is AttributeError", () => {
    assert.deepEqual(sent(new RangeError("r")), ["#ERROR", { __class__: "builtins.ValueError", args: ["r"] }]);
    assert.deepEqual(sent(new TypeError("t")), ["#ERROR", { __class__: "builtins.TypeError", args: ["t"] }]);
    assert.deepEqual(sent(new RpcError("METHOD_NOT_FOUND", "m")), ["#ERROR", { __class__: "builtins.AttributeError", args: ["m"] }]);
  });

  it("any other error is a #TRACEBACK (RemoteError in Python) ending in its code and message, which farcall's client reads back", () => {
    const reply = sent(new Error("boom"));
    assert.deepEqual(reply, ["#TRACEBACK", "Traceback (most recent call last):\n  File \"<farcall manager server>\", line 0, in serve_client\nINTERNAL: boom\n"]);
    assert.throws(() => decodeReply(encodePickle(new PickleTuple(reply as unknown[]))), (e: unknown) => RpcError.is(e) && e.code === "INTERNAL" && e.message === "boom");
  });

  it("the client side turns #ERROR back into an RpcError named for the exception", () => {
    const frame = encodePickle(new PickleTuple(["#ERROR", new PickleGlobal("builtins", "KeyError", { args: ["k"] })]));
    assert.throws(() => decodeReply(frame), (e: unknown) => RpcError.is(e) && e.code === "KeyError" && e.message === "k");
  });
});

describe("pymanager server semantics", () => {
  const peer: PeerInfo = { transport: "tcp", address: "127.0.0.1", port: 1, authenticated: true };
  const conn = (): PyManagerConnection => ({ peer, stream: false, address: new PickleTuple(["127.0.0.1", 50000]) });
  class Store {
    private data: Record<string, unknown> = {};
    set(k: string, v: unknown): void {
      this.data[k] = v;
    }
    get(k: string): unknown {
      return this.data[k] ?? null;
    }
  }
  const api = {
    get: (k: string) => (k === "n" ? 10 : null),
    options: (a: number, opts?: { scale?: number }) => a * (opts?.scale ?? 1),
    makeStore: () => new Store(),
    kv: new Store(),
  };
  const roundTrip = (value: unknown): unknown => decodePickle(encodePickle(value), { globals: recordGlobals(["builtins.KeyError", "builtins.AttributeError"]) });
  const request = (ident: string | null, method: string, args: unknown[] = [], kwds: Record<string, unknown> = {}): unknown =>
    decodePickle(encodeRequest(ident, method, args, kwds));

  it("create holds a function's result with refcount 1; incref and decref move it; it is freed at zero", async () => {
    const service = new PyManagerService(pipelineFor(api));
    const created = roundTrip((await service.handle(conn(), request(null, "create", ["get", "n"]))).reply) as [string, [string, string[]]];
    assert.equal(created[0], "#RETURN");
    const [ident, exposed] = created[1];
    assert.ok(exposed.includes("conjugate"));
    await service.handle(conn(), request(null, "incref", [ident]));
    await service.handle(conn(), request(null, "decref", [ident]));
    assert.equal(service.referents.size, 1);
    await service.handle(conn(), request(null, "decref", [ident]));
    assert.equal(service.referents.size, 0);
    // As Python's server answers a failed server request: a traceback ending in the KeyError, never the exception itself.
    const again = roundTrip((await service.handle(conn(), request(null, "decref", [ident]))).reply) as [string, unknown];
    assert.deepEqual(again, ["#TRACEBACK", `Traceback (most recent call last):\n  File "<farcall manager server>", line 0, in _handle_request\n  File "<farcall manager server>", line 0, in decref\nKeyError: '${ident}'\n`]);
  });

  it("named arguments arrive as a trailing object", async () => {
    const service = new PyManagerService(pipelineFor(api));
    const c = conn();
    const [, [ident]] = roundTrip((await service.handle(c, request(null, "create", ["options", 21], { scale: 2 }))).reply) as [string, [string]];
    const stream = conn();
    await service.handle(stream, request(null, "accept_connection", ["MainProcess"]));
    assert.deepEqual(roundTrip((await service.handle(stream, request(ident, "#GETVALUE"))).reply), ["#RETURN", 42]);
  });

  it("an exposed namespace and a returned class instance answer their methods on a stream", async () => {
    const service = new PyManagerService(pipelineFor(api));
    const stream = conn();
    await service.handle(stream, request(null, "accept_connection", ["MainProcess"]));
    for (const typeid of ["kv", "makeStore"]) {
      const [, [ident, exposed]] = roundTrip((await service.handle(conn(), request(null, "create", [typeid]))).reply) as [string, [string, string[]]];
      assert.deepEqual([...exposed].sort(), ["get", "set"]);
      await service.handle(stream, request(ident, "set", ["a", 1]));
      assert.deepEqual(roundTrip((await service.handle(stream, request(ident, "get", ["a"]))).reply), ["#RETURN", 1]);
    }
  });

  it("a referent lives until its reference count reaches zero, whatever stream used it; a server method on a stream is refused", async () => {
    const service = new PyManagerService(pipelineFor(api));
    const stream = conn();
    await service.handle(stream, request(null, "accept_connection", ["MainProcess"]));
    const [, [ident]] = roundTrip((await service.handle(conn(), request(null, "create", ["get", "n"]))).reply) as [string, [string]];
    assert.deepEqual(roundTrip((await service.handle(stream, request(ident, "conjugate"))).reply), ["#RETURN", 10]);
    assert.deepEqual(roundTrip((await service.handle(stream, request(ident, "__repr__"))).reply), ["#RETURN", "10"]);
    const refused = roundTrip((await service.handle(stream, request(null, "create", ["get", "n"]))).reply) as [string, string];
    assert.equal(refused[0], "#TRACEBACK");
    assert.equal(service.referents.size, 1);
    await service.handle(conn(), request(null, "decref", [ident]));
    assert.equal(service.referents.size, 0);
  });

  it("a referent's method returning a class instance answers #PROXY with a Token naming the class", async () => {
    class Bank {
      open(): Store {
        return new Store();
      }
    }
    const service = new PyManagerService(pipelineFor({ bank: new Bank() }));
    const stream = conn();
    await service.handle(stream, request(null, "accept_connection", ["MainProcess"]));
    const [, [bankIdent]] = roundTrip((await service.handle(conn(), request(null, "create", ["bank"]))).reply) as [string, [string]];
    const { reply } = await service.handle(stream, request(bankIdent, "open"));
    const globals = recordGlobals(["multiprocessing.managers.Token"]);
    const [kind, [exposed, token]] = decodePickle(encodePickle(reply), { globals }) as [string, [string[], { __class__: string; state: unknown[] }]];
    assert.equal(kind, "#PROXY");
    assert.deepEqual([...exposed].sort(), ["get", "set"]);
    assert.equal(token.__class__, "multiprocessing.managers.Token");
    const [typeid, address, ident] = token.state as [string, unknown, string];
    assert.deepEqual([typeid, address], ["Store", ["127.0.0.1", 50000]]);
    // Python's client increfs the new object, then drops the creation's reference.
    await service.handle(conn(), request(null, "incref", [ident]));
    await service.handle(conn(), request(null, "decref", [ident]));
    await service.handle(stream, request(ident, "set", ["a", 1]));
    assert.deepEqual(roundTrip((await service.handle(stream, request(ident, "get", ["a"]))).reply), ["#RETURN", 1]);
    assert.deepEqual(roundTrip((await service.handle(stream, request(ident, "__repr__"))).reply), ["#RETURN", "<Store object>"]);
    assert.equal(service.referents.size, 2);
    await service.handle(conn(), request(null, "decref", [ident]));
    assert.equal(service.referents.size, 1);
    // Python 2.7 passes the typeid to type(), which wants a byte str: at protocol 2 it is one.
    const py2 = Buffer.from(encodePickle(reply, { protocol: 2 }));
    assert.ok(py2.includes(Buffer.from([0x55, 5, ...Buffer.from("Store")])), "SHORT_BINSTRING 'Store'");
  });

  it("an object marked with ref() is held by reference too: created, or returned as a proxy typed Object", async () => {
    const counter = () => {
      let n = 0;
      return ref({ next: () => ++n });
    };
    const service = new PyManagerService(pipelineFor({ counter, factory: { make: counter } }));
    const [, [ident, exposed]] = roundTrip((await service.handle(conn(), request(null, "create", ["counter"]))).reply) as [string, [string, string[]]];
    assert.deepEqual(exposed, ["next"]);
    const stream = conn();
    await service.handle(stream, request(null, "accept_connection", ["MainProcess"]));
    assert.deepEqual(roundTrip((await service.handle(stream, request(ident, "next"))).reply), ["#RETURN", 1]);
    const [, [factory]] = roundTrip((await service.handle(conn(), request(null, "create", ["factory"]))).reply) as [string, [string]];
    const globals = recordGlobals(["multiprocessing.managers.Token"]);
    const proxy = decodePickle(encodePickle((await service.handle(stream, request(factory, "make"))).reply), { globals }) as [string, [string[], { state: unknown[] }]];
    assert.deepEqual([proxy[0], proxy[1][0], proxy[1][1].state[0]], ["#PROXY", ["next"], "Object"]);
  });

  it("shutdown is refused unless enabled; maxReferents bounds what clients may hold", async () => {
    const service = new PyManagerService(pipelineFor(api), { maxReferents: 1 });
    assert.equal((roundTrip((await service.handle(conn(), request(null, "shutdown"))).reply) as unknown[])[0], "#TRACEBACK");
    await service.handle(conn(), request(null, "create", ["kv"]));
    const full = roundTrip((await service.handle(conn(), request(null, "create", ["kv"]))).reply) as [string, string];
    assert.equal(full[0], "#TRACEBACK");
    assert.match(full[1], /RESOURCE_EXHAUSTED: the server holds 1 objects, maxReferents 1/);
  });
});
