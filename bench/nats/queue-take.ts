/**
 * What a get of the demo's JetStream queue costs, this tree against another checkout (a base)
 * in one run: one `farcall serve --store nats://...` instance of each tree (its built
 * dist/, run by plain node as deployed), each on its own bucket of one nats-server, a
 * farcall/1 client doing `queue.put(i)` then `queue.get()` one pair at a time, the trees
 * alternating round by round. Reports per round and tree the pairs/s and the CPU per pair of
 * the instance and of nats-server (the figure to trust on a shared machine). Bounded in pairs
 * and time per round.
 *
 *   node --import tsx bench/nats/queue-take.ts --base=DIR [--pairs=1000] [--seconds=20] [--rounds=4]
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { close, connect } from "../../src/index.js";
import type { DemoApi } from "../../src/demo/service.js";
import { children, cpuMsOf, freePort, natsServerBinary, ROOT, start } from "./processes.js";

const option = (name: string): string | undefined => process.argv.find((a) => a.startsWith(`--${name}=`))?.split("=")[1];
const pairs = Number(option("pairs") ?? 1000);
const seconds = Number(option("seconds") ?? 20);
const rounds = Number(option("rounds") ?? 4);
const base = option("base");
if (base === undefined) throw new Error("--base=DIR: the checkout to compare against (built: dist/)");

async function startDemo(tree: string, store: string): Promise<{ pid: number; url: string }> {
  const { child, line } = await start(process.execPath, [join(tree, "dist/cli/main.js"), "serve", "--demo-ports", "0,0", "--store", store], /^listening on tcp:/, false, tree);
  return { pid: child.pid!, url: line.slice("listening on ".length).trim() };
}

const dir = mkdtempSync(join(tmpdir(), "farcall-queue-take-"));
const port = await freePort();
const nats = await start(natsServerBinary(), ["-js", "-sd", dir, "-a", "127.0.0.1", "-p", String(port)], /Server is ready/, true);
try {
  const trees = [{ name: "this", dir: ROOT }, { name: "base", dir: resolve(base) }];
  const demos = await Promise.all(trees.map((t, i) => startDemo(t.dir, `nats://127.0.0.1:${port}/take${i}`)));
  const remotes = await Promise.all(demos.map((d) => connect<DemoApi>(d.url, { logger: false })));
  console.log(`| round | tree | pairs | pairs/s | CPU per pair µs: instance | nats-server |\n|---|---|---|---|---|---|`);
  const seen = trees.map(() => ({ instance: [] as number[], server: [] as number[] }));
  for (let round = 0; round < rounds; round++) {
    const order = round % 2 === 0 ? [0, 1] : [1, 0];
    for (const i of order) {
      const remote = remotes[i]!;
      for (let w = 0; w < 50; w++) {
        await remote.queue.put(w);
        await remote.queue.get(5000);
      }
      const watched = [demos[i]!.pid, nats.child.pid!];
      const before = watched.map(cpuMsOf);
      const t0 = performance.now();
      const stop = t0 + seconds * 1000;
      let done = 0;
      while (done < pairs && performance.now() < stop) {
        await remote.queue.put(done);
        const got = await remote.queue.get(5000);
        if (got !== done) throw new Error(`got ${String(got)}, put ${done}`);
        done++;
      }
      const wall = (performance.now() - t0) / 1000;
      const [instance, server] = watched.map((pid, k) => ((cpuMsOf(pid) - before[k]!) * 1000) / done);
      seen[i]!.instance.push(instance!);
      seen[i]!.server.push(server!);
      console.log(`| ${round + 1} | ${trees[i]!.name} | ${done} | ${Math.round(done / wall)} | ${instance!.toFixed(0)} | ${server!.toFixed(0)} |`);
    }
  }
  const median = (xs: number[]): string => [...xs].sort((a, b) => a - b)[xs.length >> 1]!.toFixed(0);
  for (const [i, t] of trees.entries()) console.log(`| median | ${t.name} | | | ${median(seen[i]!.instance)} | ${median(seen[i]!.server)} |`);
  await Promise.all(remotes.map((r) => close(r)));
} finally {
  for (const child of children) child.kill();
  rmSync(dir, { recursive: true, force: true });
}
