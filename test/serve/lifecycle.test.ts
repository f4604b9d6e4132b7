/**
 * A server's life as its callers see it: listening (port 0, several URLs at once), what a
 * handler learns from context(), deadlines and cancellation reaching the handler, closing a
 * client, and graceful shutdown with GOAWAY and a drain period.
 */
import assert from "node:assert/strict";
import { EventEmitter, once } from "node:events";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as delay } from "node:timers/promises";
import { describe, it, type TestContext } from "node:test";
import { close, connect, context, RpcError, serve, withOptions, type ConnectOptions, type Remote, type ServeOptions, type Server } from "../../src/index.js";
import { later, rejectsWith, within } from "../helpers/bounded.js";

/** What a handler saw of its call. */
interface Seen {
  method: string;
  transport: string;
  address: string;
  port: number | undefined;
  authenticated: boolean;
  deadline: number | undefined;
  meta: Record<string, unknown>;
}

/**
 * The API under test. `events` reports from inside the handlers: "started" when a slow
 * handler begins, "aborted" (with the reason's code) when its signal aborts, "finished"
 * when it ran to its end.
 */
function makeApi() {
  const events = new EventEmitter();
  const api = {
    echo: (value: unknown) => value,
    /** Resolves with `value` after `ms`, unless the call is abandoned first. */
    async slow(ms: number, value: unknown): Promise<unknown> {
      const { signal } = context();
      signal.addEventListener("abort", () => events.emit("aborted", RpcError.is(signal.reason) ? signal.reason.code : String(signal.reason)), { once: true });
      events.emit("started");
      await delay(ms, undefined, { signal }).catch(() => {
        // Abandoned: the caller is told by the framework, this result goes nowhere.
      });
      if (!signal.aborted) events.emit("finished");
      return value;
    },
    ns: {
      whoami(): Seen {
        const c = context();
        return {
          method: c.method,
          transport: c.peer.transport,
          address: c.peer.address,
          port: c.peer.port,
          authenticated: c.peer.authenticated,
          deadline: c.deadline,
          meta: { ...c.meta },
        };
      },
    },
  };
  return { api, events };
}
type Api = ReturnType<typeof makeApi>["api"];

/** Resolves once `emitter` has emitted `name` `count` times (counting from now). */
function times(emitter: EventEmitter, name: string, count: number): Promise<unknown[]> {
  const seen: unknown[] = [];
  return new Promise((resolve) => {
    const listener = (value: unknown): void => {
      seen.push(value);
      if (seen.length === count) {
        emitter.removeListener(name, listener);
        resolve(seen);
      }
    };
    emitter.on(name, listener);
  });
}

async function start(t: TestContext, options: ServeOptions = {}): Promise<{ server: Server; events: EventEmitter; url: string }> {
  const { api, events } = makeApi();
  const server = await serve(api, { listen: "tcp://127.0.0.1:0", logger: false, ...options });
  t.after(() => server.close({ drainMs: 0 }));
  return { server, events, url: server.addresses[0] };
}

async function client(t: TestContext, url: string, options: ConnectOptions = {}): Promise<Remote<Api>> {
  const remote = await connect<Api>(url, { logger: false, ...options });
  t.after(() => close(remote));
  return remote;
}

function tempDir(t: TestContext): string {
  // Short: a unix socket path is limited to about 100 bytes.
  const dir = mkdtempSync(join(tmpdir(), "fc-"));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

describe("listening", () => {
  it("serve() on port 0 reports the real port in server.addresses, and that address answers", async (t) => {
    const { server } = await start(t);
    assert.equal(server.addresses.length, 1);
    const match = /^tcp:\/\/127\.0\.0\.1:(\d+)$/.exec(server.addresses[0]);
    assert.ok(match, `unexpected address ${server.addresses[0]}`);
    assert.ok(Number(match[1]) > 0);
    const remote = await client(t, server.addresses[0]);
    assert.equal(await remote.echo("hello"), "hello");
  });

  it("a server listening on a tcp and a unix URL at once answers on both", async (t) => {
    const path = join(tempDir(t), "s.sock");
    const { server } = await start(t, { listen: ["tcp://127.0.0.1:0", `unix://${path}`] });
    assert.equal(server.addresses.length, 2);
    assert.match(server.addresses[0], /^tcp:\/\/127\.0\.0\.1:[1-9]\d*$/);
    assert.equal(server.addresses[1], `unix://${path}`);
    const overTcp = await client(t, server.addresses[0]);
    const overUnix = await client(t, server.addresses[1]);
    assert.equal((await overTcp.ns.whoami()).transport, "tcp");
    assert.equal((await overUnix.ns.whoami()).transport, "unix");
  });
});

describe("context() inside a handler", () => {
  it("reports the method path, the peer's address and port, and authenticated false on a server without an authkey", async (t) => {
    const { url } = await start(t);
    const seen = await (await client(t, url)).ns.whoami();
    assert.equal(seen.method, "ns.whoami");
    assert.equal(seen.transport, "tcp");
    assert.equal(seen.address, "127.0.0.1");
    assert.ok(typeof seen.port === "number" && seen.port > 0, `port ${seen.port}`);
    assert.equal(seen.authenticated, false);
    assert.equal(seen.deadline, undefined);
    assert.deepEqual(seen.meta, {});
  });

  it("reports authenticated true when the client proved the authkey", async (t) => {
    const { url } = await start(t, { authkey: "s3cret" });
    const seen = await (await client(t, url, { authkey: "s3cret" })).ns.whoami();
    assert.equal(seen.authenticated, true);
  });

  it("reports the deadline of a call with a timeout, as an absolute time on the server's clock", async (t) => {
    const { url } = await start(t);
    const remote = await client(t, url);
    const before = Date.now();
    const seen = await withOptions(remote, { timeout: 5000 }).ns.whoami();
    const after = Date.now();
    assert.ok(seen.deadline !== undefined, "no deadline");
    assert.ok(seen.deadline >= before + 5000 - 50 && seen.deadline <= after + 5000 + 50, `deadline ${seen.deadline - before} ms after the call was made`);
  });

  it("reports the metadata set through withOptions(remote, { meta })", async (t) => {
    const { url } = await start(t);
    const remote = await client(t, url);
    const meta = { tenant: "acme", attempt: 2, tags: ["a", "b"] };
    assert.deepEqual((await withOptions(remote, { meta }).ns.whoami()).meta, meta);
    assert.deepEqual((await remote.ns.whoami()).meta, {}, "metadata leaked into a call made without it");
  });
});

describe("deadlines and cancellation", () => {
  it("withOptions(remote, { timeout: 100 }).slow(10000) rejects with DEADLINE_EXCEEDED and the handler's signal is aborted", async (t) => {
    const { url, events } = await start(t);
    const remote = await client(t, url);
    const aborted = once(events, "aborted");
    const started = Date.now();
    await rejectsWith(withOptions(remote, { timeout: 100 }).slow(10_000, "late"), "DEADLINE_EXCEEDED", 3000, "a call past its deadline");
    assert.ok(Date.now() - started < 1000, `the deadline of 100 ms fired after ${Date.now() - started} ms`);
    const [code] = await within(aborted, 3000, "the handler's signal after the deadline");
    // The server's own deadline timer or the caller's CANCEL, whichever arrives first.
    assert.ok(code === "DEADLINE_EXCEEDED" || code === "CANCELLED", `signal aborted with ${String(code)}`);
  });

  it("aborting the AbortSignal of a call rejects it with CANCELLED and aborts the handler's signal", async (t) => {
    const { url, events } = await start(t);
    const remote = await client(t, url);
    const controller = new AbortController();
    const started = once(events, "started");
    const aborted = once(events, "aborted");
    const call = later(withOptions(remote, { signal: controller.signal }).slow(10_000, "never"));
    await within(started, 3000, "the handler starting");
    controller.abort();
    await rejectsWith(call, "CANCELLED", 1000, "an aborted call");
    const [code] = await within(aborted, 3000, "the handler's signal after the abort");
    assert.equal(code, "CANCELLED");
  });

  it("a call whose AbortSignal is already aborted rejects with CANCELLED and never reaches the server", async (t) => {
    const { url, events } = await start(t);
    const remote = await client(t, url);
    let reached = false;
    events.on("started", () => (reached = true));
    await rejectsWith(withOptions(remote, { signal: AbortSignal.abort() }).slow(10, "x"), "CANCELLED", 1000, "a call with an aborted signal");
    assert.equal(await remote.echo("after"), "after"); // the next call on the same connection is served after any stray one
    assert.equal(reached, false);
  });
});

describe("closing a client", () => {
  it("a call after close(remote) rejects with UNAVAILABLE", async (t) => {
    const { url } = await start(t);
    const remote = await client(t, url);
    assert.equal(await remote.echo(1), 1);
    await close(remote);
    await rejectsWith(remote.echo(2), "UNAVAILABLE", 1000, "a call after close(remote)");
  });

  it("a call in flight when close(remote) is called rejects with UNAVAILABLE and the handler's signal is aborted", async (t) => {
    const { url, events } = await start(t);
    const remote = await client(t, url);
    const started = once(events, "started");
    const aborted = once(events, "aborted");
    const call = later(remote.slow(10_000, "never"));
    await within(started, 3000, "the handler starting");
    await close(remote);
    await rejectsWith(call, "UNAVAILABLE", 1000, "a call in flight at close(remote)");
    await within(aborted, 3000, "the handler's signal after the client left");
  });
});

describe("server.close()", () => {
  it("lets calls in flight finish with their results within drainMs, and resolves once they have", async (t) => {
    const { server, url, events } = await start(t);
    const remote = await client(t, url);
    const started = times(events, "started", 3);
    const calls = [1, 2, 3].map((n) => later(remote.slow(300, `result ${n}`)));
    await within(started, 3000, "three handlers starting");

    const closing = Date.now();
    const closed = later(server.close({ drainMs: 2000 }));
    assert.deepEqual(await within(Promise.all(calls), 3000, "calls in flight during a graceful close"), ["result 1", "result 2", "result 3"]);
    await within(closed, 3000, "server.close()");
    const took = Date.now() - closing;
    assert.ok(took < 1500, `close() took ${took} ms: it should end when the calls are done, not wait out drainMs`);
  });

  it("a call made after close began rejects with UNAVAILABLE from the draining server", async (t) => {
    const { server, url, events } = await start(t);
    const remote = await client(t, url, { connectTimeoutMs: 1000 });
    const started = once(events, "started");
    const inFlight = later(remote.slow(300, "done"));
    await within(started, 3000, "the handler starting");

    const closed = later(server.close({ drainMs: 2000 }));
    // Sent on the same connection right behind GOAWAY: the server refuses it.
    await rejectsWith(remote.echo("refused"), "UNAVAILABLE", 1000, "a call made as close began");
    // By now the client has read GOAWAY (it came before that refusal): this call looks for a
    // new connection, the listener is gone, and connectTimeoutMs bounds the wait.
    await rejectsWith(remote.echo("no listener"), "UNAVAILABLE", 3000, "a call made after GOAWAY arrived");
    assert.equal(await within(inFlight, 3000, "the call in flight"), "done");
    await within(closed, 3000, "server.close()");
  });

  it("connect() after close began rejects with UNAVAILABLE", async (t) => {
    const { server, url, events } = await start(t);
    const remote = await client(t, url);
    const started = once(events, "started");
    const inFlight = later(remote.slow(300, "done"));
    await within(started, 3000, "the handler starting");
    const closed = later(server.close({ drainMs: 2000 }));
    await rejectsWith(connect(url, { logger: false, connectTimeoutMs: 1000 }), "UNAVAILABLE", 3000, "connect() to a closing server");
    assert.equal(await within(inFlight, 3000, "the call in flight"), "done");
    await within(closed, 3000, "server.close()");
  });

  it("calls still running when drainMs runs out reject with UNAVAILABLE and their handlers' signals abort", async (t) => {
    const { server, url, events } = await start(t);
    const remote = await client(t, url);
    const started = times(events, "started", 2);
    const aborted = times(events, "aborted", 2);
    const calls = [later(remote.slow(5000, "a")), later(remote.slow(5000, "b"))];
    await within(started, 3000, "two handlers starting");

    const closing = Date.now();
    await within(server.close({ drainMs: 100 }), 3000, "server.close({ drainMs: 100 })");
    for (const call of calls) await rejectsWith(call, "UNAVAILABLE", 2000, "a call cut off by the end of the drain");
    assert.ok(Date.now() - closing < 1500, `calls were cut off ${Date.now() - closing} ms after close began (drainMs 100)`);
    assert.deepEqual(await within(aborted, 3000, "the handlers' signals"), ["UNAVAILABLE", "UNAVAILABLE"]);
  });

  it("removes the unix socket file of a unix listener", async (t) => {
    const path = join(tempDir(t), "s.sock");
    const { server } = await start(t, { listen: `unix://${path}` });
    assert.ok(existsSync(path));
    await within(server.close(), 3000, "server.close()");
    assert.equal(existsSync(path), false);
  });
});
