// connect("jsonrpc+ws://..."): a server that goes away and comes back (waitForReady, the
// reconnect backoff), and errors the server cannot attribute (id null), which fail only the
// calls they can be matched to.
import assert from "node:assert/strict";
import { once } from "node:events";
import { createServer, type AddressInfo, type Socket } from "node:net";
import { describe, it, type TestContext } from "node:test";
import { WebSocketServer, type RawData, type WebSocket } from "ws";
import { batchSettled, close, connect, serve, withOptions } from "../../src/index.js";
import { rejectsWith, within } from "../helpers/bounded.js";

const api = { add: (a: number, b: number) => a + b };
const QUIET = { logger: false as const };

/** A free loopback port (taken and given back). */
async function freePort(): Promise<number> {
  const probe = createServer();
  probe.listen(0, "127.0.0.1");
  await once(probe, "listening");
  const { port } = probe.address() as AddressInfo;
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

describe("jsonrpc+ws:// when the server is away", () => {
  it("with waitForReady (the default) a call made while the server is down waits, and is answered once it is back", async (t) => {
    const port = await freePort();
    const first = await serve(api, { listen: `ws://127.0.0.1:${port}`, ...QUIET });
    const remote = await connect<typeof api>(`jsonrpc+ws://127.0.0.1:${port}/`, { ...QUIET, reconnect: { initialDelayMs: 20, maxDelayMs: 100 } });
    t.after(() => close(remote));
    assert.equal(await remote.add(1, 1), 2);
    await first.close({ drainMs: 0 });
    await new Promise((resolve) => setTimeout(resolve, 100)); // the client reads the server's goodbye
    const waiting = remote.add(2, 2);
    await new Promise((resolve) => setTimeout(resolve, 300));
    const again = await serve(api, { listen: `ws://127.0.0.1:${port}`, ...QUIET });
    t.after(() => again.close({ drainMs: 0 }));
    assert.equal(await within(waiting, 5000, "the call made while the server was down"), 4);
  });

  it("attempts against a server that refuses every connection are spaced by the reconnect backoff, and the call ends at its deadline", async (t) => {
    let attempts = 0;
    const refusing = createServer((socket: Socket) => {
      attempts++;
      socket.destroy();
    });
    refusing.listen(0, "127.0.0.1");
    await once(refusing, "listening");
    t.after(() => refusing.close());
    const { port } = refusing.address() as AddressInfo;
    const remote = await connect<typeof api>(`jsonrpc+ws://127.0.0.1:${port}/`, { ...QUIET, reconnect: { initialDelayMs: 100, maxDelayMs: 400 } });
    t.after(() => close(remote));
    await rejectsWith(withOptions(remote, { timeout: 1000 }).add(1, 1), "DEADLINE_EXCEEDED", 5000, "a call while every attempt fails");
    // At 0, 100, 300 and 700 ms (doubling up to 400): 4 or 5 in the second, not one per event-loop turn.
    assert.ok(attempts >= 3 && attempts <= 6, `${attempts} attempts in 1 s`);
  });

  it("with waitForReady: false a call made while the last attempt failed fails at once with UNAVAILABLE; calls work again once the server is back", async (t) => {
    const port = await freePort();
    const first = await serve(api, { listen: `ws://127.0.0.1:${port}`, ...QUIET });
    const remote = await connect<typeof api>(`jsonrpc+ws://127.0.0.1:${port}/`, { ...QUIET, waitForReady: false, reconnect: { initialDelayMs: 20, maxDelayMs: 50 } });
    t.after(() => close(remote));
    assert.equal(await remote.add(1, 1), 2);
    await first.close({ drainMs: 0 });
    await new Promise((resolve) => setTimeout(resolve, 100)); // the client reads the server's goodbye
    await rejectsWith(remote.add(1, 1), "UNAVAILABLE", 5000, "the first call after the drop, whose attempt fails");
    const started = Date.now();
    const error = await rejectsWith(remote.add(1, 1), "UNAVAILABLE", 5000, "a call while the last attempt failed");
    assert.match(error.message, /waitForReady: false/);
    assert.ok(Date.now() - started < 1000, "failed at once, not after a reconnect wait");
    const again = await serve(api, { listen: `ws://127.0.0.1:${port}`, ...QUIET });
    t.after(() => again.close({ drainMs: 0 }));
    // The client redials on its own backoff; until it is back each call fails at once, so
    // ask until one succeeds (a loaded machine may take longer than one backoff step).
    const deadline = Date.now() + 5000;
    let sum: number | undefined;
    while (sum === undefined) {
      try {
        sum = await within(remote.add(2, 3), 5000, "a call once the server is back");
      } catch (err) {
        if ((err as { code?: string }).code !== "UNAVAILABLE" || Date.now() > deadline) throw err;
        await new Promise((resolve) => setTimeout(resolve, 25));
      }
    }
    assert.equal(sum, 5);
  });
});

/**
 * A JSON-RPC server over WebSocket that answers "add" after `delay` ms (from its params'
 * third element, default 0) and "garbled" with an error whose id is null, as a server that
 * could not read the request's id does.
 */
async function nullIdServer(t: TestContext): Promise<string> {
  const wss = new WebSocketServer({ host: "127.0.0.1", port: 0, handleProtocols: () => "jsonrpc-2.0" });
  await once(wss, "listening");
  t.after(() => {
    for (const client of wss.clients) client.terminate();
    return new Promise((resolve) => wss.close(resolve));
  });
  const unreadable = { jsonrpc: "2.0", id: null, error: { code: -32600, message: "unreadable request" } };
  const answer = (req: { id: number; method: string; params: number[] }) => (req.method === "garbled" ? unreadable : { jsonrpc: "2.0", id: req.id, result: req.params[0]! + req.params[1]! });
  wss.on("connection", (socket: WebSocket) => {
    socket.on("message", (data: RawData) => {
      const doc = JSON.parse(data.toString()) as unknown;
      if (Array.isArray(doc)) return void socket.send(JSON.stringify(doc.map(answer)));
      const req = doc as { id: number; method: string; params: number[] };
      setTimeout(() => socket.send(JSON.stringify(answer(req))), req.params?.[2] ?? 0);
    });
  });
  return `jsonrpc+ws://127.0.0.1:${(wss.address() as AddressInfo).port}/`;
}

type NullIdApi = { add(a: number, b: number, delayMs?: number): number; garbled(): void };

describe("jsonrpc+ws:// and errors with id null", () => {
  it("with one call awaiting an answer, an error with id null fails that call", async (t) => {
    const remote = await connect<NullIdApi>(await nullIdServer(t), QUIET);
    t.after(() => close(remote));
    const error = await rejectsWith(remote.garbled(), "INVALID_REQUEST", 5000, "the only call in flight");
    assert.match(error.message, /unreadable request/);
  });

  it("with several calls awaiting answers, an error with id null fails none of them: each gets its own answer or deadline", async (t) => {
    const remote = await connect<NullIdApi>(await nullIdServer(t), QUIET);
    t.after(() => close(remote));
    const slow = remote.add(1, 2, 300);
    const garbled = withOptions(remote, { timeout: 600 }).garbled();
    assert.equal(await within(slow, 5000, "the call answered after the id-null error"), 3);
    await rejectsWith(garbled, "DEADLINE_EXCEEDED", 5000, "the call the error could not be matched to");
  });

  it("inside a batch's answer, an error with id null fails the batch's unanswered call; a call outside the batch is untouched", async (t) => {
    const remote = await connect<NullIdApi>(await nullIdServer(t), QUIET);
    t.after(() => close(remote));
    const outside = remote.add(5, 5, 300);
    const [sum, garbled] = await within(batchSettled(remote, (r) => [r.add(1, 1), r.garbled()]), 5000, "the batch");
    assert.deepEqual(sum, { status: "fulfilled", value: 2 });
    assert.equal(garbled.status, "rejected");
    assert.equal((garbled as PromiseRejectedResult).reason.code, "INVALID_REQUEST");
    assert.equal(await within(outside, 5000, "the call outside the batch"), 10);
  });
});
