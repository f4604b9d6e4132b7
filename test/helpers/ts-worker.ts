/** A worker_threads worker running a TypeScript module: tsx's loader is registered inside it first. */
import { Worker } from "node:worker_threads";

export function tsWorker(module: URL): Worker {
  const boot = `import("tsx/esm/api").then((tsx) => { tsx.register(); return import(${JSON.stringify(module.href)}); })`;
  return new Worker(boot, { eval: true });
}
