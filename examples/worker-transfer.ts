/**
 * A worker thread that works on pixels: the image moves to the worker and back with
 * transfer() instead of being copied (the sender's buffer is emptied), and a MessagePort
 * handed over becomes a direct line to the worker, served on with servePort().
 *
 * Run: node --import tsx examples/worker-transfer.ts
 */
import { isMainThread, MessageChannel, parentPort, Worker, type MessagePort } from "node:worker_threads";
import { close, connect, servePort, transfer } from "../src/index.js";

const api = {
  /** Inverts the pixels in place and moves them back to the caller. */
  invert(pixels: Uint8Array): Uint8Array {
    for (let i = 0; i < pixels.length; i++) pixels[i] = 255 - pixels[i]!;
    return transfer(pixels);
  },
  /** Serves a second API on a port the caller handed over. */
  attach(port: MessagePort): void {
    servePort({ ping: () => "pong from the worker" }, port as never);
  },
};
export type WorkerApi = typeof api;

if (isMainThread) {
  // Compiled to .js this is `new Worker(new URL(import.meta.url))`; run from TypeScript
  // source, the worker registers tsx's loader first, then loads this file.
  const boot = `import("tsx/esm/api").then((tsx) => { tsx.register(); return import(${JSON.stringify(import.meta.url)}); })`;
  const worker = new Worker(boot, { eval: true });
  const remote = await connect<WorkerApi>(worker);

  const pixels = new Uint8Array(1920 * 1080 * 4).fill(200);
  const inverted = await remote.invert(transfer(pixels));
  console.log(`moved ${inverted.length} bytes there and back; the sent array now holds ${pixels.length}; first value ${inverted[0]}`);

  const { port1, port2 } = new MessageChannel();
  await remote.attach(transfer(port2));
  const direct = await connect<{ ping(): string }>(port1 as never);
  console.log(`over the handed port: ${await direct.ping()}`);

  await close(direct);
  await close(remote);
  await worker.terminate();
} else {
  servePort(api, parentPort!);
}
