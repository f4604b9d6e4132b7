import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { DEMO_PORTS, demoListeners, parseDemoPorts } from "../../src/cli/demo-listeners.js";
import { CliError } from "../../src/cli/cli-error.js";

describe("the demo's default listeners (npm start)", () => {
  it("are tcp://127.0.0.1:4343 without a key and pymanager://127.0.0.1:4344 with the seeds' key", () => {
    assert.deepEqual(demoListeners(undefined), [{ url: "tcp://127.0.0.1:4343" }, { url: "pymanager://127.0.0.1:4344", authkey: "password" }]);
  });

  it("take the operator's key on both listeners when one is given", () => {
    assert.deepEqual(demoListeners("s3cret", { tcp: 1, pymanager: 2 }), [
      { url: "tcp://127.0.0.1:1", authkey: "s3cret" },
      { url: "pymanager://127.0.0.1:2", authkey: "s3cret" },
    ]);
  });

  it("--demo-ports reads two ports, 0 included, and defaults to 4343,4344", () => {
    assert.deepEqual(parseDemoPorts(undefined), DEMO_PORTS);
    assert.deepEqual(parseDemoPorts("0, 5000"), { tcp: 0, pymanager: 5000 });
  });

  for (const bad of ["4343", "1,2,3", "a,b", "-1,2", "1,65536"]) {
    it(`--demo-ports ${bad} is a usage error naming the value`, () => {
      assert.throws(() => parseDemoPorts(bad), (e: unknown) => e instanceof CliError && e.message.includes(JSON.stringify(bad)));
    });
  }
});
