/**
 * Sessions over NATS: callbacks, ref() objects, streams and `expose` pinned to the instance
 * that took the call, with two instances behind the service. Real nats-server, real
 * instance processes.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { connect as natsConnect, createInbox, type Msg } from "@nats-io/transport-node";
import { createMsgpackCodec } from "../../src/codecs/msgpack.js";
import { close, connect, natsInstances, ref, serve } from "../../src/index.js";
import * as M from "../../src/core/messages.js";
import { SESSION_HEADER } from "../../src/nats/session.js";
import { rejectsWith, within } from "../helpers/bounded.js";
import { natsServerMissing, startNatsServer, type NatsServer } from "../helpers/nats.js";
import type { TestProcess } from "../helpers/processes.js";
import { startSessionInstances, type SessionApi } from "../fixtures/nats/session-instances.js";

const skip = natsServerMissing("NATS session tests");
const WAIT_MS = 20_000;

describe("sessions over NATS, pinned to one instance", { skip: skip !== undefined }, () => {
  let nats: NatsServer;
  let instances: TestProcess[] = [];
  let service: string;

  before(async () => {
    nats = await startNatsServer({ jetstream: false });
    service = `${nats.url}/pinned`;
    instances = await startSessionInstances(service, 2);
  });

  after(async () => {
    await Promise.all(instances.map((p) => p.stop()));
    await nats?.stop();
  });

  it("a callback passed over NATS is called back by the instance that took the call, and later calls stay on it", async () => {
    const remote = await connect<SessionApi>(service, { logger: false });
    try {
      assert.equal((await natsInstances(remote)).length, 2);
      const seen: number[] = [];
      const answer = await within(remote.callMeBack(async (pid) => (seen.push(pid), pid * 2)), WAIT_MS, "callMeBack");
      assert.deepEqual(seen, [answer.pid]);
      assert.equal(answer.calledBack, answer.pid * 2);
      assert.ok(instances.some((p) => p.pid === answer.pid));
      for (let i = 0; i < 20; i++) assert.equal(await remote.whoami(), answer.pid, "a call after the session opened went elsewhere");
      const health = await natsInstances(remote);
      assert.equal(health.find((h) => h.pid === answer.pid)?.sessions, 1);
    } finally {
      await close(remote);
    }
  });

  it("a ref() object from one instance takes 100 calls, all on that instance and its state", async () => {
    const remote = await connect<SessionApi>(service, { logger: false });
    try {
      const counter = await within(remote.open(), WAIT_MS, "open");
      const answers = [];
      for (let i = 0; i < 100; i++) answers.push(await counter.inc());
      const pid = answers[0]!.pid;
      assert.ok(instances.some((p) => p.pid === pid));
      assert.deepEqual(
        answers.map((a) => a.pid),
        Array(100).fill(pid),
      );
      assert.deepEqual(
        answers.map((a) => a.n),
        Array.from({ length: 100 }, (_, i) => i + 1),
      );
    } finally {
      await close(remote);
    }
  });

  it("a generator handler streams 1000 items in order over NATS", async () => {
    const remote = await connect<SessionApi>(service, { logger: false });
    try {
      const items: number[] = [];
      for await (const i of await within(remote.count(1000), WAIT_MS, "count")) items.push(i);
      assert.deepEqual(
        items,
        Array.from({ length: 1000 }, (_, i) => i),
      );
    } finally {
      await close(remote);
    }
  });

  it("break stops a stream's producer on its instance", async () => {
    const remote = await connect<SessionApi>(service, { logger: false });
    try {
      const feed = await within(remote.feed(), WAIT_MS, "feed");
      let taken = 0;
      const pids = new Set<number>();
      for await (const item of await feed.items()) {
        pids.add(item.pid);
        if (++taken === 1000) break;
      }
      assert.equal(pids.size, 1);
      let stopped = 0;
      await within(
        (async () => {
          while ((stopped = await feed.stopped()) === 0) await new Promise((resolve) => setTimeout(resolve, 20));
        })(),
        WAIT_MS,
        "the producer's finally block",
      );
      assert.equal(stopped, 1);
    } finally {
      await close(remote);
    }
  });

  it("expose over NATS: the handler calls the client back through context().remote()", async () => {
    const remote = await connect<SessionApi>(service, { logger: false, expose: { name: () => "ada" } });
    try {
      const greeting = await within(remote.greet(), WAIT_MS, "greet");
      const match = /^hello ada from (\d+)$/.exec(greeting);
      assert.ok(match, greeting);
      assert.equal(await remote.whoami(), Number(match[1]));
    } finally {
      await close(remote);
    }
  });

  it("a frame over NATS's max_payload (an argument, a result, a stream item) fails what it carried RESOURCE_EXHAUSTED and the session goes on", async () => {
    const remote = await connect<SessionApi>(service, { logger: false });
    try {
      const { pid } = await within(remote.callMeBack(async (p) => p), WAIT_MS, "open the session");
      const big = "x".repeat(2 * 1024 * 1024);
      const err = await rejectsWith(remote.length(big), "RESOURCE_EXHAUSTED", WAIT_MS, "a 2 MiB argument");
      assert.match(err.message, /max_payload 1048576/);
      assert.equal(await remote.length("abc"), 3);
      const counter = await remote.open();
      await rejectsWith(counter.big(2 * 1024 * 1024), "RESOURCE_EXHAUSTED", WAIT_MS, "a 2 MiB result");
      assert.deepEqual(await counter.inc(), { pid, n: 1 });
      const items = (await remote.sized([10, 2 * 1024 * 1024, 10]))[Symbol.asyncIterator]();
      assert.equal((await items.next()).value, "s".repeat(10));
      await rejectsWith(items.next(), "RESOURCE_EXHAUSTED", WAIT_MS, "a 2 MiB stream item");
      assert.equal(await remote.whoami(), pid);
    } finally {
      await close(remote);
    }
  });

  it("with no instance listening, a call that needs a session fails UNAVAILABLE at once", async () => {
    const remote = await connect<SessionApi>(`${nats.url}/nobody`, { logger: false, expose: { name: () => "ada" } });
    try {
      await rejectsWith(remote.callMeBack(async (p) => p), "UNAVAILABLE", WAIT_MS, "a callback with no instance");
      await rejectsWith(remote.greet(), "UNAVAILABLE", WAIT_MS, "an exposing client's call with no instance");
    } finally {
      await close(remote);
    }
  });

  it("closing the client ends its sessions on the instance", async () => {
    const remote = await connect<SessionApi>(service, { logger: false });
    const watcher = await connect<SessionApi>(service, { logger: false });
    try {
      const { pid } = await within(remote.callMeBack(async (p) => p), WAIT_MS, "open the session");
      const sessionsOf = async (): Promise<number> => (await natsInstances(watcher)).find((h) => h.pid === pid)?.sessions ?? -1;
      assert.ok((await sessionsOf()) >= 1);
      const before = await sessionsOf();
      await close(remote);
      let now = before;
      await within(
        (async () => {
          while ((now = await sessionsOf()) >= before) await new Promise((resolve) => setTimeout(resolve, 20));
        })(),
        WAIT_MS,
        "the instance dropping the session",
      );
      assert.equal(now, before - 1);
    } finally {
      await close(remote);
      await close(watcher);
    }
  });

  it("a reference-only session answers calls on its references and nothing else, so subject permissions still decide which methods a caller reaches", async () => {
    const url = `${nats.url}/guarded`;
    const server = await serve({ open: () => ref({ hello: () => "hi" }), secret: () => "not for you" }, { listen: url, logger: false });
    const nc = await natsConnect({ servers: nats.url });
    const codec = createMsgpackCodec();
    try {
      const reply = await nc.request("guarded.open", codec.encode([M.CALL, 1, "open", []]), { timeout: WAIT_MS });
      const subject = reply.headers?.get(SESSION_HEADER) ?? "";
      assert.match(subject, /^_FARCALL\.guarded\.[0-9A-Za-z]+\.s\.[0-9a-f]+$/);
      const inbox = createInbox();
      const frames: unknown[] = [];
      let wake: (() => void) | undefined;
      nc.subscribe(inbox, { callback: (_err: Error | null, msg: Msg) => (frames.push(msg.data.length === 0 ? "end" : codec.decode(msg.data)), wake?.()) });
      const answerTo = async (id: number): Promise<unknown> => {
        for (;;) {
          const found = frames.find((f) => Array.isArray(f) && (f[0] === M.RESULT || f[0] === M.ERROR) && f[1] === id);
          if (found) return found;
          await within(new Promise<void>((resolve) => (wake = resolve)), WAIT_MS, `the answer to call ${id}`);
        }
      };
      // The result's reference is the first one the session exported: $1.
      nc.publish(subject, codec.encode([M.CALL, 7, "$1.hello", []]), { reply: inbox });
      nc.publish(subject, codec.encode([M.CALL, 8, "secret", []]), { reply: inbox });
      assert.deepEqual(await answerTo(7), [M.RESULT, 7, "hi"]);
      const refused = (await answerTo(8)) as [number, number, { code: string }];
      assert.equal(refused[0], M.ERROR);
      assert.equal(refused[2].code, "METHOD_NOT_FOUND");
    } finally {
      await nc.close();
      await server.close({ drainMs: 1_000 });
    }
  });
});
