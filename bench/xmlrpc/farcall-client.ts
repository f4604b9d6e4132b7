/**
 * farcall's XML-RPC client calling add(1, 2) for SECONDS with CONCURRENCY calls in flight;
 * prints {"calls", "seconds"}. usage: farcall-client.ts URL SECONDS CONCURRENCY
 */
import { close, connect } from "../../dist/index.js";

const [url, secondsArg, concurrencyArg] = process.argv.slice(2) as [string, string, string];
const seconds = Number(secondsArg);
const remote = await connect<{ add(a: number, b: number): number }>(url.replace(/^http/, "xmlrpc+http"));
for (let i = 0; i < 20; i++) await remote.add(1, 2); // warm-up
let calls = 0;
const start = performance.now();
const until = start + seconds * 1000;
async function loop(): Promise<void> {
  while (performance.now() < until) {
    if ((await remote.add(1, 2)) !== 3) throw new Error("add(1, 2) !== 3");
    calls++;
  }
}
await Promise.all(Array.from({ length: Number(concurrencyArg) }, loop));
console.log(JSON.stringify({ calls, seconds: (performance.now() - start) / 1000 }));
await close(remote);
