/**
 * One farcall instance of the NATS benchmark: serve() of add(a, b) on the address given
 * (`tcp://127.0.0.1:0` or `nats://host:port/service`); prints "listening ADDRESS" and its
 * pid, closes when its stdin ends.
 */
import { serve } from "../../dist/index.js";

const server = await serve({ add: (a: number, b: number): number => a + b }, { listen: process.argv[2]!, logger: false });
console.log(`listening ${server.addresses[0]}`);
process.stdin.resume();
process.stdin.once("end", () => void server.close({ drainMs: 0 }).then(() => process.exit(0)));
