/**
 * The demo's queue shared through NATS, as its tests drive it: `farcall serve` instances on a
 * JetStream store, and the Python manager client of their queue (test/fixtures/pymanager/queue_ops.py).
 */
import { fileURLToPath } from "node:url";
import { after, before, type TestContext } from "node:test";
import assert from "node:assert/strict";
import { jetstreamManager } from "@nats-io/jetstream";
import { connect as natsConnect } from "@nats-io/transport-node";
import { close, connect, type Remote } from "../../src/index.js";
import type { DemoApi } from "../../src/demo/service.js";
import { startNatsServer, type NatsServer } from "./nats.js";
import { startNatsRelay, type NatsRelay } from "./nats-relay.js";
import { spawnNode, type TestProcess } from "./processes.js";
import { runPython, type PythonRun } from "../fixtures/pymanager/python-run.js";

export const QUEUE_OPS = fileURLToPath(new URL("../fixtures/pymanager/queue_ops.py", import.meta.url));
/** How long an instance may take to start, or a Python client to finish, on a busy machine. */
export const WAIT_MS = 60_000;

export interface Instance {
  process: TestProcess;
  /** Its tcp:// address (farcall/1, JSON-RPC and XML-RPC over HTTP). */
  tcp: string;
  /** Its pymanager:// port. */
  port: string;
}

/** A demo instance keeping its state in `store` (nats://HOST:PORT/BUCKET), with `extra` options. */
export async function startInstance(store: string, ...extra: string[]): Promise<Instance> {
  const process = spawnNode(["dist/cli/main.js", "serve", "--demo-ports", "0,0", "--store", store, ...extra]);
  const tcp = (await process.nextLine(/^listening on (tcp:\S+)/, WAIT_MS))[1]!;
  const manager = (await process.nextLine(/^listening on pymanager:\S+:(\d+)/, WAIT_MS))[1]!;
  return { process, tcp, port: manager };
}

/** Runs queue_ops.py with Python `exe` against `instance`, doing `operations` in turn. */
export function queueOps(exe: string, instance: Instance, ...operations: string[]): Promise<PythonRun> {
  return runPython(exe, [QUEUE_OPS, "127.0.0.1", instance.port, ...operations], WAIT_MS);
}

/** Resolves once `count` puts wait in the line of the queue of `bucket` on the nats-server at `url` (src/demo/queue-nats-line.ts). */
export async function lineHolds(url: string, bucket: string, count: number): Promise<void> {
  const nc = await natsConnect({ servers: url });
  try {
    const jsm = await jetstreamManager(nc);
    const deadline = Date.now() + WAIT_MS;
    while ((await jsm.streams.info(`${bucket}_queue_line`)).state.messages !== count) {
      assert.ok(Date.now() < deadline, `the line never held ${count} puts`);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  } finally {
    await nc.close();
  }
}

/** A suite's nats-server with a relay in front (see nats-relay.ts), and the instances it started. */
export interface RelayedNats {
  /** The server's own `nats://` URL. */
  readonly url: string;
  readonly relay: NatsRelay;
  /** An instance on `bucket` reaching NATS through the relay (`relayed`) or directly; stopped after the suite. */
  instance(relayed: boolean, bucket: string, ...extra: string[]): Promise<Instance>;
  /** Instance `a` through the relay and `b` directly, on `bucket`, each with a farcall/1 client and its queue; the clients are closed after `t`. */
  pair(t: TestContext, bucket: string, ...extra: string[]): Promise<RelayedPair>;
}

type RemoteQueue = Awaited<ReturnType<Remote<DemoApi>["get_queue"]>>;

export interface RelayedPair {
  a: Instance;
  b: Instance;
  onA: Remote<DemoApi>;
  onB: Remote<DemoApi>;
  qa: RemoteQueue;
  qb: RemoteQueue;
}

/** Starts a nats-server and its relay before the suite's tests, stops them and every instance after. */
export function relayedNats(): RelayedNats {
  let nats: NatsServer | undefined;
  let relay: NatsRelay | undefined;
  const started: Instance[] = [];
  before(async () => {
    nats = await startNatsServer();
    relay = await startNatsRelay(nats.url);
  });
  after(async () => {
    await Promise.all(started.map((i) => i.process.stop()));
    await relay?.close();
    await nats?.stop();
  });
  async function instance(relayed: boolean, bucket: string, ...extra: string[]): Promise<Instance> {
    const one = await startInstance(`${relayed ? relay!.url : nats!.url}/${bucket}`, ...extra);
    started.push(one);
    return one;
  }
  return {
    get url() {
      return nats!.url;
    },
    get relay() {
      return relay!;
    },
    instance,
    async pair(t, bucket, ...extra) {
      const [a, b] = await Promise.all([instance(true, bucket, ...extra), instance(false, bucket, ...extra)]);
      const onA = await connect<DemoApi>(a.tcp, { logger: false });
      const onB = await connect<DemoApi>(b.tcp, { logger: false });
      // A client of an instance the test killed fails to close cleanly, which is no failure.
      t.after(() => Promise.all([close(onA).catch(() => undefined), close(onB).catch(() => undefined)]));
      const [qa, qb] = await Promise.all([onA.get_queue(), onB.get_queue()]);
      return { a, b, onA, onB, qa, qb };
    },
  };
}
