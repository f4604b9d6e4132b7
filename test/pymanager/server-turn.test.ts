/**
 * The manager server's per-operation path: a referent method that answers in the same turn
 * is answered without a Promise, yet its handler still runs as the call's context(), its
 * errors still reach the client, and the idle limit, now one timer that checks the last
 * read or write, still closes only a silent connection.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { context } from "../../src/core/context.js";
import type { CallLogEntry } from "../../src/core/call-log.js";
import { RpcError } from "../../src/core/errors.js";
import { silentLogger } from "../../src/core/logger.js";
import { connectPyManager, type PyManagerObject } from "../../src/pymanager/client.js";
import { listenPyManager, type PyManagerListener } from "../../src/pymanager/listener.js";
import { pipelineFor } from "../helpers/pipeline.js";
import { rejection, until, within } from "../helpers/bounded.js";

const authkey = Buffer.from("password");
const local = { scheme: "tcp" as const, host: "127.0.0.1", port: 0 };

function addressOf(listener: PyManagerListener): { scheme: "tcp"; host: string; port: number } {
  return { scheme: "tcp", host: "127.0.0.1", port: Number(listener.url.slice(listener.url.lastIndexOf(":") + 1)) };
}

const IDLE_TIMEOUT_MS = 300;
/** Runs of calls tried before a machine too loaded to keep them apart by less than the limit fails the test. */
const MAX_ATTEMPTS = 5;

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

const api = {
  counter: {
    /** Answers in the same turn, from its context(). */
    who(): string {
      const call = context();
      return `${call.protocol} ${call.method} ${call.peer.address}`;
    },
    /** Answers after an await, still from its context(). */
    async later(ms: number): Promise<string> {
      await sleep(ms);
      return `${context().protocol} ${context().method}`;
    },
    fail(): never {
      throw new RpcError("KeyError", "no such key");
    },
  },
};

describe("the manager server's per-operation path", () => {
  let listener: PyManagerListener;
  const log: CallLogEntry[] = [];
  // The client opens a new stream when one is closed, so the count of open connections cannot
  // tell a closed stream from its replacement: the server's idle line can.
  let idleCloses = 0;
  const idleLog = { ...silentLogger, warn: (line: string) => void (/idle for idleTimeoutMs/.test(line) && idleCloses++) };
  before(async () => {
    listener = await listenPyManager(local, pipelineFor(api, { callLog: (entry) => void log.push(entry) }), { authkey, logger: idleLog, idleTimeoutMs: IDLE_TIMEOUT_MS });
  });
  after(() => listener.close());

  /** Runs `use` with a held `counter` object of a fresh client, closed afterwards. */
  async function withCounter<T>(maxStreams: number | undefined, use: (counter: PyManagerObject) => Promise<T>): Promise<T> {
    const client = await connectPyManager(addressOf(listener), { authkey, maxStreams });
    try {
      return await use(await client.object("counter"));
    } finally {
      client.close();
    }
  }

  interface CallsApart {
    /** For each call, ms from sending the call before it to this call's answer (or failure). */
    spans: number[];
    /** The span after which the stream was found closed although calls continued, if it was. */
    closedEarly: number | undefined;
    /** Ms from sending the last call to seeing the silent stream closed. */
    silentFor: number;
  }

  /** Calls `who` `count` times with `pauseMs` between, then stays silent until the server closes the stream. */
  async function callsApart(counter: PyManagerObject, pauseMs: number, count: number): Promise<CallsApart> {
    let sent = Date.now();
    await within(counter.call("who"), 5000, "the first call");
    const closesBefore = idleCloses;
    const spans: number[] = [];
    for (let i = 0; i < count; i++) {
      await sleep(pauseMs);
      const previous = sent;
      sent = Date.now();
      const answered = await within(counter.call("who"), 5000, `call ${i}`).then(() => true, () => false);
      spans.push(Date.now() - previous);
      if (!answered || idleCloses > closesBefore) return { spans, closedEarly: spans[spans.length - 1], silentFor: 0 };
    }
    await until(5000, "the silent stream closed by the server", () => idleCloses > closesBefore);
    return { spans, closedEarly: undefined, silentFor: Date.now() - sent };
  }

  it("a referent method that answers in the same turn runs as the call's context()", async () => {
    await withCounter(undefined, async (counter) => {
      assert.equal(await within(counter.call("who"), 5000, "who"), "pymanager counter.who 127.0.0.1");
    });
  });

  it("a referent method that awaits keeps its context() after the await", async () => {
    await withCounter(undefined, async (counter) => {
      assert.equal(await within(counter.call("later", [5]), 5000, "later"), "pymanager counter.later");
    });
  });

  it("a referent method that throws in the same turn reaches the client as its error, and the stream keeps answering", async () => {
    await withCounter(1, async (counter) => {
      const error = await rejection(counter.call("fail"), 5000, "fail");
      assert.equal(error.code, "KeyError");
      assert.match(error.message, /no such key/);
      assert.equal(await within(counter.call("who"), 5000, "who after the error"), "pymanager counter.who 127.0.0.1");
    });
  });

  it("a method the object does not expose fails that call alone with METHOD_NOT_FOUND (Python's traceback in data), and the call log hears METHOD_NOT_FOUND", async () => {
    await withCounter(1, async (counter) => {
      const error = await rejection(counter.call("nope"), 5000, "nope");
      assert.equal(error.code, "METHOD_NOT_FOUND");
      assert.match(error.message, /does not expose "nope"/);
      assert.match(String((error.data as { traceback?: unknown }).traceback), /AttributeError: method 'nope' of <class 'counter'> object is not in exposed=\{.*\n[^]*KeyError: 'nope'\n$/);
      assert.ok(log.some((e) => e.method === "counter.nope" && e.outcome === "METHOD_NOT_FOUND" && e.protocol === "pymanager"), JSON.stringify(log));
      assert.equal(await within(counter.call("who"), 5000, "who after the refusal"), "pymanager counter.who 127.0.0.1");
      assert.ok(log.some((e) => e.method === "counter.who" && e.outcome === "ok"), "a served call is logged ok");
    });
  });

  it("a connection that calls more often than idleTimeoutMs stays open; silent that long, it is closed", async () => {
    // The server may close only once idleTimeoutMs passed without a read or write, and it last
    // heard this client no earlier than the client sent its previous call. So a close seen less
    // than idleTimeoutMs after that send is a defect. A loaded machine can stretch the 100 ms
    // pauses past the limit; such a run proves nothing either way and is repeated.
    const spans: number[][] = [];
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      const run = await withCounter(1, (counter) => callsApart(counter, 100, 9));
      spans.push(run.spans);
      if (run.spans.every((span) => span < IDLE_TIMEOUT_MS)) {
        assert.equal(run.closedEarly, undefined, `closed within ${run.closedEarly} ms of the previous call, before idleTimeoutMs ${IDLE_TIMEOUT_MS}`);
        assert.ok(run.silentFor >= IDLE_TIMEOUT_MS, `closed ${run.silentFor} ms after the last call was sent, before idleTimeoutMs ${IDLE_TIMEOUT_MS}`);
        return;
      }
    }
    assert.fail(`in ${MAX_ATTEMPTS} runs the machine never kept the calls within idleTimeoutMs ${IDLE_TIMEOUT_MS} of each other (send to next answer, ms): ${JSON.stringify(spans)}`);
  });

  it("a request that arrived while the whole process stood still past idleTimeoutMs is read before the idle limit looks", async () => {
    await withCounter(1, async (counter) => {
      assert.equal(await counter.call("who", []), "pymanager counter.who 127.0.0.1");
      const closesBefore = idleCloses;
      const answer = counter.call("who", []);
      // The request leaves now; then the process (server and client alike) stands still, as under
      // a debugger or an overloaded host, until the idle timer is due with the request unread.
      const until = Date.now() + 2 * IDLE_TIMEOUT_MS;
      while (Date.now() < until);
      assert.equal(await within(answer, 5000, "the call sent before the stall"), "pymanager counter.who 127.0.0.1");
      assert.equal(idleCloses, closesBefore, "the connection closed as idle with a request waiting in it");
    });
  });

  it("a call that runs longer than idleTimeoutMs is answered, not cut by the idle limit", async () => {
    await withCounter(1, async (counter) => {
      assert.equal(await within(counter.call("later", [700]), 5000, "a 700 ms call"), "pymanager counter.later");
    });
  });
});
