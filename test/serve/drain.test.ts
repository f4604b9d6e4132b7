// Draining answers, never drops: calls that cross the server's GOAWAY are answered
// UNAVAILABLE (retriable, not run) before the connection closes.
import assert from "node:assert/strict";
import { it } from "node:test";
import { close, connect, RpcError, serve } from "../../src/index.js";
import { within } from "../helpers/bounded.js";

/** Callers calling in a loop, each with one call in flight. */
const WORKERS = 50;
/** Calls answered before close() starts, so the load is running when it does. */
const WARMUP_CALLS = 2000;

it("under load with instant handlers, close({ drainMs }) leaves every call applied and answered, or UNAVAILABLE and not applied", async () => {
  let applied = 0;
  const api = { inc: () => ++applied };
  const server = await serve(api, { listen: "tcp://127.0.0.1:0", logger: false });
  // Fail fast once the server is gone, so the workers end when it does.
  const remote = await connect<typeof api>(server.addresses[0]!, { logger: false, waitForReady: false, reconnect: false });
  let successes = 0;
  const failures = new Map<string, number>();
  let warmedUp!: () => void;
  const warm = new Promise<void>((resolve) => (warmedUp = resolve));
  const worker = async (): Promise<void> => {
    for (;;) {
      try {
        await remote.inc();
        if (++successes === WARMUP_CALLS) warmedUp();
      } catch (err) {
        assert.ok(RpcError.is(err), String(err));
        const key = `${err.code}: ${err.message.replace(/\d+/g, "N")}`;
        failures.set(key, (failures.get(key) ?? 0) + 1);
        return;
      }
    }
  };
  const workers = Array.from({ length: WORKERS }, worker);
  await within(warm, 10_000, `${WARMUP_CALLS} calls`);
  await within(server.close({ drainMs: 5000 }), 10_000, "close({ drainMs: 5000 })");
  await within(Promise.all(workers), 10_000, "every worker's last call");
  await close(remote);

  assert.equal(applied, successes, "every call that ran was answered, and no call reported failed ran");
  const total = [...failures.values()].reduce((a, b) => a + b, 0);
  assert.equal(total, WORKERS, "each worker ended on one failure");
  for (const [what] of failures) {
    assert.match(what, /^UNAVAILABLE: /, what);
    // Not "connection ... closed": a call dropped by the socket closing looks like a crash.
    assert.doesNotMatch(what, /closed/, `a call crossing the GOAWAY was dropped: ${[...failures].join("; ")}`);
  }
});
