/**
 * Every program in examples/ runs, finishes by itself and prints what its comments promise:
 * an example that no longer runs would teach newcomers something false.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { readdirSync } from "node:fs";
import { describe, it } from "node:test";
import { finished, killAfter, REPO } from "./cli-process.js";

/** A line each example must print; a new example needs an entry here. */
const EXPECTED: Readonly<Record<string, RegExp>> = {
  "account.ts": /^withdraw 500 -> INSUFFICIENT_FUNDS, balance still 70$/m,
  "counter.ts": /^hikakin: 5000 views$/m,
  "http-express.ts": /^express says: 2 \+ 3 = 5$/m,
  "http-hono.ts": /^hono says: HONO$/m,
  "http-node.ts": /^node:http says: hello, node:http$/m,
  "interceptors.ts": /^user reset views -> PERMISSION_DENIED\nadmin over HTTP inc views -> 2\nadmin over HTTP reset views -> 0\nuser inc views after a notification -> 2\nfarcall\/1 counter.inc\nfarcall\/1 counter.reset\njsonrpc counter.inc\njsonrpc counter.reset\nfarcall\/1 counter.inc\nfarcall\/1 counter.inc$/m,
  "kv-store.ts": /^get null\nput undefined\nget 10\ngetUname \S+/m,
  "ws-express.ts": /^express \/health says ok\nover ws: 3, 2, 1, liftoff$/m,
  "xmlrpc-express.ts": /^express \/api says: Hello, farcall!\nwoca\(""\) is fault 7: nobody to greet$/m,
  "typed-errors.ts": /^withdraw 500 -> INSUFFICIENT_FUNDS: balance 70, needed 500\ndeclared: INSUFFICIENT_FUNDS \(amount exceeds the balance\)$/m,
  "tracing.ts": /^  name: 'double',[\s\S]*^  name: 'quadruple',[\s\S]*^quadruple\(3\) = 12 in trace [0-9a-f]{32}$/m,
  "worker-transfer.ts": /^moved 8294400 bytes there and back; the sent array now holds 0; first value 55\nover the handed port: pong from the worker$/m,
  "references.ts": /^progress 100%\nconverted: report.pdf\nviews 1\nviews 2\nalice has 15\napp: line 1\napp: line 2\napp: line 3\nserver: tail stopped\nuploaded big.bin: 65536 bytes$/m,
};

const examples = readdirSync(new URL("../../examples/", import.meta.url)).filter((f) => f.endsWith(".ts")).sort();

describe("examples", () => {
  it("every example has an expected line of output in this test", () => {
    assert.deepEqual(examples, Object.keys(EXPECTED).sort());
  });

  for (const file of examples) {
    it(`examples/${file} finishes by itself, exits 0 and prints its expected output`, { timeout: 120_000 }, async (t) => {
      const child = spawn(process.execPath, ["--import", "tsx", `examples/${file}`], { cwd: REPO, stdio: ["ignore", "pipe", "pipe"] });
      killAfter(t, child);
      const { code, stdout, stderr } = await finished(child);
      assert.equal(code, 0, `examples/${file} exited with ${code}:\n${stderr}`);
      const expected = EXPECTED[file];
      if (expected) assert.match(stdout, expected);
    });
  }
});
