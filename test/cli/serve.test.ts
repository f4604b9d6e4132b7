import assert from "node:assert/strict";
import { createServer } from "node:net";
import { before, describe, it } from "node:test";
import type { DemoApi } from "../../src/demo/service.js";
import { close, connect } from "../../src/index.js";
import { requireBuild, runCli, startServe } from "./cli-process.js";

const ANY_PORT = "tcp://127.0.0.1:0";

describe("farcall serve", () => {
  before(requireBuild);

  it("with no module serves the demo service, prints its address and how to call it; on loopback no authkey is no warning", async (t) => {
    const server = await startServe(t, ["--listen", ANY_PORT]);
    const [url] = server.addresses;
    assert.match(url!, /^tcp:\/\/127\.0\.0\.1:\d+$/);
    assert.ok(!url!.endsWith(":0"), "the real port is printed");
    assert.match(server.stdout(), new RegExp(`farcall call ${url} counter.inc views --raw`));
    assert.match(server.stdout(), new RegExp(`farcall list ${url}`));
    assert.match(server.stdout(), /await connect/);
    const call = await runCli(t, ["call", url!, "counter.inc", "views", "--raw"]);
    assert.equal(call.stdout, "1\n");
    assert.doesNotMatch(server.stderr(), /no authkey/);
  });

  it("prints one listening line per --listen", async (t) => {
    const server = await startServe(t, ["--listen", ANY_PORT, "--listen", ANY_PORT]);
    assert.equal(server.addresses.length, 2);
    assert.notEqual(server.addresses[0], server.addresses[1]);
  });

  it("serves the only export of a TypeScript module, its default export", async (t) => {
    const server = await startServe(t, ["test/fixtures/cli/greeter.ts", "--listen", ANY_PORT]);
    const [url] = server.addresses;
    const list = await runCli(t, ["list", url!]);
    assert.equal(list.stdout, "greet(1)\nmath.add(2)\n");
    const call = await runCli(t, ["call", url!, "greet", '"world"']);
    assert.deepEqual(JSON.parse(call.stdout), { text: "hello, world", length: 12 });
    assert.doesNotMatch(server.stdout(), /demo service/, "the demo usage is printed only for the demo");
  });

  it("serves every export of a module that has several, each under its name", async (t) => {
    const server = await startServe(t, ["test/fixtures/cli/named-exports.mjs", "--listen", ANY_PORT]);
    const list = await runCli(t, ["list", server.addresses[0]!]);
    assert.equal(list.stdout, "ping(0)\ntools.double(1)\n");
  });

  it("--export serves that export alone", async (t) => {
    const server = await startServe(t, ["test/fixtures/cli/named-exports.mjs", "--export", "tools", "--listen", ANY_PORT]);
    const call = await runCli(t, ["call", server.addresses[0]!, "double", "21"]);
    assert.equal(call.stdout, "42\n");
  });

  it("with an authkey from FARCALL_AUTHKEY, callers need the key and no warning is printed", async (t) => {
    const env = { FARCALL_AUTHKEY: "s3cret" };
    const server = await startServe(t, ["--listen", ANY_PORT], env);
    const [url] = server.addresses;
    assert.equal((await runCli(t, ["call", url!, "get", '"a"'], env)).stdout, "null\n");
    assert.equal((await runCli(t, ["call", url!, "get", '"a"', "--authkey", "s3cret"])).code, 0);
    const keyless = await runCli(t, ["call", url!, "get", '"a"']);
    assert.equal(keyless.code, 2);
    assert.match(keyless.stderr, /UNAUTHENTICATED/);
    assert.doesNotMatch(server.stderr(), /no authkey/);
  });

  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    it(`${signal} closes the server gracefully and exits 0`, async (t) => {
      const server = await startServe(t, ["--listen", ANY_PORT]);
      server.child.kill(signal);
      const { code } = await server.exited;
      assert.equal(code, 0);
      const after = await runCli(t, ["call", server.addresses[0]!, "keys"]);
      assert.equal(after.code, 2, "the address no longer answers");
    });
  }

  it("a call in flight when SIGTERM arrives still gets its answer", async (t) => {
    const server = await startServe(t, ["--listen", ANY_PORT]);
    const remote = await connect<DemoApi>(server.addresses[0]!, { logger: false });
    t.after(() => close(remote));
    const slept = remote.sleep(300);
    // Calls on one connection are served in order: once echo answers, sleep has started.
    await remote.echo("after sleep");
    server.child.kill("SIGTERM");
    assert.equal(await slept, undefined);
    assert.equal((await server.exited).code, 0);
  });

  it("an address already in use exits 2 naming it", async (t) => {
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, "127.0.0.1", resolve));
    t.after(() => blocker.close());
    const { port } = blocker.address() as { port: number };
    const result = await runCli(t, ["serve", "--listen", `tcp://127.0.0.1:${port}`]);
    assert.equal(result.code, 2);
    assert.match(result.stderr, new RegExp(`cannot serve on tcp://127.0.0.1:${port}`));
  });

  const failures: Array<[string, string[], RegExp]> = [
    ["a module that does not exist", ["test/fixtures/cli/missing.ts"], /no module at .*missing\.ts/],
    ["an export the module does not have", ["test/fixtures/cli/named-exports.mjs", "--export", "nope"], /has no export "nope"; it exports ping, tools, version/],
    ["an export that is not an object", ["test/fixtures/cli/named-exports.mjs", "--export", "version"], /export "version" of .* is a string/],
    ["--export without a module", ["--export", "tools"], /--export needs a module/],
    ["two modules", ["a.js", "b.js"], /serve takes one module/],
    ["an unknown option", ["--port", "1"], /Unknown option '--port'[\s\S]*farcall serve --help/],
    ["an unsupported address", ["--listen", "ftp://127.0.0.1:0"], /unsupported transport "ftp"/],
    ["a call log that cannot be opened", ["--log", "test/fixtures/cli/no-such-dir/calls.log"], /cannot open the call log .*no-such-dir/],
  ];
  for (const [what, args, message] of failures) {
    it(`${what} exits 2 with a message saying so`, async (t) => {
      const result = await runCli(t, ["serve", ...args]);
      assert.equal(result.code, 2);
      assert.match(result.stderr, message);
    });
  }

  it("--help prints the usage and exits 0", async (t) => {
    const result = await runCli(t, ["serve", "--help"]);
    assert.equal(result.code, 0);
    assert.match(result.stdout, /^Usage: farcall serve \[module\]/);
  });
});
