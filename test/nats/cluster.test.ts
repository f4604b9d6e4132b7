/**
 * A three-node NATS cluster on loopback (routes between the nodes), the client attached to
 * one node and the instances to the two others: calls cross the routes, and when a node is
 * killed (kill -9) the NATS connections attached to it move to a surviving node, learnt from
 * the cluster's INFO (the client is given only its own node's URL), and calls resume.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { close, connect, RpcError, type Remote } from "../../src/index.js";
import { within } from "../helpers/bounded.js";
import { natsServerMissing, startInstances, startNatsCluster, type NatsServer } from "../helpers/nats.js";
import type { TestProcess } from "../helpers/processes.js";

const skip = natsServerMissing("NATS cluster tests");

type Api = { whoami(): number };

const CALL_TIMEOUT_MS = 2_000;
const pause = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** How the calls of a run ended: pids that answered, failures by code, calls that outlived their deadline. */
interface Outcome {
  answeredBy: Map<number, number>;
  failures: Map<string, number>;
  late: number;
}

/** `workers` loops calling whoami() back to back until `stop` resolves; each call is timed against its deadline. */
async function callUntil(remote: Remote<Api>, workers: number, stop: Promise<unknown>): Promise<Outcome> {
  const outcome: Outcome = { answeredBy: new Map(), failures: new Map(), late: 0 };
  let stopped = false;
  void stop.finally(() => (stopped = true));
  const worker = async (): Promise<void> => {
    while (!stopped) {
      const t0 = Date.now();
      try {
        const pid = await within(remote.whoami(), CALL_TIMEOUT_MS + 5_000, "a call while a node is killed");
        outcome.answeredBy.set(pid, (outcome.answeredBy.get(pid) ?? 0) + 1);
      } catch (err) {
        const code = RpcError.is(err) ? String(err.code) : `not an RpcError: ${String(err)}`;
        outcome.failures.set(code, (outcome.failures.get(code) ?? 0) + 1);
        // A failed call returns at once (no responders while interest moves): don't spin.
        await pause(20);
      }
      if (Date.now() - t0 > CALL_TIMEOUT_MS + 1_000) outcome.late++;
    }
  };
  await Promise.all(Array.from({ length: workers }, worker));
  return outcome;
}

/** Calls whoami() until both instances have answered (routes and interest take a moment to spread). */
async function untilBothAnswer(remote: Remote<Api>, pids: number[], ms: number, what: string): Promise<void> {
  const seen = new Set<number>();
  const deadline = Date.now() + ms;
  let last = "";
  while (!pids.every((pid) => seen.has(pid))) {
    if (Date.now() > deadline) assert.fail(`${what}: after ${ms} ms only ${[...seen].join(", ") || "no instance"} of ${pids.join(", ")} answered (last failure: ${last})`);
    try {
      seen.add(await remote.whoami());
    } catch (err) {
      last = RpcError.is(err) ? `${String(err.code)}: ${err.message}` : String(err);
      await pause(50);
    }
  }
}

/** 300 calls, 30 at a time: all succeed, and each instance answers at least 10% of them. */
async function allSucceedOnBoth(remote: Remote<Api>, pids: number[]): Promise<void> {
  const answers = await Promise.all(Array.from({ length: 300 }, () => remote.whoami()));
  for (const pid of pids) {
    const share = answers.filter((p) => p === pid).length;
    assert.ok(share >= 30, `instance ${pid} answered ${share} of 300 calls`);
  }
}

function assertSettledInTime(outcome: Outcome): void {
  assert.equal(outcome.late, 0, "calls that outlived their deadline");
  for (const code of outcome.failures.keys()) assert.ok(code === "UNAVAILABLE" || code === "DEADLINE_EXCEEDED", `unexpected failure ${code}`);
}

describe("a three-node NATS cluster, client and instances on different nodes", { skip: skip !== undefined }, () => {
  let nodes: NatsServer[] = [];
  let instances: TestProcess[] = [];
  let pids: number[] = [];
  let remote: Remote<Api>;

  before(async () => {
    nodes = await startNatsCluster(3);
    const [a, b, c] = nodes as [NatsServer, NatsServer, NatsServer];
    instances = [...(await startInstances(`${a.url}/cluster`, 1)), ...(await startInstances(`${c.url}/cluster`, 1))];
    pids = instances.map((p) => p.child.pid!);
    // Only node B's URL: the other nodes are learnt from the cluster.
    remote = await connect<Api>(`${b.url}/cluster`, { timeout: CALL_TIMEOUT_MS, logger: false });
  });

  after(async () => {
    if (remote) await close(remote);
    await Promise.all(instances.map((p) => p.stop()));
    await Promise.all(nodes.map((n) => n.stop()));
  });

  it("calls through node B are answered by the instances on nodes A and C", async () => {
    await untilBothAnswer(remote, pids, 15_000, "routes forming");
    await allSucceedOnBoth(remote, pids);
  });

  it("node B (the client's) killed under load: every call settles within its deadline, the client reconnects to another node and calls succeed again", async () => {
    const afterKill = (async () => {
      await pause(300);
      await nodes[1]!.stop();
      // The load goes on until calls made after the kill reach both instances again, through another node.
      await untilBothAnswer(remote, pids, 15_000, "after node B died");
    })();
    const outcome = await callUntil(remote, 10, afterKill);
    await afterKill;
    assertSettledInTime(outcome);
    await allSucceedOnBoth(remote, pids);
  });

  it("node A (an instance's) killed: that instance reconnects to node C and both instances answer again", async () => {
    const afterKill = (async () => {
      await pause(300);
      await nodes[0]!.stop();
      await pause(1_500);
    })();
    const outcome = await callUntil(remote, 10, afterKill);
    assertSettledInTime(outcome);
    assert.ok([...outcome.answeredBy.values()].reduce((a, b) => a + b, 0) > 0, "no call succeeded while node A went away");
    // Only node C is left: the client (wherever it was) and instance A's process are both on it now.
    await untilBothAnswer(remote, pids, 15_000, "after node A died");
    await allSucceedOnBoth(remote, pids);
  });
});
