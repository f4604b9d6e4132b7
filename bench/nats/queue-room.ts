/**
 * How late a blocking put on a full JetStream queue goes in after a get on another instance
 * makes room: two `farcall serve --store nats://... --queue-maxsize 1` instances, a put
 * waiting on the first (parked 50 ms), then a get through the second; the lag is from the
 * get's answer to the put's. Bounded in rounds and time. Reports the median and the largest
 * lag, and the CPU per round of each process.
 *
 *   node --import tsx bench/nats/queue-room.ts [--rounds=40] [--seconds=60] [--tree=DIR]
 *
 * `--tree` runs the instances from another checkout (its src/), for A/B pairs against a base.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { close, connect } from "../../src/index.js";
import type { DemoApi } from "../../src/demo/service.js";
import { children, cpuMsOf, freePort, natsServerBinary, ROOT, start } from "./processes.js";

const option = (name: string): string | undefined => process.argv.find((a) => a.startsWith(`--${name}=`))?.split("=")[1];
const rounds = Number(option("rounds") ?? 40);
const seconds = Number(option("seconds") ?? 60);
const tree = option("tree") ?? ROOT;

async function startDemo(store: string): Promise<{ pid: number; url: string }> {
  const { child, line } = await start(process.execPath, ["--import", "tsx", "src/cli/main.ts", "serve", "--demo-ports", "0,0", "--store", store, "--queue-maxsize", "1"], /^listening on tcp:/, false, tree);
  return { pid: child.pid!, url: line.slice("listening on ".length).trim() };
}

const dir = mkdtempSync(join(tmpdir(), "farcall-queue-room-"));
const port = await freePort();
const nats = await start(natsServerBinary(), ["-js", "-sd", dir, "-a", "127.0.0.1", "-p", String(port)], /Server is ready/, true);
try {
  const store = `nats://127.0.0.1:${port}/room`;
  const [putter, getter] = [await startDemo(store), await startDemo(store)];
  const onPutter = await connect<DemoApi>(putter.url, { logger: false });
  const onGetter = await connect<DemoApi>(getter.url, { logger: false });
  const [qp, qg] = await Promise.all([onPutter.get_queue(), onGetter.get_queue()]);
  await qp.put(0);
  const watched = { putter: putter.pid, getter: getter.pid, "nats-server": nats.child.pid! };
  const before = Object.fromEntries(Object.entries(watched).map(([role, pid]) => [role, cpuMsOf(pid)]));
  const lags: number[] = [];
  const stop = performance.now() + seconds * 1000;
  for (let i = 0; i < rounds && performance.now() < stop; i++) {
    let inAt = 0;
    const waiting = Promise.resolve(qp.put(i + 1, { timeoutMs: 30_000 })).then(() => {
      inAt = performance.now();
    });
    await new Promise((resolve) => setTimeout(resolve, 50));
    if (inAt !== 0) throw new Error("the put did not wait: the queue was not full");
    const got = await qg.get({ timeoutMs: 30_000 });
    const gotAt = performance.now();
    if (got !== i) throw new Error(`got ${String(got)}, expected ${i}`);
    await waiting;
    lags.push(inAt - gotAt);
  }
  const cpu = Object.entries(watched).map(([role, pid]) => `${role} ${(((cpuMsOf(pid) - before[role]!) * 1000) / lags.length).toFixed(0)}`).join(", ");
  lags.sort((a, b) => a - b);
  console.log(`| tree | rounds | lag p50 ms | lag max ms | CPU per round, µs |\n|---|---|---|---|---|`);
  console.log(`| ${tree} | ${lags.length} | ${lags[lags.length >> 1]!.toFixed(1)} | ${lags.at(-1)!.toFixed(1)} | ${cpu} |`);
  await Promise.all([close(onPutter), close(onGetter)]);
} finally {
  for (const child of children) child.kill();
  rmSync(dir, { recursive: true, force: true });
}
