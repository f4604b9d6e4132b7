/**
 * Counting YouTube views from many processes at once: 5 worker processes each read and
 * increment the same counter 1000 times, and the total is exactly 5000, because the server
 * runs each increment as one uninterrupted step.
 *
 * Run: node --import tsx examples/counter.ts
 *
 * The same file is both programs: run without arguments it is the server and starts the
 * workers; a worker is started as `counter.ts worker URL`.
 */
import { fork } from "node:child_process";
import { fileURLToPath } from "node:url";
import { close, connect, serve } from "../src/index.js";

const AUTHKEY = "password";
const WORKERS = 5;
const VIEWS_PER_WORKER = 1000;

// ---- the server ---------------------------------------------------------------------------

const views = new Map<string, number>();

const api = {
  get(video: string): number {
    return views.get(video) ?? 0;
  },
  /**
   * No lock needed: the read and the write run in one synchronous step, and JavaScript
   * never interleaves another call inside one.
   */
  inc(video: string): number {
    const next = (views.get(video) ?? 0) + 1;
    views.set(video, next);
    return next;
  },
};

export type CounterApi = typeof api;

// ---- a worker: one client process ---------------------------------------------------------

async function watch(url: string): Promise<void> {
  const remote = await connect<CounterApi>(url, { authkey: AUTHKEY });
  for (let i = 0; i < VIEWS_PER_WORKER; i++) {
    await remote.get("hikakin"); // read, as the origin example did, then count the view
    await remote.inc("hikakin");
  }
  await close(remote);
}

/** Starts this file as a worker process and resolves when it exits cleanly. */
function startWorker(url: string): Promise<void> {
  // fork() runs the worker with this process's Node flags (--import tsx) as well.
  const child = fork(fileURLToPath(import.meta.url), ["worker", url]);
  return new Promise((resolve, reject) => {
    child.once("error", reject);
    child.once("exit", (code) => (code === 0 ? resolve() : reject(new Error(`worker exited with ${code}`))));
  });
}

if (process.argv[2] === "worker") {
  await watch(process.argv[3]!);
} else {
  const server = await serve(api, { listen: "tcp://127.0.0.1:0", authkey: AUTHKEY });
  const [url] = server.addresses;
  await Promise.all(Array.from({ length: WORKERS }, () => startWorker(url!)));

  const remote = await connect<CounterApi>(url!, { authkey: AUTHKEY });
  console.log(`hikakin: ${await remote.get("hikakin")} views`); // 5000
  await close(remote);
  await server.close();
}
