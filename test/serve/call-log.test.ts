/**
 * serve(api, { callLog }): one entry per call served (method, duration, outcome, caller,
 * protocol), for farcall/1, JSON-RPC over HTTP and JSON-RPC over raw TCP.
 */
import assert from "node:assert/strict";
import { connect as netConnect } from "node:net";
import { after, before, describe, it } from "node:test";
import { close, connect, notify, RpcError, serve, type CallLogEntry, type Server } from "../../src/index.js";
import { rejectsWith, within } from "../helpers/bounded.js";

const WAIT_MS = 5000;

const api = {
  add: (a: number, b: number) => a + b,
  later: async (x: number) => x,
  overdrawn: () => {
    throw new RpcError("OVERDRAWN", "the account is overdrawn");
  },
  broken: () => {
    throw new Error("oops");
  },
};

/** Collects entries; `next(n)` waits until `n` more have arrived and answers them. */
class Entries {
  readonly all: CallLogEntry[] = [];
  private wake: (() => void) | undefined;
  readonly log = (entry: CallLogEntry): void => {
    this.all.push(entry);
    this.wake?.();
  };
  private read = 0;

  async next(n: number): Promise<CallLogEntry[]> {
    await within((async () => {
      while (this.all.length < this.read + n) await new Promise<void>((resolve) => (this.wake = resolve));
    })(), WAIT_MS, `${n} call-log entries`);
    const out = this.all.slice(this.read, this.read + n);
    this.read += n;
    return out;
  }
}

/** The fields of an entry that do not vary from run to run. */
function stable(e: CallLogEntry) {
  return { method: e.method, protocol: e.protocol, transport: e.transport, address: e.address, outcome: e.outcome, notification: e.notification };
}

describe("the call log", () => {
  const entries = new Entries();
  let server: Server;
  let tcp: string;
  let http: string;
  before(async () => {
    server = await serve(api, { listen: ["tcp://127.0.0.1:0", "http://127.0.0.1:0/rpc"], logger: false, callLog: entries.log });
    [tcp, http] = server.addresses as [string, string];
  });
  after(() => server.close());

  it("logs each farcall/1 call with its outcome: ok, its RpcError code, INTERNAL, METHOD_NOT_FOUND", async () => {
    const remote = await connect<typeof api & { missing(): void }>(tcp, { logger: false });
    try {
      assert.equal(await remote.add(1, 2), 3);
      assert.equal(await remote.later(4), 4);
      await rejectsWith(remote.overdrawn(), "OVERDRAWN", WAIT_MS, "overdrawn");
      await rejectsWith(remote.broken(), "INTERNAL", WAIT_MS, "broken");
      await rejectsWith(remote.missing(), "METHOD_NOT_FOUND", WAIT_MS, "missing");
      const logged = await entries.next(5);
      const local = { protocol: "farcall/1", transport: "tcp", address: "127.0.0.1", notification: false };
      assert.deepEqual(logged.map(stable), [
        { ...local, method: "add", outcome: "ok" },
        { ...local, method: "later", outcome: "ok" },
        { ...local, method: "overdrawn", outcome: "OVERDRAWN" },
        { ...local, method: "broken", outcome: "INTERNAL" },
        { ...local, method: "missing", outcome: "METHOD_NOT_FOUND" },
      ]);
      for (const e of logged) {
        assert.equal(typeof e.port, "number");
        assert.ok(e.durationMs >= 0 && e.durationMs < WAIT_MS, `durationMs ${e.durationMs}`);
      }
      notify(remote.add, [1, 1]);
      assert.deepEqual((await entries.next(1)).map(stable), [{ ...local, method: "add", outcome: "ok", notification: true }]);
    } finally {
      await close(remote);
    }
  });

  it("logs JSON-RPC calls over HTTP, on the http:// listener and on the one-port listener", async () => {
    const port = new URL(tcp).port;
    for (const url of [http, `http://127.0.0.1:${port}/`]) {
      const res = await within(fetch(url, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify([
          { jsonrpc: "2.0", id: 1, method: "add", params: [1, 2] },
          { jsonrpc: "2.0", id: 2, method: "overdrawn" },
          { jsonrpc: "2.0", id: 3, method: "nope" },
        ]),
      }), WAIT_MS, "POST");
      assert.equal(res.status, 200);
      await res.arrayBuffer();
      const logged = (await entries.next(3)).map(stable).sort((a, b) => (a.method < b.method ? -1 : 1));
      const local = { protocol: "jsonrpc", transport: "http", address: "127.0.0.1", notification: false };
      assert.deepEqual(logged, [
        { ...local, method: "add", outcome: "ok" },
        { ...local, method: "nope", outcome: "METHOD_NOT_FOUND" },
        { ...local, method: "overdrawn", outcome: "OVERDRAWN" },
      ]);
    }
  });

  it("logs JSON-RPC calls over raw TCP, notifications included", async () => {
    const socket = netConnect(Number(new URL(tcp).port), "127.0.0.1");
    socket.on("error", () => {}); // the test fails on the missing entries instead
    socket.write('{"jsonrpc":"2.0","id":1,"method":"later","params":[5]}\n{"jsonrpc":"2.0","method":"add","params":[1,1]}\n');
    const logged = (await entries.next(2)).map(stable).sort((a, b) => (a.method < b.method ? -1 : 1));
    socket.destroy();
    const local = { protocol: "jsonrpc", transport: "tcp", address: "127.0.0.1" };
    assert.deepEqual(logged, [
      { ...local, method: "add", outcome: "ok", notification: true },
      { ...local, method: "later", outcome: "ok", notification: false },
    ]);
  });

  it("refuses a callLog that is not a function, naming the option", async () => {
    await assert.rejects(serve(api, { listen: "tcp://127.0.0.1:0", logger: false, callLog: "calls.log" as never }), /callLog must be a function/);
  });
});

describe("the call log over HTTP, for a caller that leaves", () => {
  it("logs CANCELLED for a call whose HTTP caller went away while a handler that never reads its signal ran", async (t) => {
    const entries = new Entries();
    let release: () => void = () => {};
    const released = new Promise<void>((resolve) => (release = resolve));
    let started: () => void = () => {};
    const running = new Promise<void>((resolve) => (started = resolve));
    const server = await serve(
      {
        slow: async () => {
          started();
          await released;
          return "late";
        },
      },
      { listen: "http://127.0.0.1:0/rpc", logger: false, callLog: entries.log },
    );
    t.after(() => server.close({ drainMs: 0 }));
    const controller = new AbortController();
    const call = fetch(server.addresses[0]!, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "slow" }), signal: controller.signal });
    call.catch(() => {}); // aborted on purpose below
    await within(running, WAIT_MS, "the handler to start");
    controller.abort();
    // The handler finishes only once the server has seen the connection go.
    await within((async () => {
      while (server.connections > 0) await new Promise((resolve) => setTimeout(resolve, 5));
    })(), WAIT_MS, "the server to see the caller leave");
    release();
    const [entry] = await entries.next(1);
    assert.deepEqual({ method: entry!.method, outcome: entry!.outcome }, { method: "slow", outcome: "CANCELLED" });
  });
});
