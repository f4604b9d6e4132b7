/**
 * Liveness of a client session against a server in another OS process: a frozen server is
 * detected by keepalive, a killed one fails its calls at once, a restarted one is found
 * again by the same client, and no call ever waits past its bound.
 */
import assert from "node:assert/strict";
import { describe, it, type TestContext } from "node:test";
import { close, connect, withOptions, type ConnectOptions, type Remote } from "../../src/index.js";
import type { LifecycleApi } from "../fixtures/lifecycle/server.js";
import { later, rejectsWith, within } from "../helpers/bounded.js";
import { spawnTs, type TestProcess } from "../helpers/processes.js";
import { freePort } from "../helpers/ports.js";
import { watchLateness } from "../helpers/lateness.js";

const FIXTURE = "test/fixtures/lifecycle/server.ts";
/** A child under tsx can be slow to start on a loaded machine (over 20 s was seen at load 40). */
const START_MS = 60_000;

/** Starts the fixture server; it is killed when the test ends. */
async function startServer(t: TestContext, listen?: string): Promise<{ proc: TestProcess; url: string }> {
  const proc = spawnTs(FIXTURE, listen ? [listen] : []);
  t.after(() => proc.stop());
  const [, url] = await proc.nextLine(/^LISTENING (\S+)$/, START_MS);
  return { proc, url };
}

async function connectTo(t: TestContext, url: string, options: ConnectOptions = {}): Promise<Remote<LifecycleApi>> {
  const remote = await connect<LifecycleApi>(url, { logger: false, ...options });
  t.after(() => close(remote));
  return remote;
}


describe("keepalive", () => {
  /** Scheduling on an idle machine; what a loaded one adds is measured (see watchLateness). */
  const SLACK_MS = 400;

  it("calls pending on a frozen server (SIGSTOP) reject with UNAVAILABLE within keepaliveIntervalMs + keepaliveTimeoutMs of its last frame", async (t) => {
    const { proc, url } = await startServer(t);
    const interval = 1000;
    const timeout = 500;
    const remote = await connectTo(t, url, { keepaliveIntervalMs: interval, keepaliveTimeoutMs: timeout });
    assert.equal(await remote.echo("up"), "up");

    const calls = [later(remote.sleep(60_000)), later(remote.sleep(60_000))];
    await proc.nextLine(/^CALL sleep$/, 5000);
    await proc.nextLine(/^CALL sleep$/, 5000);
    // The last frame from the server: a tick that has seen a frame must not push the ping a
    // whole interval further (it did: up to 2 x interval + timeout).
    assert.equal(await remote.echo("last"), "last");
    const lastFrameAt = Date.now();
    const lateness = watchLateness();
    t.after(() => lateness.stop());
    proc.child.kill("SIGSTOP");

    for (const call of calls) await rejectsWith(call, "UNAVAILABLE", 5000, "a call pending on a frozen server");
    const elapsed = Date.now() - lastFrameAt;
    // Two timers stand between the last frame and the failure (the tick that pings, the ping's timeout): each may run late.
    const late = 2 * lateness.maxMs();
    assert.ok(elapsed <= interval + timeout + SLACK_MS + late, `keepalive took ${elapsed} ms to notice the frozen server (interval ${interval} + timeout ${timeout}; timers ran up to ${late / 2} ms late)`);
  });

  it("a server that answers pings keeps a session with a long-running call open", async (t) => {
    const { url } = await startServer(t);
    // A ping every 100 ms; the timeout leaves room for this process to be descheduled on a
    // busy machine (past interval + timeout it would end the session itself, as designed).
    const remote = await connectTo(t, url, { keepaliveIntervalMs: 100, keepaliveTimeoutMs: 1500 });
    // Thirty keepalive periods, longer than interval + timeout, with nothing but pings and pongs on the wire.
    assert.equal(await within(remote.sleep(3000), 10_000, "sleep(3000)"), 3000);
  });
});

describe("a call reported failed never runs afterwards", () => {
  it("calls a client gave up on when the server froze (SIGSTOP past keepalive) do not run when it continues: applied == successes", async (t) => {
    // The server's keepalive is the client's: it knows how long a caller waits before giving up.
    // Bounds a busy machine does not reach by itself (a process standing still 0.8 s was seen):
    // a session ended by load before the SIGSTOP would end the warm-up early.
    const proc = spawnTs(FIXTURE, ["tcp://127.0.0.1:0", "500", "1500"]);
    t.after(() => proc.stop());
    const [, url] = await proc.nextLine(/^LISTENING (\S+)$/, START_MS);
    const remote = await connectTo(t, url, { keepaliveIntervalMs: 500, keepaliveTimeoutMs: 1500, reconnect: false });
    let successes = 0;
    let failures = 0;
    let warmedUp!: () => void;
    const warm = new Promise<void>((resolve) => (warmedUp = resolve));
    // Callers calling in a loop, several calls each in flight, until the session fails them.
    const worker = async (): Promise<void> => {
      for (;;) {
        const batch = await Promise.allSettled(Array.from({ length: 20 }, () => remote.inc()));
        for (const outcome of batch) {
          if (outcome.status === "fulfilled") successes++;
          else failures++;
        }
        if (successes >= 2000) warmedUp();
        if (batch.some((o) => o.status === "rejected")) return;
      }
    };
    const workers = Array.from({ length: 10 }, worker);
    await within(warm, 20_000, "2000 calls");
    proc.child.kill("SIGSTOP");
    await within(Promise.all(workers), 10_000, "the keepalive failing every call in flight");
    assert.ok(failures > 0, "calls were in flight when the server froze");
    // Stopped past its own keepalive bound (500 + 1500 ms): the client's keepalive waited at
    // least the 1500 ms timeout, and 1000 ms more make it certain.
    await new Promise((resolve) => setTimeout(resolve, 1000));
    proc.child.kill("SIGCONT");
    const after = await connectTo(t, url);
    assert.equal(await after.applied(), successes, `${failures} calls were reported failed`);
  });
});

describe("server restarts", () => {
  /** "At once": far below what a client that missed the close would wait (keepalive 15 + 10 s, connectTimeoutMs 10 s). */
  const AT_ONCE_MS = 5000;

  it("calls in flight when the server is killed reject with UNAVAILABLE, and the same client reaches the restarted server", async (t) => {
    const first = await startServer(t);
    const remote = await connectTo(t, first.url, { reconnect: { initialDelayMs: 50, maxDelayMs: 200 } });
    assert.equal(await remote.pid(), first.proc.pid);

    const calls = [later(remote.sleep(60_000)), later(remote.sleep(60_000))];
    await first.proc.nextLine(/^CALL sleep$/, 5000);
    await first.proc.nextLine(/^CALL sleep$/, 5000);
    await first.proc.kill("SIGKILL");
    for (const call of calls) await rejectsWith(call, "UNAVAILABLE", AT_ONCE_MS, "a call in flight when the server was killed");

    const second = await startServer(t, first.url);
    assert.equal(second.url, first.url);
    assert.equal(await within(remote.pid(), 10_000, "the first call after the restart"), second.proc.pid);
    assert.equal(await remote.echo("again"), "again");
  });

  it("calls made while the server is down wait for it and succeed once it is back, within their deadline", async (t) => {
    const first = await startServer(t);
    const remote = await connectTo(t, first.url, { reconnect: { initialDelayMs: 50, maxDelayMs: 200 }, connectTimeoutMs: 15_000 });
    assert.equal(await remote.pid(), first.proc.pid);
    // A call that fails proves the client saw the connection drop before the next ones are made.
    const inFlight = later(remote.sleep(60_000));
    await first.proc.nextLine(/^CALL sleep$/, 5000);
    await first.proc.kill("SIGKILL");
    await rejectsWith(inFlight, "UNAVAILABLE", AT_ONCE_MS, "the call in flight when the server was killed");

    const withDeadline = later(withOptions(remote, { timeout: 15_000 }).echo("with deadline"));
    const withoutDeadline = later(remote.echo("without deadline"));
    const second = await startServer(t, first.url);

    assert.equal(await within(withDeadline, 10_000, "a call with a deadline made while the server was down"), "with deadline");
    assert.equal(await within(withoutDeadline, 10_000, "a call without a deadline made while the server was down"), "without deadline");
    assert.equal(await remote.pid(), second.proc.pid);
  });

  it("calls made while the server stays down reject with DEADLINE_EXCEEDED (deadline) or UNAVAILABLE (connectTimeoutMs), never hang", async (t) => {
    const first = await startServer(t);
    // connectTimeoutMs also bounds the first handshake, which took over 500 ms on a loaded machine.
    const connectTimeoutMs = 2000;
    const remote = await connectTo(t, first.url, { reconnect: { initialDelayMs: 50, maxDelayMs: 200 }, connectTimeoutMs });
    assert.equal(await remote.echo("up"), "up");
    const inFlight = later(remote.sleep(60_000));
    await first.proc.nextLine(/^CALL sleep$/, 5000);
    await first.proc.kill("SIGKILL");
    await rejectsWith(inFlight, "UNAVAILABLE", AT_ONCE_MS, "the call in flight when the server was killed");

    const started = Date.now();
    const lateness = watchLateness();
    t.after(() => lateness.stop());
    await Promise.all([
      rejectsWith(withOptions(remote, { timeout: 200 }).echo("x"), "DEADLINE_EXCEEDED", 10_000, "a call with a 200 ms deadline while the server is down"),
      rejectsWith(remote.echo("y"), "UNAVAILABLE", 10_000, `a call without a deadline while the server is down (connectTimeoutMs ${connectTimeoutMs})`),
    ]);
    const elapsed = Date.now() - started;
    assert.ok(elapsed < connectTimeoutMs + 1500 + lateness.maxMs(), `the calls took ${elapsed} ms to give up (connectTimeoutMs ${connectTimeoutMs}; timers ran up to ${lateness.maxMs()} ms late)`);
  });

  it("with reconnect: false, a call after the server died rejects with UNAVAILABLE without waiting for connectTimeoutMs", async (t) => {
    const first = await startServer(t);
    const remote = await connectTo(t, first.url, { reconnect: false, connectTimeoutMs: 10_000 });
    assert.equal(await remote.echo("up"), "up");
    const inFlight = later(remote.sleep(60_000));
    await first.proc.nextLine(/^CALL sleep$/, 5000);
    await first.proc.kill("SIGKILL");
    await rejectsWith(inFlight, "UNAVAILABLE", AT_ONCE_MS, "the call in flight when the server was killed");
    await rejectsWith(remote.echo("z"), "UNAVAILABLE", AT_ONCE_MS, "a call after the server died, with reconnect off");
  });
});

describe("connect()", () => {
  it("connect() to a port nobody listens on rejects with UNAVAILABLE", async () => {
    const port = await freePort();
    await rejectsWith(connect(`tcp://127.0.0.1:${port}`, { logger: false }), "UNAVAILABLE", 5000, "connect() to a closed port");
  });
});
