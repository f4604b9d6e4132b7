/**
 * The farcall command imports a command's code when it runs: `farcall call` starts without
 * the server, the demo service or the listeners' families. Every ES module the CLI process
 * loads is written to a file by a module hook, read once the process has exited.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { before, describe, it } from "node:test";
import { serve } from "../../src/index.js";
import { finished, MAIN, REPO, requireBuild } from "./cli-process.js";

const HOOK = `import { appendFileSync } from "node:fs";
export async function load(url, context, next) { appendFileSync(process.env.FARCALL_TEST_LOADED, url + "\\n"); return next(url, context); }`;
const REGISTER = `data:text/javascript,${encodeURIComponent(`import { register } from "node:module"; register(${JSON.stringify(`data:text/javascript,${encodeURIComponent(HOOK)}`)});`)}`;

describe("farcall's commands load on demand", () => {
  before(requireBuild);

  it("farcall call loads the client alone: not serve(), the demo service or the WebSocket and XML packages", async (t) => {
    const server = await serve({ add: (a: number, b: number) => a + b }, { listen: "tcp://127.0.0.1:0", logger: false });
    t.after(() => server.close());
    const dir = mkdtempSync(join(tmpdir(), "farcall-loaded-"));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    const list = join(dir, "loaded.txt");
    const child = spawn(process.execPath, ["--import", REGISTER, MAIN, "call", server.addresses[0]!, "add", "2", "3"], {
      cwd: REPO,
      env: { ...process.env, FARCALL_TEST_LOADED: list },
      stdio: ["ignore", "pipe", "pipe"],
    });
    const done = await finished(child);
    assert.equal(done.code, 0, done.stderr);
    assert.equal(done.stdout.trim(), "5");
    const loaded = readFileSync(list, "utf8").split("\n").filter(Boolean).map((url) => url.replace(/^file:\/\/.*?\/(dist|node_modules)\//, "$1/"));
    assert.ok(loaded.includes("dist/cli/call-command.js"), "the call command was loaded");
    const stray = loaded.filter((m) => /^dist\/(serve\.js|cli\/serve-command\.js|demo\/)|^node_modules\/(ws|sax)\//.test(m));
    assert.deepEqual(stray, [], "farcall call loaded server-side code");
  });
});
