// The reconnecting farcall/1 client: what a call does while the server is down.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { close, connect, RpcError, serve } from "../../src/index.js";
import { rejectsWith, within } from "../helpers/bounded.js";

const api = { ping: () => "pong" };
type Api = typeof api;

/** Far longer than any call below may take when it fails fast. */
const CONNECT_TIMEOUT_MS = 30_000;

describe("a call while the server is down", () => {
  for (const scheme of ["tcp", "ws"]) {
    it(`over ${scheme}://, with waitForReady: false, calls while the server is down fail UNAVAILABLE at once, naming the option and the connection error; the client recovers in the background`, async (t) => {
      const first = await serve(api, { listen: `${scheme}://127.0.0.1:0`, logger: false });
      const url = first.addresses[0]!;
      const remote = await connect<Api>(url, { waitForReady: false, logger: false, connectTimeoutMs: CONNECT_TIMEOUT_MS, reconnect: { initialDelayMs: 20, maxDelayMs: 50 } });
      t.after(() => close(remote));
      assert.equal(await remote.ping(), "pong");
      await first.close({ drainMs: 0 });

      // A call may still go out on the dropping connection before the client has read its end
      // (a loaded machine delays that read) and fail with the connection's error. Once the
      // client knows, the first call waits for one attempt only (the port refuses it): so at
      // most two calls fail otherwise before one fails with "not connected".
      const before: string[] = [];
      for (;;) {
        const error = await rejectsWith(remote.ping(), "UNAVAILABLE", 5000, `call ${before.length + 1} after the server went down`);
        if (error.message.includes("(waitForReady: false)")) break;
        before.push(error.message);
        assert.ok(before.length <= 2, `calls after the drop that did not fail fast: ${before.join("; ")}`);
      }
      // From then on calls do not wait at all: they fail before a connection attempt could finish.
      const error = await rejectsWith(remote.ping(), "UNAVAILABLE", 1000, "a call while disconnected");
      assert.match(error.message, new RegExp(`^ping: not connected to ${scheme}://127\\.0\\.0\\.1:\\d+/? \\(waitForReady: false\\): `));

      const second = await serve(api, { listen: url, logger: false });
      t.after(() => second.close({ drainMs: 0 }));
      // Reconnection goes on by itself; calls succeed again once it has.
      for (let i = 0; ; i++) {
        try {
          assert.equal(await remote.ping(), "pong");
          break;
        } catch (err) {
          assert.ok(RpcError.is(err) && err.code === "UNAVAILABLE", String(err));
          if (i > 200) throw err;
          await new Promise((resolve) => setTimeout(resolve, 10));
        }
      }
    });
  }

  it("by default a call while the server is down waits for a reconnection, up to connectTimeoutMs", async (t) => {
    const first = await serve(api, { listen: "tcp://127.0.0.1:0", logger: false });
    const url = first.addresses[0]!;
    const remote = await connect<Api>(url, { logger: false, reconnect: { initialDelayMs: 20, maxDelayMs: 50 } });
    t.after(() => close(remote));
    assert.equal(await remote.ping(), "pong");
    await first.close({ drainMs: 0 });
    const waiting = remote.ping();
    // Attempts are refused meanwhile; the call keeps waiting.
    await new Promise((resolve) => setTimeout(resolve, 200));
    const second = await serve(api, { listen: url, logger: false });
    t.after(() => second.close({ drainMs: 0 }));
    assert.equal(await within(waiting, 5000, "a call made while the server was down"), "pong");
  });

  it("a waitForReady that is not a boolean fails at connect()", async () => {
    await assert.rejects(connect("tcp://127.0.0.1:1", { waitForReady: "no" as unknown as boolean }), /waitForReady must be true or false/);
  });
});
