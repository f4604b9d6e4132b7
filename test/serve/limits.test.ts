// Server-side limits seen from a well-behaved client.
import assert from "node:assert/strict";
import { test } from "node:test";
import { close, connect, RpcError, serve, type Logger } from "../../src/index.js";
import { rejectsWith } from "../helpers/bounded.js";

function capture(): { logger: Logger; lines: string[] } {
  const lines: string[] = [];
  const push = (m: string) => void lines.push(m);
  return { logger: { info: push, warn: push, error: push }, lines };
}

test("connections beyond maxConnections are refused and logged; the others keep working", async (t) => {
  const { logger, lines } = capture();
  const api = { ping: () => "pong" };
  const server = await serve(api, { listen: "tcp://127.0.0.1:0", maxConnections: 2, logger });
  t.after(() => server.close());
  const a = await connect<typeof api>(server.addresses[0]);
  const b = await connect<typeof api>(server.addresses[0]);
  t.after(() => Promise.all([close(a), close(b)]));
  await assert.rejects(connect(server.addresses[0], { connectTimeoutMs: 2000 }), (e: unknown) => RpcError.is(e) && e.code === "UNAVAILABLE");
  assert.ok(lines.some((l) => l.includes("maxConnections 2")), lines.join("\n"));
  assert.equal(await a.ping(), "pong");
  assert.equal(await b.ping(), "pong");
});

test("calls beyond maxCallsInFlight get RESOURCE_EXHAUSTED and the connection stays up", async (t) => {
  let release!: () => void;
  const gate = new Promise<void>((resolve) => (release = resolve));
  const api = { wait: () => gate.then(() => "done"), ping: () => "pong" };
  const server = await serve(api, { listen: "tcp://127.0.0.1:0", maxCallsInFlight: 3, logger: false });
  t.after(() => server.close());
  const remote = await connect<typeof api>(server.addresses[0]);
  t.after(() => close(remote));
  const waiting = [remote.wait(), remote.wait(), remote.wait()];
  const over = await remote.wait().then(
    () => assert.fail("the fourth call should be refused"),
    (e: unknown) => e,
  );
  assert.ok(RpcError.is(over));
  assert.equal(over.code, "RESOURCE_EXHAUSTED");
  assert.match(over.message, /maxCallsInFlight 3/);
  release();
  assert.deepEqual(await Promise.all(waiting), ["done", "done", "done"]);
  assert.equal(await remote.ping(), "pong", "the same connection answers again once calls finish");
});

test("calls beyond maxServerCallsInFlight over all connections and listeners get RESOURCE_EXHAUSTED; each connection keeps working", async (t) => {
  let release!: () => void;
  const gate = new Promise<void>((resolve) => (release = resolve));
  const api = { wait: () => gate.then(() => "done"), ping: () => "pong" };
  const server = await serve(api, { listen: ["tcp://127.0.0.1:0", "http://127.0.0.1:0/rpc"], maxServerCallsInFlight: 3, logger: false });
  t.after(() => server.close());
  const a = await connect<typeof api>(server.addresses[0]);
  const b = await connect<typeof api>(server.addresses[0]);
  const overHttp = await connect<typeof api>(server.addresses[1]);
  t.after(() => Promise.all([close(a), close(b), close(overHttp)]));
  const waiting = [a.wait(), a.wait(), b.wait()];
  for (const remote of [b, overHttp]) {
    const over = await remote.wait().then(
      () => assert.fail("a call past the server's limit should be refused"),
      (e: unknown) => e,
    );
    assert.ok(RpcError.is(over));
    assert.equal(over.code, "RESOURCE_EXHAUSTED");
    assert.equal(over.message, "3 calls in flight on this server reach maxServerCallsInFlight 3");
  }
  release();
  assert.deepEqual(await Promise.all(waiting), ["done", "done", "done"]);
  assert.deepEqual(await Promise.all([a.ping(), b.ping(), overHttp.ping()]), ["pong", "pong", "pong"]);
});

test("maxServerCallsInFlight and maxServerWriteBufferBytes are checked at startup", async () => {
  await assert.rejects(serve({}, { listen: "tcp://127.0.0.1:0", maxServerCallsInFlight: 0 }), /maxServerCallsInFlight/);
  await assert.rejects(serve({}, { listen: "tcp://127.0.0.1:0", maxServerWriteBufferBytes: 10 }), /maxServerWriteBufferBytes/);
});

test("a bad option fails at startup, naming the option", async () => {
  await assert.rejects(serve({}, { listen: "tcp://127.0.0.1:0", maxFrameBytes: -1 }), /maxFrameBytes/);
  await assert.rejects(serve({}, { listen: "tcp://127.0.0.1:0", handshakeTimeoutMs: 1.5 }), /handshakeTimeoutMs/);
  await assert.rejects(serve({}, { listen: "ftp://127.0.0.1:21" }), /unsupported transport/);
  await assert.rejects(connect("tcp://127.0.0.1:1", { keepaliveTimeoutMs: 0 }), /keepaliveTimeoutMs/);
});

test("a result or an argument over maxFrameBytes fails that call with RESOURCE_EXHAUSTED, and the connection carries on", async (t) => {
  const MiB = 1024 * 1024;
  const server = await serve({ big: (n: number) => new Uint8Array(n), echo: (x: unknown) => x, ok: () => "ok" }, { listen: "tcp://127.0.0.1:0", logger: false, maxFrameBytes: MiB });
  t.after(() => server.close());
  const remote = await connect<{ big(n: number): Uint8Array; echo(x: unknown): unknown; ok(): string }>(server.addresses[0], { logger: false, maxFrameBytes: MiB, reconnect: false });
  t.after(() => close(remote));
  const small = remote.big(10);
  const result = await rejectsWith(remote.big(2 * MiB), "RESOURCE_EXHAUSTED", 5000, "a result over the limit");
  assert.match(result.message, /big returned a value that cannot be sent: .*exceeds maxFrameBytes 1048576/);
  const argument = await rejectsWith(remote.echo(new Uint8Array(2 * MiB)), "RESOURCE_EXHAUSTED", 5000, "an argument over the limit");
  assert.match(argument.message, /exceeds maxFrameBytes 1048576/);
  assert.equal((await small).length, 10, "a call in flight beside them is answered");
  assert.equal(await remote.ok(), "ok", "the same connection still answers (reconnect is off)");
});

test("an error whose data cannot be sent still answers its call, naming why", async (t) => {
  const cyclic: Record<string, unknown> = {};
  cyclic.self = cyclic;
  const server = await serve(
    {
      fail: () => {
        throw new RpcError("APP", "with cyclic data", cyclic);
      },
      ok: () => "ok",
    },
    { listen: "tcp://127.0.0.1:0", logger: false },
  );
  t.after(() => server.close());
  const remote = await connect<{ fail(): void; ok(): string }>(server.addresses[0], { logger: false, reconnect: false });
  t.after(() => close(remote));
  const err = await rejectsWith(remote.fail(), "INTERNAL", 5000, "an unsendable error");
  assert.match(err.message, /fail threw an error that cannot be sent/);
  assert.equal(await remote.ok(), "ok");
});

test("HTTP answers count against maxServerWriteBufferBytes: one that would pass it is refused with 503 RESOURCE_EXHAUSTED, and the bytes are given back once sent", async (t) => {
  const server = await serve({ text: (n: number) => "x".repeat(n) }, { listen: "http://127.0.0.1:0/rpc", logger: false, maxServerWriteBufferBytes: 2048 });
  t.after(() => server.close());
  const post = async (n: number): Promise<{ status: number; doc: { result?: string; error?: { message: string; data?: { code?: string } } } }> => {
    const res = await fetch(server.addresses[0]!, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "text", params: [n] }) });
    return { status: res.status, doc: (await res.json()) as never };
  };
  const refused = await post(4096);
  assert.equal(refused.status, 503);
  assert.match(refused.doc.error!.message, /an answer of \d+ B cannot be queued: 0 B already queued for all callers \+ \d+ B exceed maxServerWriteBufferBytes 2048/);
  // Answers under the cap go through one after another: each gives its bytes back once sent.
  for (let i = 0; i < 5; i++) assert.equal((await post(1500)).doc.result?.length, 1500);
});
