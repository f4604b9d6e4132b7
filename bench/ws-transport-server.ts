// The server of bench/ws-transport.ts, in a process of its own: add and echo on one tcp://
// port, which also takes the WebSocket upgrades; prints its address, then serves until killed.
import { serve } from "../src/index.js";

const server = await serve({ add: (a: number, b: number) => a + b, echo: (b: Uint8Array) => b }, { listen: "tcp://127.0.0.1:0", logger: false });
process.stdout.write(`${server.addresses[0]}\n`);
