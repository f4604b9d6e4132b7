/**
 * farcall/1 over ws:// against farcall/1 over tcp://, to the same server process and port
 * (the WebSocket is an upgrade on the tcp:// listener): W1 sequential add, W2 add with 100
 * calls in flight, W3 sequential 1 MiB echo. Run: node --import tsx bench/ws-transport.ts
 * It prints one line per transport and workload; the comparison, not the absolute figure,
 * is what it is for (both runs share this machine's cores with the server process).
 */
import { spawn } from "node:child_process";
import { once } from "node:events";
import { fileURLToPath } from "node:url";
import { close, connect } from "../src/index.js";

type Api = { add(a: number, b: number): number; echo(b: Uint8Array): Uint8Array };

const W1_CALLS = 20_000;
const W2_CALLS = 200_000;
const W2_IN_FLIGHT = 100;
const W3_CALLS = 200;
const MiB = 1024 * 1024;

const server = spawn(process.execPath, ["--import", "tsx", fileURLToPath(new URL("./ws-transport-server.ts", import.meta.url))], { stdio: ["ignore", "pipe", "inherit"] });
const [line] = (await once(server.stdout!, "data")) as [Buffer];
const tcp = line.toString().trim();
const urls = { "tcp://": tcp, "ws://": `${tcp.replace(/^tcp:/, "ws:")}/` };

async function timed(calls: number, run: () => Promise<void>): Promise<number> {
  const started = process.hrtime.bigint();
  await run();
  return calls / (Number(process.hrtime.bigint() - started) / 1e9);
}

try {
  for (let round = 0; round < 2; round++) {
    for (const [name, url] of Object.entries(urls)) {
      const remote = await connect<Api>(url, { logger: false, maxFrameBytes: 4 * MiB });
      for (let i = 0; i < 2000; i++) await remote.add(i, 1); // warm-up
      const w1 = await timed(W1_CALLS, async () => {
        for (let i = 0; i < W1_CALLS; i++) await remote.add(i, 1);
      });
      const w2 = await timed(W2_CALLS, async () => {
        let next = 0;
        const lane = async (): Promise<void> => {
          while (next < W2_CALLS) {
            next++;
            await remote.add(next, 1);
          }
        };
        await Promise.all(Array.from({ length: W2_IN_FLIGHT }, lane));
      });
      const payload = new Uint8Array(MiB).fill(7);
      const w3 = await timed(W3_CALLS, async () => {
        for (let i = 0; i < W3_CALLS; i++) if ((await remote.echo(payload)).length !== MiB) throw new Error("short echo");
      });
      if (round === 1) console.log(`${name.padEnd(7)} W1 ${w1.toFixed(0)} calls/s   W2 ${w2.toFixed(0)} calls/s   W3 ${((w3 * MiB) / 1e6).toFixed(0)} MB/s each way`);
      await close(remote);
    }
  }
} finally {
  server.kill();
}
