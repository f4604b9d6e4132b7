// Session resumption: a client whose connection drops gets its session back within the
// server's resumeWindowMs; streams, callbacks and calls in flight go on with nothing lost or
// repeated. Connections (tcp://, tls://, unix://, ws://, wss://) are cut by a proxy that
// resets both sides (closes them, for Unix sockets), never by a clean close by either peer.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it, type TestContext } from "node:test";
import { close, connect, context, serve, withOptions, type ConnectOptions, type RpcError, type ServeOptions } from "../../src/index.js";
import { later, rejectsWith, until, within } from "../helpers/bounded.js";
import { makeTestCertificates, opensslMissing, type TestCertificates } from "../helpers/certs.js";
import { CutProxy } from "../helpers/cut-proxy.js";

/** What the server saw of the callbacks fireLater() made, by outcome ("ok" or the error code). */
const fireOutcomes = new Map<string, number>();

function makeApi() {
  return {
    async *count(n: number) {
      for (let i = 0; i < n; i++) yield i;
    },
    /** Calls `cb` with 0..n-1, 50 at a time without waiting between them; resolves once every call was answered. */
    async fire(cb: (i: number) => Promise<void>, n: number) {
      for (let i = 0; i < n; i += 50) {
        const calls: Promise<void>[] = [];
        for (let j = i; j < Math.min(n, i + 50); j++) calls.push(cb(j));
        await Promise.all(calls);
      }
      return n;
    },
    async slow(ms: number, value: string) {
      await new Promise((resolve) => setTimeout(resolve, ms));
      return value;
    },
    /** `delayMs` from now, calls `cb` with 0..n-1 without waiting between them, counting outcomes in fireOutcomes. */
    fireLater(cb: (i: number) => Promise<void> | void, n: number, delayMs: number) {
      const count = (outcome: string) => fireOutcomes.set(outcome, (fireOutcomes.get(outcome) ?? 0) + 1);
      setTimeout(() => {
        for (let i = 0; i < n; i++) Promise.resolve(cb(i)).then(() => count("ok"), (err: RpcError) => count(String(err.code)));
      }, delayMs);
    },
    ping: () => "pong",
    /** The caller's port as the server sees it (the proxy's side of this connection). */
    callerPort: () => context().peer.port,
  };
}
type Api = ReturnType<typeof makeApi>;

const QUIET = { logger: false as const };

/** Certificates for tls://, made once (openssl); the TLS bytes pass the proxy like any others. */
let certs: TestCertificates | undefined;
function tlsCertificates(): TestCertificates {
  const missing = opensslMissing();
  if (missing) throw new Error(missing);
  certs ??= makeTestCertificates();
  return certs;
}
after(() => certs?.dispose());

type Scheme = "tcp" | "ws" | "tls" | "wss" | "unix";

/** A server keeping sessions, a proxy in front of it, and a resuming client through the proxy. */
async function setup(t: TestContext, scheme: Scheme, serverOptions: ServeOptions = {}, clientOptions: ConnectOptions = {}) {
  const tls = scheme === "tls" || scheme === "wss" ? tlsCertificates() : undefined;
  let listen = tls ? "tls://127.0.0.1:0" : "tcp://127.0.0.1:0";
  if (scheme === "unix") {
    const dir = mkdtempSync(join(tmpdir(), "farcall-resume-"));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    listen = `unix://${join(dir, "server.sock")}`;
  }
  const server = await serve(makeApi(), { listen, resumeWindowMs: 10_000, ...QUIET, ...(tls ? { tls: tls.server } : {}), ...serverOptions });
  t.after(() => server.close({ drainMs: 0 }));
  const proxy = await CutProxy.start(scheme === "unix" ? listen.slice("unix://".length) : Number(new URL(server.addresses[0]!).port));
  t.after(() => proxy.close());
  const url = scheme === "unix" ? `unix://${proxy.path}` : scheme === "ws" || scheme === "wss" ? `${scheme}://127.0.0.1:${proxy.port}/` : `${scheme}://127.0.0.1:${proxy.port}`;
  const remote = await connect<Api>(url, { resume: true, reconnect: { initialDelayMs: 10, maxDelayMs: 50 }, ...QUIET, ...(tls ? { tls: { ca: tls.ca } } : {}), ...clientOptions });
  t.after(() => close(remote));
  return { server, proxy, remote };
}

for (const scheme of ["tcp", "ws", "tls", "wss", "unix"] as const) {
  describe(`resumption over ${scheme}://`, () => {
    it("a stream read across cuts yields every item exactly once, in order", async (t) => {
      const { proxy, remote } = await setup(t, scheme);
      const n = 3000;
      const seen: number[] = [];
      for await (const item of await remote.count(n)) {
        seen.push(item);
        if (item % 500 === 250) proxy.cut();
      }
      assert.deepEqual(seen, Array.from({ length: n }, (_, i) => i));
      assert.ok(proxy.accepted >= 7, `the client reconnected after each of the 6 cuts (${proxy.accepted} connections)`);
    });

    it("a callback fired 1,000 times during cuts is seen 1,000 times, in order", async (t) => {
      const { proxy, remote } = await setup(t, scheme);
      const seen: number[] = [];
      const fired = remote.fire(async (i: number) => {
        seen.push(i);
        if (i % 200 === 100) proxy.cut();
      }, 1000);
      assert.equal(await within(fired, 20_000, "fire()"), 1000);
      assert.deepEqual(seen, Array.from({ length: 1000 }, (_, i) => i));
      assert.ok(proxy.accepted >= 6, `the client reconnected after each of the 5 cuts (${proxy.accepted} connections)`);
    });

    it("calls in flight during a cut resolve after the resumption", async (t) => {
      const { proxy, remote } = await setup(t, scheme);
      const calls = [remote.slow(300, "a"), remote.slow(400, "b"), remote.slow(0, "c")];
      await new Promise((resolve) => setTimeout(resolve, 100));
      proxy.cut();
      assert.deepEqual(await within(Promise.all(calls), 10_000, "calls in flight"), ["a", "b", "c"]);
      assert.equal(await remote.ping(), "pong");
    });

    it("past resumeWindowMs the session ends: a call in flight rejects with UNAVAILABLE, and the next call gets a fresh session", async (t) => {
      const { proxy, remote } = await setup(t, scheme, { resumeWindowMs: 300 });
      const inFlight = remote.slow(5000, "never");
      await new Promise((resolve) => setTimeout(resolve, 50));
      proxy.refuse(true);
      proxy.cut();
      const error = await rejectsWith(inFlight, "UNAVAILABLE", 5000, "a call in flight when the window passed");
      assert.match(error.message, /resume/);
      proxy.refuse(false);
      assert.equal(await within(remote.ping(), 5000, "a call after the window"), "pong");
    });
  });
}

/** A logger that keeps its lines. */
function recordingLogger() {
  const lines: string[] = [];
  const log = (line: string) => void lines.push(line);
  return { lines, logger: { info: log, warn: log, error: log } };
}

/** A second resuming client through `proxy` gets its session back across a cut: the server had room for it among maxDetachedSessions. */
async function secondResumes(t: TestContext, proxy: CutProxy): Promise<void> {
  const second = await connect<Api>(`tcp://127.0.0.1:${proxy.port}`, { resume: true, reconnect: { initialDelayMs: 10, maxDelayMs: 50 }, ...QUIET });
  t.after(() => close(second));
  const call = second.slow(300, "resumed");
  await new Promise((resolve) => setTimeout(resolve, 50));
  proxy.cut();
  assert.equal(await within(call, 5000, "the second client's call across a cut"), "resumed");
}

describe("resumption's bounds", () => {
  it("past maxDetachedSessions a dropped session ends at once: its client's call fails with UNAVAILABLE while the other resumes", async (t) => {
    const { lines, logger } = recordingLogger();
    const { proxy, remote: first, server } = await setup(t, "tcp", { maxDetachedSessions: 1, logger });
    const second = await connect<Api>(`tcp://127.0.0.1:${proxy.port}`, { resume: true, reconnect: { initialDelayMs: 10, maxDelayMs: 50 }, ...QUIET });
    t.after(() => close(second));
    const calls = [first.slow(300, "first"), second.slow(300, "second")];
    await new Promise((resolve) => setTimeout(resolve, 50));
    proxy.refuse(true);
    proxy.cut();
    await until(5000, "the server noticed both drops", () => lines.filter((l) => /connection lost|maxDetachedSessions/.test(l)).length >= 2);
    proxy.refuse(false);
    const outcomes = await within(Promise.allSettled(calls), 10_000, "both calls");
    const failed = outcomes.filter((o) => o.status === "rejected");
    assert.equal(failed.length, 1, `one session resumed, one ended: ${JSON.stringify(outcomes)}`);
    const error = (failed[0] as PromiseRejectedResult).reason as RpcError;
    assert.equal(error.code, "UNAVAILABLE");
    assert.match(error.message, /could not be resumed/);
    assert.ok(lines.some((l) => /maxDetachedSessions 1 sessions already wait/.test(l)), lines.join("\n"));
    void server;
  });

  it("a client's close() ends its session on the server at once: it takes no place among maxDetachedSessions", async (t) => {
    const { proxy, remote: first } = await setup(t, "tcp", { maxDetachedSessions: 1 });
    assert.equal(await first.ping(), "pong");
    await close(first);
    await secondResumes(t, proxy);
  });

  it("a client's close() with a call pending still ends its session on the server at once: the call fails UNAVAILABLE, and the session takes no place among maxDetachedSessions", async (t) => {
    const { proxy, remote: first } = await setup(t, "tcp", { maxDetachedSessions: 1 });
    const pending = first.slow(5000, "never");
    await new Promise((resolve) => setTimeout(resolve, 50));
    await close(first);
    await rejectsWith(pending, "UNAVAILABLE", 1000, "the call pending at close()");
    await secondResumes(t, proxy);
  });

  it("a resumed session's context().peer names the new connection", async (t) => {
    const { proxy, remote } = await setup(t, "tcp");
    const before = await remote.callerPort();
    proxy.cut();
    assert.equal(await within(remote.ping(), 5000, "a call after the cut"), "pong");
    const after = await remote.callerPort();
    assert.equal(typeof after, "number");
    assert.notEqual(after, before, "the port of the proxy's new connection, not the first one's");
  });

  it("with waitForReady: false a call made while the session waits for its resumption fails at once with UNAVAILABLE; calls in flight still resolve after it", async (t) => {
    const { proxy, remote } = await setup(t, "tcp", {}, { waitForReady: false });
    const inFlight = remote.slow(300, "kept");
    await new Promise((resolve) => setTimeout(resolve, 50));
    proxy.refuse(true);
    proxy.cut();
    await new Promise((resolve) => setTimeout(resolve, 100));
    const started = Date.now();
    const error = await rejectsWith(remote.ping(), "UNAVAILABLE", 1000, "a call made while detached");
    assert.match(error.message, /waits for its resumption \(waitForReady: false\)/);
    assert.ok(Date.now() - started < 200, "failed at once, not after a reconnection attempt");
    proxy.refuse(false);
    assert.equal(await within(inFlight, 5000, "the call in flight at the cut"), "kept");
    assert.equal(await remote.ping(), "pong");
  });

  it("keepalive pauses while the session waits: a drop longer than keepaliveIntervalMs + keepaliveTimeoutMs is still resumed", async (t) => {
    // Client and server share this process. On a loaded machine the process itself may stand
    // still past the keepalive bound while the session is attached, and the session then ends
    // by design ("this process stood still"): such a run says nothing about the pause, so it is
    // run again, at most three times in all. Any other failure fails the test at once.
    const keepalive = { keepaliveIntervalMs: 150, keepaliveTimeoutMs: 150 };
    const stalls: string[] = [];
    for (let attempt = 0; attempt < 3; attempt++) {
      const { proxy, remote } = await setup(t, "tcp", keepalive, keepalive);
      const call = later(remote.slow(1200, "kept alive"));
      await new Promise((resolve) => setTimeout(resolve, 50));
      proxy.refuse(true);
      proxy.cut();
      // Detached for over twice interval + timeout: unpaused keepalive would end the session.
      await new Promise((resolve) => setTimeout(resolve, 700));
      proxy.refuse(false);
      try {
        assert.equal(await within(call, 5000, "a call across a drop of 700 ms"), "kept alive");
        // Keepalive runs again on the new connection: a quiet session stays up past several intervals.
        await new Promise((resolve) => setTimeout(resolve, 700));
        assert.equal(await remote.ping(), "pong");
        return;
      } catch (err) {
        const message = err instanceof Error ? err.message : String(err);
        if (!/this process stood still for \d+ ms/.test(message)) throw err;
        stalls.push(message);
        await close(remote);
      }
    }
    assert.fail(`the process stood still in every attempt: ${stalls.join("; ")}`);
  });

  it("a server restarted while the link was down refuses the resumption: the call in flight fails with UNAVAILABLE at once, the next call gets a fresh session", async (t) => {
    const { proxy, remote, server } = await setup(t, "tcp");
    const call = remote.slow(5000, "never");
    await new Promise((resolve) => setTimeout(resolve, 50));
    proxy.refuse(true);
    proxy.cut();
    await server.close({ drainMs: 0 });
    const again = await serve(makeApi(), { listen: server.addresses[0]!, resumeWindowMs: 10_000, ...QUIET });
    t.after(() => again.close({ drainMs: 0 }));
    proxy.refuse(false);
    const error = await rejectsWith(call, "UNAVAILABLE", 3000, "the call in flight on the lost session");
    assert.match(error.message, /could not be resumed: .*no session \S+ waits to be resumed/);
    assert.equal(await within(remote.ping(), 5000, "a call on the fresh session"), "pong");
  });

  it("a call's deadline still counts while the session waits for its resumption", async (t) => {
    const { proxy, remote } = await setup(t, "tcp");
    const call = withOptions(remote, { timeout: 200 }).slow(2000, "late");
    await new Promise((resolve) => setTimeout(resolve, 50));
    proxy.refuse(true);
    proxy.cut();
    const started = Date.now();
    await rejectsWith(call, "DEADLINE_EXCEEDED", 5000, "a call whose deadline passed while detached");
    assert.ok(Date.now() - started < 1000, "the deadline was kept, not the resumption's");
    proxy.refuse(false);
    assert.equal(await within(remote.ping(), 5000, "a call after the resumption"), "pong");
  });

  it("a callback past resumeBufferFrames while detached fails alone with RESOURCE_EXHAUSTED; those kept arrive after the resumption, in order", async (t) => {
    fireOutcomes.clear();
    const { proxy, remote } = await setup(t, "tcp", { resumeBufferFrames: 100 });
    const seen: number[] = [];
    await remote.fireLater((i: number) => void seen.push(i), 500, 100);
    proxy.refuse(true);
    proxy.cut();
    await until(5000, "the server fired every callback", () => (fireOutcomes.get("RESOURCE_EXHAUSTED") ?? 0) > 0);
    proxy.refuse(false);
    await until(5000, "the kept callbacks were answered", () => (fireOutcomes.get("ok") ?? 0) + (fireOutcomes.get("RESOURCE_EXHAUSTED") ?? 0) === 500);
    assert.ok(seen.length >= 90 && seen.length <= 100, `about resumeBufferFrames callbacks were kept: ${seen.length}`);
    assert.deepEqual(seen, Array.from({ length: seen.length }, (_, i) => i));
    assert.equal(fireOutcomes.get("ok"), seen.length);
    assert.equal(await remote.ping(), "pong");
  });

  it("a client without resume, against a server keeping sessions, fails its calls in flight with UNAVAILABLE on a drop, as before", async (t) => {
    const { proxy } = await setup(t, "tcp");
    const plain = await connect<Api>(`tcp://127.0.0.1:${proxy.port}`, { reconnect: { initialDelayMs: 10, maxDelayMs: 50 }, ...QUIET });
    t.after(() => close(plain));
    const call = plain.slow(500, "never");
    await new Promise((resolve) => setTimeout(resolve, 50));
    proxy.cut();
    await rejectsWith(call, "UNAVAILABLE", 5000, "a plain session's call in flight");
    assert.equal(await within(plain.ping(), 5000, "the next call, on a new session"), "pong");
  });

  it("a resuming client against a server that keeps no sessions gets a plain one: a drop fails its calls in flight with UNAVAILABLE", async (t) => {
    const { proxy, remote } = await setup(t, "tcp", { resumeWindowMs: 0 });
    const call = remote.slow(500, "never");
    await new Promise((resolve) => setTimeout(resolve, 50));
    proxy.cut();
    await rejectsWith(call, "UNAVAILABLE", 5000, "a call in flight on a plain session");
    assert.equal(await within(remote.ping(), 5000, "the next call, on a new session"), "pong");
  });

  it("resumeBufferBytes above maxWriteBufferBytes is refused at startup, naming both", async () => {
    await assert.rejects(serve(makeApi(), { listen: "tcp://127.0.0.1:0", resumeWindowMs: 1000, maxWriteBufferBytes: 4096, resumeBufferBytes: 8192, ...QUIET }), /resumeBufferBytes 8192 exceeds maxWriteBufferBytes 4096/);
    await assert.rejects(connect("tcp://127.0.0.1:1", { resume: "yes" as unknown as boolean }), /resume must be true or false/);
  });
});
