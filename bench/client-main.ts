/**
 * The body of every client process: open one connection, run the one workload the job
 * names, report, close, exit. W4 clients also wait for GO (so that all five start together)
 * and answer CHECK with the counter's value.
 */
import { die, nextCommand, readJob, report, reportResult, watchParent } from "./child.js";
import type { Drivers } from "./drivers.js";
import { COMMAND, TAG, type Job, type WorkloadResult } from "./jobs.js";

/** Runs the job in BENCH_JOB with the drivers `open` returns, then exits the process. */
export function runClient(open: (port: number) => Promise<Drivers>): void {
  watchParent();
  run(open).then(
    () => process.exit(0),
    (error: unknown) => die(error),
  );
}

async function run(open: (port: number) => Promise<Drivers>): Promise<void> {
  const job = readJob();
  const drivers = await open(job.port);
  if (job.workload === "w4") await runCounter(drivers, job);
  else reportResult(await runTimed(drivers, job));
  await drivers.close();
}

function runTimed(drivers: Drivers, job: Job): Promise<WorkloadResult> {
  switch (job.workload) {
    case "w1":
      return drivers.sequentialAdd(job);
    case "w2":
      return drivers.pipelinedAdd(job);
    case "w3":
      return drivers.echo(job);
    case "w5":
    case "w5b":
      if (!drivers.stream) throw new TypeError(`this client has no streams for ${job.workload}`);
      return drivers.stream(job);
    default:
      throw new TypeError(`${job.workload} is not a timed workload`);
  }
}

async function runCounter(drivers: Drivers, job: Job): Promise<void> {
  report(TAG.ready, null);
  const go = await nextCommand();
  if (go !== COMMAND.go) throw new Error(`expected ${COMMAND.go}, got ${JSON.stringify(go)}`);
  reportResult(await drivers.counter(job));
  for (;;) {
    const command = await nextCommand();
    if (command !== COMMAND.check) return;
    report(TAG.counter, await drivers.readCounter());
  }
}
