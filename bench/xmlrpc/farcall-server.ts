/** The farcall side of the XML-RPC benchmark: serve() on an http:// listener; prints its URL. */
import { serve } from "../../dist/index.js";

const server = await serve({ add: (a: number, b: number) => a + b }, { listen: "http://127.0.0.1:0/RPC2", logger: false });
console.log(`listening ${server.addresses[0]}`);
process.stdin.resume();
process.stdin.once("end", () => void server.close({ drainMs: 0 }).then(() => process.exit(0)));
