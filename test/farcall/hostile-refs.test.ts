// A farcall/1 server facing a hostile peer that plays with references and streams: calls on
// ids it never received, forged releases and credits, producers that overrun their credit or
// never produce, malformed reference extensions, floods of references, and abrupt
// disconnects. Every case asserts the exact protocol outcome, and that the server stays up
// for everyone else.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { after, before, describe, it, type TestContext } from "node:test";
import { close, connect, context, ref, RpcError, serve, type Remote, type Server } from "../../src/index.js";
import { until, within } from "../helpers/bounded.js";
import { Collected } from "../helpers/gc.js";
import { spawnTs } from "../helpers/processes.js";
import { LogCapture } from "../fixtures/hostile/log-capture.js";
import { CALL, ERROR, RESULT, RawPeer, frame } from "../fixtures/hostile/raw-peer.js";
import {
  CANCEL,
  CREDIT,
  END,
  MessageReader,
  NEXT,
  NOTIFY,
  RELEASE,
  REF_FUNCTION,
  REF_OBJECT,
  REF_STREAM,
  REF_YOURS,
  Raw,
  RefMark,
  describeMessages,
  packMessage,
  refExt,
  refExtOf,
  tagged,
} from "../fixtures/hostile/ref-wire.js";
import type { RefsServerApi } from "../fixtures/hostile/refs-server.js";

const KEY = "k";
const KiB = 1024;
const MiB = 1024 * KiB;
const MAX_WRITE_BUFFER_BYTES = 4 * MiB;
/** The default cap on live references per session, in each direction. */
const MAX_REFERENCES = 10_000;
/** Items a consumer grants at first (src/core/stream-import.ts STREAM_WINDOW). */
const WINDOW = 16;
/** Most items a consumer ever has granted and not taken (src/core/stream-import.ts MAX_STREAM_WINDOW). */
const MAX_WINDOW = 64;
/** The most credit a producer honours at once, whatever a consumer grants. */
const MAX_CREDIT = 65_536;
/** Scheduling allowance on top of a limit, for a loaded test machine. */
const SLACK_MS = 1500;
/** A tag extension of msgpack.ts: a registered type, `[name, data]`. */
const EXT_REGISTERED = 4;

/**
 * Bytes the kernel may hold on a loopback connection whose reader has stopped: the sender's
 * and the receiver's socket buffers at their largest. They are out of the server's hands,
 * so a bound on what it produces must allow for them.
 */
function kernelBufferBytes(): number {
  try {
    const max = (file: string) => Number(readFileSync(file, "utf8").trim().split(/\s+/)[2]);
    const total = max("/proc/sys/net/ipv4/tcp_rmem") + max("/proc/sys/net/ipv4/tcp_wmem");
    if (Number.isFinite(total) && total > 0) return total;
  } catch {
    // not Linux: fall back to a generous allowance
  }
  return 64 * MiB;
}

class Account {
  #balance = 0;
  constructor(readonly owner: string) {}
  deposit(amount: number): number {
    return (this.#balance += amount);
  }
  balance(): number {
    return this.#balance;
  }
  _secret(): string {
    return "hidden";
  }
}

/** An endless stream of numbers, a class so the test can watch the instance being freed. */
class Numbers {
  constructor(private readonly state: { finallyRan: number }) {}
  async *[Symbol.asyncIterator]() {
    try {
      for (let i = 0; ; i++) yield i;
    } finally {
      this.state.finallyRan++;
    }
  }
}

function makeApi(made: Collected) {
  const state = {
    /** Handler runs of `kinds`: a refused call must not run it. */
    kindsRan: 0,
    produced: 0,
    finallyRan: 0,
    /** How each upload's iteration ended, by label: its item count, or the code it failed with. */
    uploads: new Map<string, number | string>(),
    /** Why holdAfterFirst's signal aborted. */
    heldAbort: undefined as string | number | undefined,
  };
  const api = {
    add: (a: number, b: number) => a + b,
    /** What arrived, by type: a reference shows up as "function". */
    kinds(...args: unknown[]) {
      state.kindsRan++;
      return args.map((a) => typeof a);
    },
    twice: async (fn: (x: number) => Promise<number>, x: number) => (await fn(x)) + (await fn(x)),
    makeAdder(n: number) {
      const adder = (x: number) => x + n;
      made.watch(`adder ${n}`, adder);
      return adder;
    },
    accounts: {
      open(owner: string) {
        const account = new Account(owner);
        made.watch(`account ${owner}`, account);
        return ref(account);
      },
      ownerOf: (account: unknown) => (account instanceof Account ? account.owner : `not an account: ${typeof account}`),
    },
    streams: {
      /** Endless items of `bytes` bytes, counted as they are made. */
      async *counted(bytes: number) {
        try {
          for (;;) {
            state.produced++;
            yield Buffer.alloc(bytes);
          }
        } finally {
          state.finallyRan++;
        }
      },
      numbers(label: string) {
        const source = new Numbers(state);
        made.watch(`numbers ${label}`, source);
        return source;
      },
    },
    uploads: {
      async save(label: string, chunks: AsyncIterable<unknown>): Promise<number> {
        let n = 0;
        try {
          for await (const _ of chunks) n++;
        } catch (err) {
          state.uploads.set(label, RpcError.from(err).code);
          throw err;
        }
        state.uploads.set(label, n);
        return n;
      },
      /** Takes one item, then waits for the call to end (cancel, deadline, disconnect). */
      async holdAfterFirst(chunks: AsyncIterable<unknown>): Promise<never> {
        const signal = context().signal;
        await chunks[Symbol.asyncIterator]().next();
        return new Promise((_, reject) => {
          const stop = () => {
            state.heldAbort = RpcError.from(signal.reason).code;
            reject(signal.reason);
          };
          if (signal.aborted) stop();
          else signal.addEventListener("abort", stop);
        });
      },
    },
  };
  return { api, state };
}
type Api = ReturnType<typeof makeApi>["api"];

function portOf(server: Server): number {
  return Number(new URL(server.addresses[0]).port);
}

/** A log line about the connection from `port`, matching `pattern`. */
function about(port: number, pattern: string): RegExp {
  return new RegExp(`tcp 127\\.0\\.0\\.1:${port}: ${pattern}`);
}

async function expectLog(log: LogCapture, port: number, pattern: string, ms = 2000): Promise<string> {
  try {
    return await log.waitFor(ms, about(port, pattern));
  } catch (err) {
    throw new Error(`${(err as Error).message}; lines about port ${port}: ${JSON.stringify(log.about(port))}`);
  }
}

/** A raw peer past the handshake, destroyed when the test ends. */
async function openRaw(t: TestContext, port: number): Promise<MessageReader> {
  const peer = await RawPeer.open(port);
  t.after(() => peer.destroy());
  assert.equal((await peer.handshake(KEY)).ok, true, "handshake");
  return new MessageReader(peer);
}

/** Sends CALL `id` and returns its answer. */
async function call(r: MessageReader, id: number, target: string, args: unknown[], meta?: Record<string, unknown>): Promise<unknown[]> {
  r.send(meta ? [CALL, id, target, args, meta] : [CALL, id, target, args]);
  return r.answer(id);
}

async function expectResult(r: MessageReader, id: number, target: string, args: unknown[]): Promise<unknown> {
  const answer = await call(r, id, target, args);
  assert.equal(answer[0], RESULT, `${target}: expected a RESULT, got ${describeMessages([answer])}`);
  return answer[2];
}

/** Asserts that CALL `id` is answered ERROR `code`; returns the error's message. */
async function expectError(r: MessageReader, id: number, target: string, args: unknown[], code: string): Promise<string> {
  const answer = await call(r, id, target, args);
  return errorCode(answer, code, target);
}

function errorCode(answer: unknown[], code: string, what: string): string {
  assert.equal(answer[0], ERROR, `${what}: expected an ERROR, got ${describeMessages([answer])}`);
  const error = answer[2] as { code?: unknown; message?: unknown };
  assert.equal(error.code, code, `${what}: ${String(error.message)}`);
  return String(error.message);
}

/** The reference a RESULT carries. */
function refIn(value: unknown, kind: number): number {
  assert.ok(value instanceof RefMark, `expected a reference, got ${describeMessages([[value]])}`);
  assert.equal(value.kind, kind);
  assert.equal(typeof value.id, "number");
  return value.id as number;
}

describe("a farcall/1 server facing hostile references and streams", () => {
  const log = new LogCapture();
  const made = new Collected();
  const { api, state } = makeApi(made);
  let server: Server;
  let port: number;
  /** A well-behaved client that stays connected through every test, holding a reference. */
  let remote: Remote<Api>;
  let friendAccount: Awaited<ReturnType<Remote<Api>["accounts"]["open"]>>;
  let friendBalance = 0;

  /** The well-behaved client still gets answers, and its reference still works. */
  async function stillServing(): Promise<void> {
    assert.equal(await within(remote.add(2, 3), 2000, "a call from the well-behaved client"), 5);
    friendBalance += 1;
    assert.equal(await within(friendAccount.deposit(1), 2000, "a call on the well-behaved client's reference"), friendBalance);
  }

  before(async () => {
    server = await serve(api, { listen: "tcp://127.0.0.1:0", authkey: KEY, logger: log.everyLine, maxWriteBufferBytes: MAX_WRITE_BUFFER_BYTES });
    port = portOf(server);
    remote = await connect<Api>(server.addresses[0], { authkey: KEY, logger: false });
    friendAccount = await remote.accounts.open("friend");
  });

  after(async () => {
    if (remote) await close(remote);
    if (server) await server.close({ drainMs: 100 });
  });

  describe("calls on references", () => {
    it("CALLs naming ids this session never received are answered RELEASED, or METHOD_NOT_FOUND when no id can be read, and run nothing", async (t) => {
      const r = await openRaw(t, port);
      // Reference ids are per session: the well-behaved client's account is $1 on its own
      // session, so $1 here must not reach it.
      const released = ["$1", "$1.deposit", "$1.__proto__", "$1.constructor", "$0", "$999999", "$4294967295", "$0001.balance"];
      const notFound = ["$", "$abc", "$-1", "$1e3", "$ 1", "$0x1", "$99999999999", "$.deposit", "$__proto__", "$constructor.name"];
      let id = 1;
      for (const target of released) {
        const message = await expectError(r, id++, target, [1_000_000], "RELEASED");
        assert.match(message, /does not exist here/, target);
      }
      for (const target of notFound) await expectError(r, id++, target, [1_000_000], "METHOD_NOT_FOUND");
      // Notifications to the same targets get no answer, not even an error.
      for (const target of [...released, ...notFound]) r.send([NOTIFY, target, [1_000_000]]);
      assert.equal(await expectResult(r, 100, "add", [1, 2]), 3);
      assert.deepEqual(r.seen.filter((m) => m[0] !== RESULT && m[0] !== ERROR), [], "nothing but answers came back");
      assert.equal(r.seen.length, released.length + notFound.length + 1);
      await stillServing();
    });

    it("on references it did receive, prototype members and private names are METHOD_NOT_FOUND, and streams are not callable", async (t) => {
      const r = await openRaw(t, port);
      const opened = (await expectResult(r, 1, "accounts.open", ["raw"])) as RefMark;
      const account = refIn(opened, REF_OBJECT);
      assert.deepEqual(opened.names, ["balance", "deposit"], "a remote object lists its methods, nothing inherited or private");
      const adder = refIn(await expectResult(r, 2, "makeAdder", [3]), REF_FUNCTION);
      const stream = refIn(await expectResult(r, 3, "streams.numbers", ["callable?"]), REF_STREAM);
      let id = 10;
      const objectNames = ["__proto__", "constructor", "toString", "valueOf", "hasOwnProperty", "__defineGetter__", "isPrototypeOf", "_secret", "#balance", "", "deposit.call", "balance.constructor", "owner"];
      for (const name of objectNames) await expectError(r, id++, name ? `$${account}.${name}` : `$${account}`, [1], "METHOD_NOT_FOUND");
      for (const name of ["call", "apply", "bind", "constructor", "__proto__", "length"]) await expectError(r, id++, `$${adder}.${name}`, [1], "METHOD_NOT_FOUND");
      for (const target of [`$${stream}`, `$${stream}.next`, `$${stream}.return`]) await expectError(r, id++, target, [], "RELEASED");
      // The real members still answer, so the refusals above were not a broken reference.
      assert.equal(await expectResult(r, id++, `$${account}.deposit`, [5]), 5);
      assert.equal(await expectResult(r, id++, `$${account}.balance`, []), 5);
      assert.equal(await expectResult(r, id++, `$${adder}`, [1]), 4);
      await stillServing();
    });

    it("RELEASE of ids never exported, with count 0, with a huge count, or repeated, touches only the sender's own references", async (t) => {
      const r = await openRaw(t, port);
      // Ids never exported to anyone, and the well-behaved client's ids, which live on another session.
      for (const id of [0, 1, 2, 424_242, 0xffffffff]) r.send([RELEASE, id, 0xffffffff]);
      const account = refIn(await expectResult(r, 1, "accounts.open", ["released-by-raw"]), REF_OBJECT);
      r.send([RELEASE, account, 0]);
      assert.equal(await expectResult(r, 2, `$${account}.deposit`, [7]), 7, "a release of 0 receipts keeps the reference");
      r.send([RELEASE, account, 0xffffffff]);
      await expectError(r, 3, `$${account}.deposit`, [1], "RELEASED");
      for (let i = 0; i < 3; i++) r.send([RELEASE, account, 1]);
      for (let i = 0; i < 3; i++) r.send([RELEASE, account, 0xffffffff]);
      await expectError(r, 4, `$${account}.balance`, [], "RELEASED");
      assert.ok(await made.waitFor("account released-by-raw", 5000), "the server let go of the released account");
      // A fresh export after all that is a new, working reference.
      const again = refIn(await expectResult(r, 5, "accounts.open", ["again"]), REF_OBJECT);
      assert.equal(await expectResult(r, 6, `$${again}.deposit`, [2]), 2);
      assert.equal(r.peer.isClosed, false);
      await stillServing();
      const add = await remote.makeAdder(10);
      assert.equal(await add(1), 11, "the well-behaved client still gets working references");
    });

    it("a RELEASE or CREDIT whose id or count is not an unsigned 32-bit integer closes the connection as a protocol violation", async (t) => {
      const bad: unknown[][] = [
        [RELEASE, -1, 1],
        [RELEASE, 1, -1],
        [RELEASE, 1.5, 1],
        [RELEASE, 1, 2 ** 32],
        [RELEASE, "1", 1],
        [RELEASE, 1],
        [CREDIT, 1, -5],
        [CREDIT, 1, 0.5],
        [CREDIT, null, 1],
      ];
      for (const message of bad) {
        const r = await openRaw(t, port);
        r.send(message);
        await within(r.peer.closed, SLACK_MS, `the server to close the connection after ${JSON.stringify(message)}`);
        const kind = message[0] === RELEASE ? "RELEASE" : "CREDIT";
        await expectLog(log, r.peer.port, `closing: INVALID_REQUEST: protocol violation: ${kind} needs an id and a count, both unsigned 32-bit integers$`);
      }
      await stillServing();
    });

    it(`a CALL whose arguments hold 100,000 function references is refused RESOURCE_EXHAUSTED (maxReferences ${MAX_REFERENCES}), gives back what it took, and the next CALL with a callback is accepted`, async (t) => {
      const r = await openRaw(t, port);
      const ranBefore = state.kindsRan;
      const flood = Array.from({ length: 100_000 }, (_, i) => refExt(REF_FUNCTION, i + 1));
      // Both in one write, so nothing (a garbage collection, say) can run between them.
      r.peer.write(Buffer.concat([frame(packMessage([CALL, 1, "kinds", flood])), frame(packMessage([CALL, 2, "kinds", [refExt(REF_FUNCTION, 200_001)]]))]));
      const message = errorCode(await r.answer(1, 10_000), "RESOURCE_EXHAUSTED", "100,000 references");
      assert.match(message, new RegExp(`more than ${MAX_REFERENCES} live references and streams \\(maxReferences\\)`));
      assert.deepEqual(await r.answer(2), [RESULT, 2, ["function"]], "the refused call's references no longer count against the cap");
      assert.equal(state.kindsRan, ranBefore + 1, "the refused call's handler never ran");
      // The references the server had taken before it hit the cap went back, one receipt each.
      const released = r.seen.filter((m) => m[0] === RELEASE);
      assert.equal(released.length, MAX_REFERENCES, "one RELEASE per reference taken");
      assert.ok(released.every((m, i) => m[1] === i + 1 && m[2] === 1), `RELEASEs: ${describeMessages(released)}`);
      assert.deepEqual(await expectResult(r, 3, "kinds", [1]), ["number"], "plain calls are answered");
      await stillServing();
    });

    it("malformed reference extensions fail only their own call, INVALID_REQUEST or PARSE_ERROR, and run nothing", async (t) => {
      const r = await openRaw(t, port);
      const ranBefore = state.kindsRan;
      const invalid: [string, Raw[]][] = [
        ["kind 9", [refExt(9, 1)]],
        ["kind -1", [refExt(-1, 1)]],
        ["kind 1.5", [refExt(1.5, 1)]],
        ['kind "0"', [refExt("0", 1)]],
        ["kind nil", [refExt(null, 1)]],
        ["id -1", [refExt(REF_FUNCTION, -1)]],
        ["id 1.5", [refExt(REF_FUNCTION, 1.5)]],
        ["id 2^32", [refExt(REF_FUNCTION, 2 ** 32)]],
        ["id 2^53", [refExt(REF_OBJECT, 2 ** 53)]],
        ["id NaN", [refExt(REF_FUNCTION, NaN)]],
        ['id "7"', [refExt(REF_FUNCTION, "7")]],
        ["id nil", [refExt(REF_STREAM, null)]],
        ["a string payload", [refExtOf("function")]],
        ["an integer payload", [refExtOf(7)]],
        ["a nil payload", [refExtOf(null)]],
        ["a map payload", [refExtOf({ kind: 0, id: 1 })]],
        ["an empty array payload", [refExtOf([])]],
        ["one stream id sent twice in a call", [refExt(REF_STREAM, 5), refExt(REF_STREAM, 5)]],
      ];
      let id = 1;
      for (const [what, args] of invalid) {
        errorCode(await call(r, id, "kinds", args), "INVALID_REQUEST", what);
        id++;
      }
      const unparsable: [string, Buffer][] = [
        // The reference extension in any form but the one-byte tag is not accepted at all.
        ["fixext2 of type 7", Buffer.from([0xd5, 0x07, 0x00, 0x01])],
        ["ext8 of type 7", Buffer.from([0xc7, 0x03, 0x07, 0x92, 0x00, 0x01])],
        ["a tag with nothing after it", Buffer.from([0xd4, 0x07, 0x00])],
      ];
      for (const [what, ext] of unparsable) {
        r.peer.sendFrame(Buffer.concat([Buffer.from([0x94, CALL, id, 0xa5]), Buffer.from("kinds"), Buffer.from([0x91]), ext]));
        errorCode(await r.answer(id), "PARSE_ERROR", what);
        id++;
      }
      assert.equal(state.kindsRan, ranBefore, "no refused call reached its handler");
      assert.deepEqual(await expectResult(r, id++, "kinds", [refExt(REF_FUNCTION, 4)]), ["function"], "a well-formed reference still works");
      assert.equal(r.peer.isClosed, false);
      await stillServing();
    });

    it("a malformed reference in a NOTIFY, which has no id to answer, closes the connection as a protocol violation", async (t) => {
      const r = await openRaw(t, port);
      r.send([NOTIFY, "kinds", [refExt(REF_FUNCTION, -1)]]);
      await within(r.peer.closed, SLACK_MS, "the server to close the connection");
      await expectLog(log, r.peer.port, "closing: INVALID_REQUEST: protocol violation: a reference id must be an unsigned 32-bit integer$");
      await stillServing();
    });

    it('a "yours" reference (kind 3) naming an id the server never exported to this session is RELEASED for that call', async (t) => {
      const r = await openRaw(t, port);
      const stream = refIn(await expectResult(r, 1, "streams.numbers", ["yours"]), REF_STREAM);
      const account = refIn(await expectResult(r, 2, "accounts.open", ["mine"]), REF_OBJECT);
      let id = 10;
      // Never exported; the well-behaved client's account (id 1 of its own session); a stream, which never comes home.
      for (const bogus of [999_999, 0, 1, stream]) {
        if (bogus === account) continue;
        const message = errorCode(await call(r, id++, "accounts.ownerOf", [refExt(REF_YOURS, bogus)]), "RELEASED", `yours ${bogus}`);
        assert.match(message, new RegExp(`reference ${bogus} was released on this side`));
      }
      assert.equal(await expectResult(r, id++, "accounts.ownerOf", [refExt(REF_YOURS, account)]), "mine", "a reference that really is the server's comes home as the object");
      r.send([RELEASE, account, 1]);
      errorCode(await call(r, id++, "accounts.ownerOf", [refExt(REF_YOURS, account)]), "RELEASED", "yours, after its release");
      await stillServing();
    });

    it("a callback answered with a bogus reference fails the call that made it with RELEASED; the connection stays", async (t) => {
      const r = await openRaw(t, port);
      r.send([CALL, 1, "twice", [refExt(REF_FUNCTION, 77), 5]]);
      const callback = await r.waitFor((m) => m[0] === CALL, 2000, "the server calling the callback");
      assert.equal(callback[2], "$77");
      assert.deepEqual(callback[3], [5]);
      // The answer claims to be a reference the server exported: it never did.
      r.send([RESULT, callback[1], refExt(REF_YOURS, 31_337)]);
      errorCode(await r.answer(1), "RELEASED", "twice");
      r.send([CALL, 2, "twice", [refExt(REF_FUNCTION, 78), 5]]);
      for (let i = 0; i < 2; i++) {
        const again = await r.waitFor((m) => m[0] === CALL && m[2] === "$78", 2000, "the server calling the second callback");
        r.send([RESULT, again[1], 50]);
      }
      assert.deepEqual(await r.answer(2), [RESULT, 2, 100]);
      await stillServing();
    });
  });

  describe("streams", () => {
    it("CREDIT, NEXT and END for stream ids that do not exist, or name something else, are ignored", async (t) => {
      const r = await openRaw(t, port);
      const adder = refIn(await expectResult(r, 1, "makeAdder", [1]), REF_FUNCTION);
      const stream = refIn(await expectResult(r, 2, "streams.numbers", ["ignored"]), REF_STREAM);
      const stray: unknown[][] = [
        [CREDIT, 424_242, 5],
        [CREDIT, 424_242, 0],
        [CREDIT, 424_242, 0xffffffff],
        [CREDIT, adder, 10],
        [CREDIT, adder, 0],
        [NEXT, 424_242, "x"],
        [NEXT, 0, [1, 2, 3]],
        [NEXT, stream, "not the producer"],
        [NEXT, adder, 1],
        [END, 424_242],
        [END, 424_242, { code: "X", message: "y" }],
        [END, 424_242, "not an error"],
        [END, adder],
        [END, stream, { code: "X", message: "y" }],
      ];
      for (const message of stray) r.send(message);
      assert.equal(await expectResult(r, 3, `$${adder}`, [1]), 2, "the function reference is untouched");
      // The stream was never started and is still whole: it produces when asked.
      r.send([CREDIT, stream, 3]);
      const items = [];
      for (let i = 0; i < 3; i++) items.push((await r.waitFor((m) => m[0] === NEXT && m[1] === stream, 2000, "a stream item"))[2]);
      assert.deepEqual(items, [0, 1, 2]);
      const finallyBefore = state.finallyRan;
      r.send([CREDIT, stream, 0]);
      await until(2000, "the stopped stream's finally ran", () => state.finallyRan === finallyBefore + 1);
      assert.deepEqual(
        r.seen.filter((m) => m[0] !== RESULT && m[0] !== NEXT),
        [],
        "nothing but answers and the requested items came back",
      );
      await stillServing();
    });

    it(`a CREDIT of 0xffffffff is clamped: a consumer granting it once gets at most ${MAX_CREDIT} items, then the producer waits`, async (t) => {
      const r = await openRaw(t, port);
      const stream = refIn(await expectResult(r, 1, "streams.numbers", ["clamped"]), REF_STREAM);
      const finallyBefore = state.finallyRan;
      r.send([CREDIT, stream, 0xffffffff]);
      let items = 0;
      let last = -1;
      while (items < MAX_CREDIT) {
        const m = await r.waitFor((m) => m[0] === NEXT, 5000, `item ${items}`);
        assert.equal(m[2], last + 1, "items in order");
        last = m[2] as number;
        items++;
      }
      // Everything the producer sent before the server answers this call is in by then.
      assert.equal(await expectResult(r, 2, "add", [1, 1]), 2);
      const extra = r.seen.filter((m) => m[0] === NEXT).length - MAX_CREDIT;
      assert.equal(extra, 0, `${extra} items beyond the clamped credit`);
      assert.equal(state.finallyRan, finallyBefore, "the producer is waiting for credit, not finished");
      r.send([CREDIT, stream, 0]);
      await until(2000, "the stopped stream's finally ran", () => state.finallyRan === finallyBefore + 1);
      await stillServing();
    });

    it("a CREDIT of 0xffffffff from a consumer that never reads: the producer stays within maxWriteBufferBytes until the connection is closed", async (t) => {
      const ITEM = 2 * KiB;
      // A server of its own with a fast keepalive: a peer that reads nothing answers no ping either.
      const ownLog = new LogCapture();
      const own = makeApi(made);
      const ownServer = await serve(own.api, {
        listen: "tcp://127.0.0.1:0",
        authkey: KEY,
        logger: ownLog.everyLine,
        maxWriteBufferBytes: MAX_WRITE_BUFFER_BYTES,
        keepaliveIntervalMs: 200,
        keepaliveTimeoutMs: 300,
      });
      t.after(() => ownServer.close({ drainMs: 0 }));
      const friendly = await connect<Api>(ownServer.addresses[0], { authkey: KEY, logger: false });
      t.after(() => close(friendly));
      const r = await openRaw(t, portOf(ownServer));
      const stream = refIn(await expectResult(r, 1, "streams.counted", [ITEM]), REF_STREAM);
      r.peer.socket.pause();
      r.send([CREDIT, stream, 0xffffffff]);
      // Either limit is a clear end: the write buffer overflowing, or the keepalive going unanswered.
      await expectLog(
        ownLog,
        r.peer.port,
        `closing: (RESOURCE_EXHAUSTED: peer is not reading: \\d+ B already queued for this peer \\+ \\d+ B exceed maxWriteBufferBytes ${MAX_WRITE_BUFFER_BYTES}|UNAVAILABLE: the peer did not answer a keepalive ping within 300 ms \\(keepaliveTimeoutMs\\))$`,
        10_000,
      );
      const produced = own.state.produced;
      await until(2000, "the producer's finally ran", () => own.state.finallyRan === 1);
      const bound = Math.ceil((MAX_WRITE_BUFFER_BYTES + kernelBufferBytes()) / ITEM) + MAX_WINDOW;
      assert.ok(produced <= bound, `produced ${produced} items of ${ITEM} B (${(produced * ITEM) / MiB} MiB) for a consumer that read nothing; the write buffer allows ${bound}`);
      assert.equal(await within(friendly.add(1, 2), 2000, "a call from a well-behaved client of the same server"), 3);
      await stillServing();
    });

    it("NEXT beyond the credit granted closes that session with RESOURCE_EXHAUSTED, and other sessions carry on", async (t) => {
      const hostile = await openRaw(t, port);
      const honest = await openRaw(t, port);
      hostile.send([CALL, 1, "uploads.holdAfterFirst", [refExt(REF_STREAM, 5)]]);
      honest.send([CALL, 1, "uploads.save", ["honest", refExt(REF_STREAM, 5)]]);
      assert.deepEqual(await hostile.waitFor((m) => m[0] === CREDIT, 2000, "the first credit"), [CREDIT, 5, WINDOW]);
      assert.deepEqual(await honest.waitFor((m) => m[0] === CREDIT, 2000, "the first credit"), [CREDIT, 5, WINDOW]);
      // The handler takes one item, which may top the window up once: past MAX_WINDOW more is an overrun.
      hostile.peer.write(Buffer.concat(Array.from({ length: WINDOW + MAX_WINDOW + 1 }, (_, i) => frame(packMessage([NEXT, 5, i])))));
      await within(hostile.peer.closed, SLACK_MS, "the server to close the overrunning session");
      await expectLog(log, hostile.peer.port, "closing: RESOURCE_EXHAUSTED: stream 5: the producer sent more items than it was granted$");
      await until(2000, "the handler's signal aborted", () => state.heldAbort !== undefined);
      assert.equal(state.heldAbort, "RESOURCE_EXHAUSTED");
      assert.deepEqual(hostile.seen.filter((m) => m[0] !== CREDIT), [], "no answer was sent on the closed session");
      // The other session's stream, within its credit, completes.
      for (let i = 0; i < 3; i++) honest.send([NEXT, 5, `chunk ${i}`]);
      honest.send([END, 5]);
      assert.deepEqual(await honest.answer(1), [RESULT, 1, 3]);
      assert.equal(honest.peer.isClosed, false);
      await stillServing();
    });

    it("an END carrying an error, or garbage where the error belongs, fails the handler's iteration with that code or INTERNAL", async (t) => {
      const r = await openRaw(t, port);
      r.send([CALL, 1, "uploads.save", ["failed", refExt(REF_STREAM, 5)]]);
      await r.waitFor((m) => m[0] === CREDIT && m[1] === 5, 2000, "credit");
      r.send([NEXT, 5, "one"]);
      r.send([END, 5, { code: "DISK_GONE", message: "the disk went away" }]);
      errorCode(await r.answer(1), "DISK_GONE", "an END with an error");
      assert.equal(state.uploads.get("failed"), "DISK_GONE");
      r.send([CALL, 2, "uploads.save", ["garbled", refExt(REF_STREAM, 6)]]);
      await r.waitFor((m) => m[0] === CREDIT && m[1] === 6, 2000, "credit");
      r.send([END, 6, "not an error"]);
      const message = errorCode(await r.answer(2), "INTERNAL", "an END with garbage");
      assert.match(message, /malformed error from peer/);
      assert.equal(state.uploads.get("garbled"), "INTERNAL");
      await stillServing();
    });

    it("a stream argument whose producer never produces still ends with the call's deadline: DEADLINE_EXCEEDED comes back", async (t) => {
      const TIMEOUT_MS = 300;
      const r = await openRaw(t, port);
      r.send([CALL, 1, "uploads.save", ["stalled", refExt(REF_STREAM, 5)], { timeout: TIMEOUT_MS }]);
      assert.deepEqual(await r.waitFor((m) => m[0] === CREDIT, 2000, "the first credit"), [CREDIT, 5, WINDOW]);
      errorCode(await r.answer(1, TIMEOUT_MS + SLACK_MS), "DEADLINE_EXCEEDED", "a call whose stream never produced");
      assert.equal(state.uploads.get("stalled"), "DEADLINE_EXCEEDED", "the handler's iteration ended with the deadline");
      assert.deepEqual(await r.waitFor((m) => m[0] === CREDIT, 2000, "the producer told to stop"), [CREDIT, 5, 0]);
      await stillServing();
    });

    it("a stream argument whose producer never produces ends when the caller sends CANCEL", async (t) => {
      const r = await openRaw(t, port);
      r.send([CALL, 1, "uploads.save", ["cancelled", refExt(REF_STREAM, 5)]]);
      await r.waitFor((m) => m[0] === CREDIT, 2000, "the first credit");
      r.send([CANCEL, 1]);
      assert.deepEqual(await r.waitFor((m) => m[0] === CREDIT, SLACK_MS, "the producer told to stop"), [CREDIT, 5, 0]);
      await until(SLACK_MS, "the handler's iteration ended", () => state.uploads.has("cancelled"));
      assert.equal(state.uploads.get("cancelled"), "CANCELLED");
      // A cancelled call gets no answer: the next answer is the next call's.
      r.send([CALL, 2, "add", [1, 2]]);
      assert.deepEqual(await r.waitFor((m) => m[0] === RESULT || m[0] === ERROR, 2000, "an answer"), [RESULT, 2, 3]);
      await stillServing();
    });
  });

  it("many sessions holding references and streams, then dropped abruptly: the server lets go of everything", { timeout: 20_000 }, async (t) => {
    const SESSIONS = 20;
    const connectionsBefore = server.connections;
    const finallyBefore = state.finallyRan;
    const names: string[] = [];
    for (let s = 0; s < SESSIONS; s++) {
      const r = await openRaw(t, port);
      refIn(await expectResult(r, 1, "accounts.open", [`dropped ${s}`]), REF_OBJECT);
      refIn(await expectResult(r, 2, "makeAdder", [1000 + s]), REF_FUNCTION);
      const stream = refIn(await expectResult(r, 3, "streams.numbers", [`dropped ${s}`]), REF_STREAM);
      // A stream in mid-flight: started, items in transit, waiting for more credit.
      r.send([CREDIT, stream, 4]);
      for (let i = 0; i < 4; i++) await r.waitFor((m) => m[0] === NEXT, 2000, "a stream item");
      // And a callback the server holds while it is being called.
      r.send([CALL, 4, "twice", [refExt(REF_FUNCTION, 1), 1]]);
      await r.waitFor((m) => m[0] === CALL && m[2] === "$1", 2000, "the server calling back");
      names.push(`account dropped ${s}`, `adder ${1000 + s}`, `numbers dropped ${s}`);
      r.peer.destroy();
    }
    // At most as many as before: sockets of earlier tests may still have been closing then.
    await until(5000, "the server to drop the sessions", () => server.connections <= connectionsBefore);
    await until(5000, "every stream's finally ran", () => state.finallyRan >= finallyBefore + SESSIONS);
    const kept = [];
    for (const name of names) if (!(await made.waitFor(name, 5000))) kept.push(name);
    assert.deepEqual(kept, [], "server-side values still held after their sessions ended");
    await stillServing();
  });

  it("after all of it the server still serves, and logged nothing at error level", async () => {
    await stillServing();
    const fresh = await within(connect<Api>(server.addresses[0], { authkey: KEY, logger: false }), 2000, "a fresh connect");
    try {
      const account = await fresh.accounts.open("fresh");
      assert.equal(await account.deposit(4), 4);
    } finally {
      await close(fresh);
    }
    const errors = log.lines.filter((l) => l.startsWith("error:"));
    assert.deepEqual(errors, []);
  });
});

describe("decoding a reference never calls the peer back", { concurrency: true }, () => {
  /**
   * A remote proxy answers every property with a remote method, so code that turns a decoded
   * value into text (String(), JSON.stringify) would call the peer while decoding, and drop
   * the promise: its rejection is unhandled, which ends a Node process. These run against a
   * server in a process of its own, so such a crash is seen as an exit.
   */
  async function isolatedServer(t: TestContext) {
    const child = spawnTs("test/fixtures/hostile/refs-server.ts", [KEY]);
    t.after(() => child.stop());
    const [, url] = await child.nextLine(/^LISTENING (\S+)$/, 10_000);
    return { child, url, port: Number(new URL(url).port) };
  }

  /** Sends `args` to `count`, answers any call the server makes with an ERROR, then checks the server is up. */
  async function decodeWithoutCallback(t: TestContext, args: unknown[], expect: (answer: unknown[]) => void): Promise<void> {
    const { child, url, port } = await isolatedServer(t);
    const r = await openRaw(t, port);
    r.send([CALL, 1, "count", args]);
    const answer = await r.answer(1);
    // Calls made while decoding went out before the answer. Refuse them, as a hostile peer would.
    const callbacks = r.seen.filter((m) => m[0] === CALL);
    for (const c of callbacks) r.send([ERROR, c[1], { code: "NOPE", message: "no" }]);
    const next = await call(r, 2, "add", [1, 2]).catch((err: unknown) => String(err));
    if (!Array.isArray(next)) await within(child.exited, 5000, "the server process to exit").catch(() => {});
    const fate = child.alive ? "kept running" : `exited with ${child.child.signalCode ?? child.child.exitCode}`;
    assert.deepEqual(
      callbacks.map((c) => c[2]),
      [],
      `the server called the peer while decoding its message; once those calls were refused the server process ${fate}`,
    );
    assert.deepEqual(next, [RESULT, 2, 3], "the session still answers");
    r.peer.destroy();
    const friendly = await within(connect<RefsServerApi>(url, { authkey: KEY, logger: false }), 5000, "a fresh connect");
    t.after(() => close(friendly));
    assert.equal(await within(friendly.add(2, 2), 2000, "a call after the hostile session"), 4);
    assert.equal(child.alive, true, "the server process is still running");
    expect(answer);
  }

  it("a reference where a reference's kind belongs is INVALID_REQUEST for that call, without a call back", async (t) => {
    await decodeWithoutCallback(t, [refExtOf([refExt(REF_FUNCTION, 1), 5])], (answer) => {
      const message = errorCode(answer, "INVALID_REQUEST", "a reference as a kind");
      assert.match(message, /unknown reference kind/);
    });
  });

  it("a reference where a registered type's name belongs arrives as an inert value, without a call back", async (t) => {
    await decodeWithoutCallback(t, [tagged(EXT_REGISTERED, [refExt(REF_FUNCTION, 9), 1])], (answer) => {
      assert.deepEqual(answer, [RESULT, 1, 1], "the handler got one argument: an unregistered type's inert description");
    });
  });
});
