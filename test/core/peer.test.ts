/**
 * The Peer (src/core/peer.ts) over an in-memory pair: the farcall/1 messages of DESIGN.md's
 * table, byte for byte where the form matters, and the session's rules (ids, deadlines,
 * cancellation, notifications, limits, closing, draining, liveness, hostile frames).
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { createMsgpackCodec } from "../../src/codecs/msgpack.js";
import type { CallLogEntry } from "../../src/core/call-log.js";
import { context } from "../../src/core/context.js";
import { RpcError } from "../../src/core/errors.js";
import { CALL, CANCEL, ERROR, GOAWAY, NOTIFY, PING, PONG, RESULT } from "../../src/core/messages.js";
import { notify, withOptions } from "../../src/core/remote.js";
import { later, rejectsWith, until, within } from "../helpers/bounded.js";
import { memoryPair, type MemoryPair } from "../helpers/memory-pair.js";

const WAIT_MS = 2000;
const codec = createMsgpackCodec();

function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString("hex");
}

/** What the server's handlers report to the test. */
class Probe {
  entered = 0;
  recorded: unknown[] = [];
  abortReason: unknown;
  privateRan = false;
  private release!: () => void;
  private readonly gate = new Promise<void>((resolve) => (this.release = resolve));

  open(): void {
    this.release();
  }

  async hold(): Promise<string> {
    this.entered++;
    await this.gate;
    return "released";
  }

  /** Resolves once `n` handlers are running. */
  running(n: number): Promise<void> {
    return until(WAIT_MS, `${n} handlers running`, () => this.entered >= n);
  }
}

function makeApi(probe: Probe) {
  return {
    add: (a: number, b: number) => a + b,
    echo: (x: unknown) => x,
    callInfo: () => {
      const ctx = context();
      return { method: ctx.method, meta: ctx.meta, deadline: ctx.deadline };
    },
    fail: () => {
      throw new RpcError("INSUFFICIENT_FUNDS", "balance too low", { balance: 5 });
    },
    broken: () => {
      throw new Error("disk on fire");
    },
    hold: () => probe.hold(),
    /** Runs until its signal aborts, and keeps the reason. */
    waitForAbort: (): Promise<never> => {
      const { signal } = context();
      probe.entered++;
      return new Promise((_, reject) => {
        signal.addEventListener("abort", () => {
          probe.abortReason = signal.reason;
          reject(signal.reason);
        });
      });
    },
    record: (x: unknown) => {
      probe.recorded.push(x);
    },
    /** Calls the caller back over the same session. */
    progress: async () => {
      const caller = context().remote<{ step(n: number): number }>();
      return (await caller.step(1)) + (await caller.step(2));
    },
    _private: () => {
      probe.privateRan = true;
    },
  };
}
type Api = ReturnType<typeof makeApi>;

function pair(t: { after(fn: () => void): void }, options: Parameters<typeof memoryPair>[0] = {}): { pair: MemoryPair<Api>; probe: Probe } {
  const probe = new Probe();
  const p = memoryPair<Api>({ serverApi: makeApi(probe), ...options });
  t.after(() => {
    probe.open();
    p.close();
  });
  return { pair: p, probe };
}

/** The code of an abort reason, or what it was instead. */
function codeOf(reason: unknown): unknown {
  return RpcError.is(reason) ? reason.code : reason;
}

test("a call is sent as [CALL, id, target, args] and answered [RESULT, id, value], in MessagePack", async (t) => {
  const { pair: p } = pair(t);
  assert.equal(await within(p.clientRemote.add(1, 2), WAIT_MS, "add"), 3);
  assert.deepEqual(p.frames.fromClient.messages, [[CALL, 1, "add", [1, 2]]]);
  assert.deepEqual(p.frames.fromServer.messages, [[RESULT, 1, 3]]);
  // fixarray(4) 0, 1, fixstr "add", fixarray(2) 1 2 — and fixarray(3) 1, 1, 3
  assert.equal(hex(p.frames.fromClient.all[0]!.bytes), "940001a3616464920102");
  assert.equal(hex(p.frames.fromServer.all[0]!.bytes), "93010103");
});

test("a call with a timeout or metadata carries meta {timeout, metadata}, seen by the handler's context()", async (t) => {
  const { pair: p } = pair(t);
  const info = await within(withOptions(p.clientRemote, { timeout: 5000, meta: { trace: "t-1" } }).callInfo(), WAIT_MS, "callInfo");
  const [call] = p.frames.fromClient.ofType(CALL);
  assert.equal(call!.length, 5);
  assert.deepEqual(call!.slice(0, 4), [CALL, 1, "callInfo", []]);
  const meta = call![4] as { timeout: number; metadata: unknown };
  assert.deepEqual(Object.keys(meta).sort(), ["metadata", "timeout"]);
  assert.ok(meta.timeout > 4000 && meta.timeout <= 5000, `relative timeout ${meta.timeout} ms`);
  assert.deepEqual(meta.metadata, { trace: "t-1" });
  assert.equal(info.method, "callInfo");
  assert.deepEqual(info.meta, { trace: "t-1" });
  assert.ok(typeof info.deadline === "number" && info.deadline > Date.now(), "the handler sees an absolute deadline in the future");
});

test("ids are unique among the calls in flight", async (t) => {
  const { pair: p, probe } = pair(t);
  const calls = Array.from({ length: 20 }, () => p.clientRemote.hold());
  await probe.running(20);
  const ids = p.frames.fromClient.ofType(CALL).map((m) => m[1]);
  assert.equal(ids.length, 20);
  assert.equal(new Set(ids).size, 20, `ids ${ids.join(",")}`);
  assert.ok(ids.every((id) => Number.isInteger(id) && (id as number) > 0));
  probe.open();
  assert.deepEqual(await within(Promise.all(calls), WAIT_MS, "held calls"), Array(20).fill("released"));
  const answered = p.frames.fromServer.ofType(RESULT).map((m) => m[1]);
  assert.deepEqual([...answered].sort(), [...ids].sort(), "each call answered under its own id");
});

test("a handler's RpcError is sent as [ERROR, id, {code, message, data}] and rejects the call with the same", async (t) => {
  const { pair: p } = pair(t);
  const err = await rejectsWith(p.clientRemote.fail(), "INSUFFICIENT_FUNDS", WAIT_MS, "fail");
  assert.equal(err.message, "balance too low");
  assert.deepEqual(err.data, { balance: 5 });
  assert.deepEqual(p.frames.fromServer.messages, [[ERROR, 1, { code: "INSUFFICIENT_FUNDS", message: "balance too low", data: { balance: 5 } }]]);
});

test("any other exception is sent as INTERNAL with its message and no stack", async (t) => {
  const { pair: p } = pair(t);
  const err = await rejectsWith(p.clientRemote.broken(), "INTERNAL", WAIT_MS, "broken");
  assert.equal(err.message, "disk on fire");
  assert.deepEqual(p.frames.fromServer.messages, [[ERROR, 1, { code: "INTERNAL", message: "disk on fire" }]]);
});

test("a server that opts in sends the handler's stack", async (t) => {
  const { pair: p } = pair(t, { exposeErrorStacks: true });
  await rejectsWith(p.clientRemote.broken(), "INTERNAL", WAIT_MS, "broken");
  const [, , payload] = p.frames.fromServer.ofType(ERROR)[0]!;
  assert.match((payload as { stack: string }).stack, /disk on fire\n\s+at /);
});

test("a method that is not exposed is answered METHOD_NOT_FOUND", async (t) => {
  const { pair: p } = pair(t);
  const err = await rejectsWith(p.client.call("nope", []), "METHOD_NOT_FOUND", WAIT_MS, "nope");
  assert.match(err.message, /nope/);
  const [answer] = p.frames.fromServer.messages;
  assert.deepEqual(answer!.slice(0, 2), [ERROR, 1]);
  assert.equal((answer![2] as { code: string }).code, "METHOD_NOT_FOUND");
});

test("constructor, _private, __proto__, toString and other inherited names are never methods", async (t) => {
  const { pair: p, probe } = pair(t);
  for (const name of ["constructor", "_private", "__proto__", "toString", "hasOwnProperty", "valueOf", "add.constructor", "add.call"]) {
    await rejectsWith(p.client.call(name, []), "METHOD_NOT_FOUND", WAIT_MS, name);
  }
  assert.equal(probe.privateRan, false);
  assert.equal(p.frames.fromServer.ofType(RESULT).length, 0);
});

test("a call past its deadline rejects DEADLINE_EXCEEDED, sends CANCEL naming the deadline, and the callee's signal aborts with DEADLINE_EXCEEDED", async (t) => {
  const { pair: p, probe } = pair(t);
  const started = Date.now();
  await rejectsWith(withOptions(p.clientRemote, { timeout: 50 }).waitForAbort(), "DEADLINE_EXCEEDED", WAIT_MS, "waitForAbort");
  assert.ok(Date.now() - started >= 45, "not before the deadline");
  await p.frames.fromClient.waitFor((m) => m[0] === CANCEL && m[1] === 1, WAIT_MS, "CANCEL for call 1");
  assert.deepEqual(p.frames.fromClient.ofType(CANCEL), [[CANCEL, 1, "DEADLINE_EXCEEDED"]]);
  await until(WAIT_MS, "the handler's signal aborted", () => probe.abortReason !== undefined);
  // The callee's own deadline timer and the CANCEL race; either way it names the deadline.
  assert.equal(codeOf(probe.abortReason), "DEADLINE_EXCEEDED");
});

test("aborting a call's signal rejects it CANCELLED, sends CANCEL, and aborts the callee's context().signal", async (t) => {
  const { pair: p, probe } = pair(t);
  const ac = new AbortController();
  const call = later(withOptions(p.clientRemote, { signal: ac.signal }).waitForAbort());
  await probe.running(1);
  ac.abort();
  await rejectsWith(call, "CANCELLED", WAIT_MS, "waitForAbort");
  await p.frames.fromClient.waitFor((m) => m[0] === CANCEL, WAIT_MS, "CANCEL");
  assert.deepEqual(p.frames.fromClient.ofType(CANCEL), [[CANCEL, 1]]);
  await until(WAIT_MS, "the handler's signal aborted", () => probe.abortReason !== undefined);
  assert.equal(codeOf(probe.abortReason), "CANCELLED");
  // A cancelled call gets no answer: the next call's answer is the only frame back.
  assert.equal(await within(p.clientRemote.add(2, 2), WAIT_MS, "add"), 4);
  assert.deepEqual(p.frames.fromServer.messages, [[RESULT, 2, 4]]);
});

test("a call whose signal is already aborted rejects CANCELLED and sends nothing", async (t) => {
  const { pair: p } = pair(t);
  await rejectsWith(withOptions(p.clientRemote, { signal: AbortSignal.abort() }).add(1, 1), "CANCELLED", WAIT_MS, "add");
  assert.deepEqual(p.frames.fromClient.messages, []);
});

test("a notification is sent as [NOTIFY, target, args], runs the handler and gets no answer", async (t) => {
  const { pair: p, probe } = pair(t);
  const handed = new Promise<RpcError | undefined>((resolve) => notify(p.clientRemote.record, ["hello"], resolve));
  assert.equal(await within(handed, WAIT_MS, "notify done"), undefined);
  await until(WAIT_MS, "the handler ran", () => probe.recorded.length === 1);
  assert.deepEqual(probe.recorded, ["hello"]);
  assert.deepEqual(p.frames.fromClient.messages, [[NOTIFY, "record", ["hello"]]]);
  assert.equal(hex(p.frames.fromClient.all[0]!.bytes), hex(codec.encode([NOTIFY, "record", ["hello"]])));
  assert.equal(await within(p.clientRemote.add(1, 1), WAIT_MS, "add"), 2);
  assert.deepEqual(p.frames.fromServer.messages, [[RESULT, 1, 2]], "only the call was answered");
});

test("a notification of an unknown method is dropped without an answer, and logged", async (t) => {
  const entries: CallLogEntry[] = [];
  const { pair: p } = pair(t, { callLog: (e) => entries.push(e) });
  notify(p.clientRemote.echo, ["x"]);
  p.client.notify("nope", [1]);
  await until(WAIT_MS, "two call-log entries", () => entries.length === 2);
  assert.deepEqual(entries.map((e) => [e.method, e.outcome, e.notification]), [["echo", "ok", true], ["nope", "METHOD_NOT_FOUND", true]]);
  assert.equal(await within(p.clientRemote.add(1, 1), WAIT_MS, "add"), 2);
  assert.deepEqual(p.frames.fromServer.messages, [[RESULT, 1, 2]]);
});

test("calls past maxCallsInFlight are answered RESOURCE_EXHAUSTED and the session goes on", async (t) => {
  const { pair: p, probe } = pair(t, { limits: { maxCallsInFlight: 2 } });
  const held = [p.clientRemote.hold(), p.clientRemote.hold()];
  await probe.running(2);
  const err = await rejectsWith(p.clientRemote.add(1, 1), "RESOURCE_EXHAUSTED", WAIT_MS, "third call");
  assert.match(err.message, /maxCallsInFlight 2/);
  assert.deepEqual(p.frames.fromServer.ofType(ERROR).map((m) => [m[1], (m[2] as { code: string }).code]), [[3, "RESOURCE_EXHAUSTED"]]);
  probe.open();
  assert.deepEqual(await within(Promise.all(held), WAIT_MS, "held calls"), ["released", "released"]);
  assert.equal(await within(p.clientRemote.add(2, 3), WAIT_MS, "add after"), 5);
  assert.equal(p.server.open, true);
});

test("close() rejects pending calls with UNAVAILABLE", async (t) => {
  const { pair: p, probe } = pair(t);
  const held = later(p.clientRemote.hold());
  await probe.running(1);
  p.client.close();
  await rejectsWith(held, "UNAVAILABLE", WAIT_MS, "pending call");
  assert.equal(p.client.pendingCount, 0);
});

test("a call after close rejects with UNAVAILABLE and sends nothing", async (t) => {
  const { pair: p } = pair(t);
  p.client.close();
  await rejectsWith(p.clientRemote.add(1, 1), "UNAVAILABLE", WAIT_MS, "add");
  const handed = new Promise<RpcError | undefined>((resolve) => notify(p.clientRemote.record, [1], resolve));
  assert.equal((await within(handed, WAIT_MS, "notify done"))?.code, "UNAVAILABLE");
  assert.deepEqual(p.frames.fromClient.messages, []);
});

test("the other side closing rejects pending calls UNAVAILABLE and aborts running handlers", async (t) => {
  const { pair: p, probe } = pair(t);
  const waiting = later(p.clientRemote.waitForAbort());
  await probe.running(1);
  p.server.close();
  await rejectsWith(waiting, "UNAVAILABLE", WAIT_MS, "pending call");
  assert.equal(codeOf(probe.abortReason), "UNAVAILABLE");
  assert.equal((await within(p.closed.client, WAIT_MS, "client session end")).code, "UNAVAILABLE");
  assert.equal(p.client.open, false);
});

test("drain() sends GOAWAY, refuses new calls UNAVAILABLE and resolves once calls in flight finish", async (t) => {
  const { pair: p, probe } = pair(t);
  const held = p.clientRemote.hold();
  await probe.running(1);
  let drained = false;
  const draining = p.server.drain("maintenance").then(() => (drained = true));
  await p.frames.fromServer.waitFor((m) => m[0] === GOAWAY, WAIT_MS, "GOAWAY");
  assert.deepEqual(p.frames.fromServer.ofType(GOAWAY), [[GOAWAY, "maintenance"]]);
  await until(WAIT_MS, "the client saw GOAWAY", () => p.client.goawayReceived);
  await rejectsWith(p.clientRemote.add(1, 1), "UNAVAILABLE", WAIT_MS, "call while draining");
  assert.equal(drained, false, "still draining while a call is in flight");
  probe.open();
  assert.equal(await within(held, WAIT_MS, "held call"), "released");
  await within(draining, WAIT_MS, "drain");
  assert.equal(drained, true);
});

test("a ping is answered with a pong carrying its nonce", async (t) => {
  const { pair: p } = pair(t);
  p.client.sendMessage([PING, 42]);
  await p.frames.fromServer.waitFor((m) => m[0] === PONG, WAIT_MS, "PONG");
  assert.deepEqual(p.frames.fromServer.messages, [[PONG, 42]]);
});

test("a frame that is not MessagePack closes the session with INVALID_REQUEST and the caller sees UNAVAILABLE", async (t) => {
  const { pair: p, probe } = pair(t);
  const held = later(p.clientRemote.hold());
  await probe.running(1);
  p.server.receive(new Uint8Array([0xc1])); // 0xc1 is never used in MessagePack
  assert.equal(p.server.open, false);
  assert.equal((await within(p.closed.server, WAIT_MS, "server session end")).code, "INVALID_REQUEST");
  await rejectsWith(held, "UNAVAILABLE", WAIT_MS, "pending call");
});

test("a document that is not a message, or of an unknown type, closes the session", async (t) => {
  for (const doc of [{ hello: 1 }, [99, 1], "CALL", [CALL]]) {
    const { pair: p } = pair(t);
    p.server.receive(codec.encode(doc));
    assert.equal(p.server.open, false, JSON.stringify(doc));
    assert.equal((await within(p.closed.server, WAIT_MS, "server session end")).code, "INVALID_REQUEST");
  }
});

test("a CALL with a malformed field is answered INVALID_REQUEST under its id and the session stays", async (t) => {
  const { pair: p } = pair(t);
  p.server.receive(codec.encode([CALL, 7, "add", "not an array"]));
  const frame = await p.frames.fromServer.waitFor((m) => m[0] === ERROR && m[1] === 7, WAIT_MS, "ERROR for call 7");
  assert.equal((frame.message![2] as { code: string }).code, "INVALID_REQUEST");
  assert.equal(p.server.open, true);
  assert.equal(await within(p.clientRemote.add(1, 2), WAIT_MS, "add"), 3);
});

test("a second CALL under an id still in flight is refused INVALID_REQUEST", async (t) => {
  const { pair: p, probe } = pair(t);
  p.server.receive(codec.encode([CALL, 50, "hold", []]));
  await probe.running(1);
  p.server.receive(codec.encode([CALL, 50, "add", [1, 2]]));
  const frame = await p.frames.fromServer.waitFor((m) => m[0] === ERROR && m[1] === 50, WAIT_MS, "ERROR for call 50");
  assert.equal((frame.message![2] as { code: string }).code, "INVALID_REQUEST");
  assert.equal(p.frames.fromServer.ofType(RESULT).length, 0, "the second call never ran");
});

test("calls in flight under ids that share a slot of the call table (256 apart, and 2^32 - 1) are each refused as duplicates and answered under their own id", async (t) => {
  const { pair: p, probe } = pair(t);
  const ids = [7, 7 + 256, 7 + 2048, 7 + 256 * 1000, 0xffffffff, 0xffffffff - 256];
  for (const id of ids) p.server.receive(codec.encode([CALL, id, "hold", []]));
  await probe.running(ids.length);
  p.server.receive(codec.encode([CALL, 7 + 2048, "add", [1, 2]]));
  const refused = await p.frames.fromServer.waitFor((m) => m[0] === ERROR && m[1] === 7 + 2048, WAIT_MS, "ERROR for the duplicate");
  assert.equal((refused.message![2] as { code: string }).code, "INVALID_REQUEST");
  probe.open();
  for (const id of ids) {
    const frame = await p.frames.fromServer.waitFor((m) => m[0] === RESULT && m[1] === id, WAIT_MS, `RESULT for call ${id}`);
    assert.equal(frame.message![2], "released");
  }
  assert.equal(p.frames.fromServer.ofType(RESULT).length, ids.length, "one answer per call, none for the duplicate");
});

test("an answer to an id nobody waits for is ignored", async (t) => {
  const { pair: p } = pair(t);
  p.client.receive(codec.encode([RESULT, 999, "stray"]));
  p.client.receive(codec.encode([ERROR, 998, { code: "INTERNAL", message: "stray" }]));
  assert.equal(p.client.open, true);
  assert.equal(await within(p.clientRemote.add(1, 2), WAIT_MS, "add"), 3);
});

test("each call served is logged with its method, protocol, transport, caller and outcome", async (t) => {
  const entries: CallLogEntry[] = [];
  const { pair: p } = pair(t, { callLog: (e) => entries.push(e) });
  await within(p.clientRemote.add(1, 2), WAIT_MS, "add");
  await rejectsWith(p.clientRemote.fail(), "INSUFFICIENT_FUNDS", WAIT_MS, "fail");
  await rejectsWith(p.client.call("nope", []), "METHOD_NOT_FOUND", WAIT_MS, "nope");
  assert.deepEqual(
    entries.map(({ durationMs, ...e }) => (assert.ok(durationMs >= 0), e)),
    [
      { method: "add", protocol: "farcall/1", transport: "memory", address: "client", outcome: "ok", notification: false },
      { method: "fail", protocol: "farcall/1", transport: "memory", address: "client", outcome: "INSUFFICIENT_FUNDS", notification: false },
      { method: "nope", protocol: "farcall/1", transport: "memory", address: "client", outcome: "METHOD_NOT_FOUND", notification: false },
    ],
  );
});

test("a handler calls its caller back over the same session, with ids of its own", async (t) => {
  const steps: number[] = [];
  const { pair: p } = pair(t, { clientApi: { step: (n: number) => (steps.push(n), n * 10) } });
  assert.equal(await within(p.clientRemote.progress(), WAIT_MS, "progress"), 30);
  assert.deepEqual(steps, [1, 2]);
  assert.deepEqual(p.frames.fromServer.ofType(CALL), [[CALL, 1, "step", [1]], [CALL, 2, "step", [2]]]);
  assert.deepEqual(p.frames.fromClient.ofType(RESULT), [[RESULT, 1, 10], [RESULT, 2, 20]]);
});
