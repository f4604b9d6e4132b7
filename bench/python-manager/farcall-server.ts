/**
 * W4's "Python clients -> farcall" contenders, server side: the farcall bench api (its
 * `counter` namespace holds the seed's get/inc) served on a pymanager:// listener, so the
 * unchanged Python clients of the BaseManager contender (client.py: `manager.counter()`,
 * then get/inc through the proxy) call farcall instead of Python's own server.
 *
 * With BENCH_WARM_PAIRS=N (the "warmed" contender) one Python client first makes N get+inc
 * pairs on a key of its own (warm.py) and exits before the port is announced, so W4's clock
 * starts on a server whose code V8 has already compiled, as W1-W3 start after a warm-up;
 * without it the server is as fresh as the seed program finds it.
 */
import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { serve } from "../../dist/index.js";
import { announcePort, die, watchParent } from "../child.js";
import { api } from "../farcall/api.js";

/** client.py's authkey, as the seed programs use. */
const PYTHON_AUTHKEY = "password";

async function main(): Promise<void> {
  const server = await serve(api, { listen: "pymanager://127.0.0.1:0", authkey: PYTHON_AUTHKEY });
  const address = server.addresses[0]!;
  const port = Number(address.slice(address.lastIndexOf(":") + 1));
  const pairs = Number(process.env.BENCH_WARM_PAIRS ?? 0);
  if (pairs > 0) {
    const warm = fileURLToPath(new URL("./warm.py", import.meta.url));
    await promisify(execFile)("python3", [warm, String(port), String(pairs)], { timeout: 60_000 });
  }
  announcePort(port);
}

watchParent();
main().catch(die);
