/**
 * `bufferutil` is an optional dependency: where its prebuilt add-on loads, `ws` masks and
 * unmasks with it; where it is missing (a platform without a prebuild, an install that
 * skipped optional dependencies), `ws` masks in JavaScript and farcall over ws:// carries
 * the same bytes. Each case runs in a child process, as `ws` picks its masking once, when
 * it is first loaded.
 */
import assert from "node:assert/strict";
import { createRequire } from "node:module";
import { describe, it } from "node:test";
import { TestProcess } from "../helpers/processes.js";

/**
 * The child: serves an echo on ws://, echoes a 1 MiB array (masked by the client, unmasked by
 * the server, over the 48-byte size where `ws` hands masking to bufferutil) and prints
 * whether it came back byte-exact and whether bufferutil was loaded. With HIDE_BUFFERUTIL
 * set, `require("bufferutil")` fails as it does when the package is not installed.
 */
const CHILD = `
import { createRequire } from "node:module";
const require = createRequire(import.meta.url);
if (process.env.HIDE_BUFFERUTIL) {
  const Module = require("node:module");
  const resolve = Module._resolveFilename;
  Module._resolveFilename = function (request, ...rest) {
    if (request === "bufferutil") throw Object.assign(new Error("Cannot find module 'bufferutil'"), { code: "MODULE_NOT_FOUND" });
    return resolve.call(this, request, ...rest);
  };
}
const { serve, connect, close } = await import(new URL("./src/index.ts", "file://" + process.cwd() + "/").href);
const server = await serve({ echo: (bytes) => bytes }, { listen: "ws://127.0.0.1:0/", logger: false });
const remote = await connect(server.addresses[0], { logger: false });
const sent = new Uint8Array(1024 * 1024);
for (let i = 0; i < sent.length; i++) sent[i] = (i * 7919) & 0xff;
const back = await remote.echo(sent);
const intact = back.length === sent.length && Buffer.compare(Buffer.from(back), Buffer.from(sent)) === 0;
await close(remote);
await server.close();
const bufferutil = Object.keys(require.cache).some((path) => path.includes("/node_modules/bufferutil/"));
console.log(JSON.stringify({ intact, bufferutil }));
`;

async function echoInChild(env: Record<string, string>): Promise<{ intact: boolean; bufferutil: boolean }> {
  const child = new TestProcess(["--import", "tsx", "--input-type=module", "-e", CHILD], env);
  const [line] = await child.nextLine(/^\{.*\}$/, 60_000);
  await child.exited;
  return JSON.parse(line!) as { intact: boolean; bufferutil: boolean };
}

function bufferutilInstalled(): boolean {
  try {
    createRequire(import.meta.url).resolve("bufferutil");
    return true;
  } catch {
    // Not installed: the optional dependency was skipped on this machine.
    return false;
  }
}

describe("ws:// with and without bufferutil", () => {
  it("where bufferutil is installed, ws loads it and a 1 MiB echo over ws:// arrives byte-exact", async (t) => {
    if (!bufferutilInstalled()) {
      if (process.env.CI === "true") assert.fail("bufferutil (an optional dependency) is not installed, and CI must run this test");
      t.skip("bufferutil is not installed here (optional dependency)");
      return;
    }
    assert.deepEqual(await echoInChild({}), { intact: true, bufferutil: true });
  });

  it("without bufferutil, ws masks in JavaScript and the same echo arrives byte-exact", async () => {
    assert.deepEqual(await echoInChild({ HIDE_BUFFERUTIL: "1" }), { intact: true, bufferutil: false });
  });
});
