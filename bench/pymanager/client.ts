/**
 * One farcall client process of the seed counter workload: connect() to the URL in its job
 * (pymanager:// for Python's server, tcp:// for farcall's), report READY, wait for GO, run
 * `iterations` x (get, inc) as the seed client does, report, and answer CHECK with the
 * counter. The loop is also cut at the job's time bound.
 */
import { close, connect } from "../../dist/index.js";
import { die, nextCommand, readJob, report, reportResult, watchParent } from "../child.js";
import { COMMAND, TAG } from "../jobs.js";
import { AUTHKEY, KEY, type CounterJob } from "./shared.js";

interface CounterApi {
  get(k: string): number;
  inc(k: string): void;
}

async function main(): Promise<void> {
  const job = readJob() as CounterJob;
  const remote = await connect<CounterApi>(job.url, { authkey: AUTHKEY });
  report(TAG.ready, null);
  const go = await nextCommand();
  if (go !== COMMAND.go) throw new Error(`expected ${COMMAND.go}, got ${JSON.stringify(go)}`);
  const start = performance.now();
  const deadline = start + job.durationMs;
  let pairs = 0;
  for (; pairs < job.iterations && performance.now() < deadline; pairs++) {
    const now = await remote.get(KEY);
    if (typeof now !== "number") throw new TypeError(`get answered ${String(now)}`);
    await remote.inc(KEY);
  }
  const seconds = (performance.now() - start) / 1000;
  reportResult({ calls: 2 * pairs, seconds, callsPerSec: (2 * pairs) / seconds, complete: pairs === job.iterations });
  for (;;) {
    const command = await nextCommand();
    if (command !== COMMAND.check) break;
    report(TAG.counter, await remote.get(KEY));
  }
  await close(remote);
}

watchParent();
main().then(() => process.exit(0), die);
