import assert from "node:assert/strict";
import { connect, createServer, type Socket } from "node:net";
import { before, describe, it, type TestContext } from "node:test";
import { requireBuild, runCli, startServe } from "./cli-process.js";

/** A demo server on a free port; its URL. */
async function demoServer(t: TestContext, env?: Record<string, string>): Promise<string> {
  const server = await startServe(t, ["--listen", "tcp://127.0.0.1:0"], env);
  return server.addresses[0]!;
}

/** A local port nothing listens on. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/**
 * A TCP relay in front of `url` that holds each connection `delayMs` before passing bytes
 * on: a dial that is slow to complete, as on a loaded machine. Its URL.
 */
async function slowToConnect(t: TestContext, url: string, delayMs: number): Promise<string> {
  const target = new URL(url);
  const sockets = new Set<Socket>();
  const relay = createServer((inbound) => {
    sockets.add(inbound);
    inbound.pause();
    inbound.on("error", () => {});
    setTimeout(() => {
      const outbound = connect(Number(target.port), target.hostname);
      sockets.add(outbound);
      outbound.on("error", () => inbound.destroy());
      inbound.pipe(outbound).pipe(inbound);
    }, delayMs);
  });
  await new Promise<void>((resolve) => relay.listen(0, "127.0.0.1", resolve));
  t.after(() => {
    for (const socket of sockets) socket.destroy();
    relay.close();
  });
  return `tcp://127.0.0.1:${(relay.address() as { port: number }).port}`;
}

describe("farcall call", () => {
  before(requireBuild);

  it("prints the result as JSON on stdout and exits 0; get of a missing key is null", async (t) => {
    const url = await demoServer(t);
    assert.deepEqual(await runCli(t, ["call", url, "get", '"a"']), { code: 0, signal: null, stdout: "null\n", stderr: "" });
    await runCli(t, ["call", url, "put", '"a"', "10"]);
    assert.equal((await runCli(t, ["call", url, "get", '"a"'])).stdout, "10\n");
  });

  it("reads each argument as JSON", async (t) => {
    const url = await demoServer(t);
    const echo = async (arg: string) => (await runCli(t, ["call", url, "echo", arg])).stdout;
    assert.equal(await echo("10"), "10\n");
    assert.equal(await echo('"10"'), '"10"\n');
    assert.equal(await echo("true"), "true\n");
    assert.equal(await echo("null"), "null\n");
    assert.equal(await echo("-2.5"), "-2.5\n");
    assert.equal(await echo("[1,2]"), "[\n  1,\n  2\n]\n");
    assert.equal(await echo('{"a":[1,null]}'), '{\n  "a": [\n    1,\n    null\n  ]\n}\n');
  });

  it("refuses an argument that is not JSON before connecting, naming it and suggesting --raw; exits 2", async (t) => {
    const result = await runCli(t, ["call", "tcp://127.0.0.1:1", "put", '"a"', "hello"]);
    assert.equal(result.code, 2);
    assert.equal(result.stdout, "");
    assert.match(result.stderr, /^farcall: argument 2 \("hello"\) is not JSON: [^\n]*\nQuote a string as JSON \('"hello"' in a shell\), or pass --raw to take every argument as a plain string\.\n$/);
  });

  it("--raw takes every argument as the plain string typed", async (t) => {
    const url = await demoServer(t);
    assert.equal((await runCli(t, ["call", url, "put", "greeting", "10", "--raw"])).code, 0);
    assert.equal((await runCli(t, ["call", url, "get", '"greeting"'])).stdout, '"10"\n');
    assert.equal((await runCli(t, ["call", url, "echo", "--raw", "-5"])).stdout, '"-5"\n');
  });

  it("more arguments than the method declares exit 1 with INVALID_PARAMS", async (t) => {
    const url = await demoServer(t);
    const result = await runCli(t, ["call", url, "echo", '"hello"', '"world"']);
    assert.equal(result.code, 1);
    assert.match(result.stderr, /^INVALID_PARAMS: echo takes 1 argument, 2 given/);
  });

  it("calls nested methods by their dotted path, negative numbers included", async (t) => {
    const url = await demoServer(t);
    assert.equal((await runCli(t, ["call", url, "counter.inc", '"views"'])).stdout, "1\n");
    assert.equal((await runCli(t, ["call", url, "counter.add", '"views"', "-5"])).stdout, "-4\n");
  });

  it("a remote error prints CODE: message and its data on stderr, and exits 1", async (t) => {
    const url = await demoServer(t);
    const result = await runCli(t, ["call", url, "account.withdraw", "100"]);
    assert.equal(result.code, 1);
    assert.equal(result.stdout, "");
    assert.equal(result.stderr, 'INSUFFICIENT_FUNDS: cannot withdraw 100: the balance is 0\ndata: {"balance":0}\n');
  });

  it("an unknown method exits 1 with METHOD_NOT_FOUND", async (t) => {
    const url = await demoServer(t);
    const result = await runCli(t, ["call", url, "nope"]);
    assert.equal(result.code, 1);
    assert.match(result.stderr, /^METHOD_NOT_FOUND: /);
  });

  it("--timeout gives up on a slow call with DEADLINE_EXCEEDED, exit 1", async (t) => {
    const url = await demoServer(t);
    const started = Date.now();
    const result = await runCli(t, ["call", url, "sleep", "60000", "--timeout", "200"]);
    assert.equal(result.code, 1, result.stderr);
    assert.match(result.stderr, /^DEADLINE_EXCEEDED: /);
    // Far below the 60 s the method sleeps, with room for a slow start of the process.
    assert.ok(Date.now() - started < 30_000);
  });

  it("--timeout bounds the call, not connecting: a dial slower than it still gets its answer", async (t) => {
    const url = await slowToConnect(t, await demoServer(t), 600);
    const result = await runCli(t, ["call", url, "add", "2", "3", "--timeout", "200"]);
    assert.deepEqual({ code: result.code, stdout: result.stdout, stderr: result.stderr }, { code: 0, stdout: "5\n", stderr: "" });
  });

  it("an unreachable server exits 2 with UNAVAILABLE", async (t) => {
    const result = await runCli(t, ["call", `tcp://127.0.0.1:${await closedPort()}`, "get", '"a"']);
    assert.equal(result.code, 2);
    assert.match(result.stderr, /^farcall: UNAVAILABLE: /);
  });

  it("a wrong authkey exits 2 with UNAUTHENTICATED", async (t) => {
    const url = await demoServer(t, { FARCALL_AUTHKEY: "right" });
    const result = await runCli(t, ["call", url, "get", '"a"'], { FARCALL_AUTHKEY: "wrong" });
    assert.equal(result.code, 2);
    assert.match(result.stderr, /^farcall: UNAUTHENTICATED: /);
  });

  it("exit codes are the same over every scheme: a wrong key and a dead port exit 2, a remote error 1", async (t) => {
    const server = await startServe(t, ["--listen", "tcp://127.0.0.1:0", "--listen", "http://127.0.0.1:0"], { FARCALL_AUTHKEY: "right" });
    const [tcp, http] = server.addresses as [string, string];
    const port = new URL(http).port;
    const dead = await closedPort();
    for (const url of [tcp, http, `xmlrpc+http://127.0.0.1:${port}/`]) {
      const wrongKey = await runCli(t, ["call", url, "get", '"a"'], { FARCALL_AUTHKEY: "wrong" });
      assert.equal(wrongKey.code, 2, `${url}: ${wrongKey.stderr}`);
      assert.match(wrongKey.stderr, /^farcall: UNAUTHENTICATED: /, url);
      const failed = await runCli(t, ["call", url, "account.withdraw", "100"], { FARCALL_AUTHKEY: "right" });
      assert.equal(failed.code, 1, `${url}: ${failed.stderr}`);
      assert.match(failed.stderr, /^INSUFFICIENT_FUNDS: /, url);
    }
    for (const url of [`tcp://127.0.0.1:${dead}`, `http://127.0.0.1:${dead}/`, `xmlrpc+http://127.0.0.1:${dead}/`]) {
      const unreachable = await runCli(t, ["list", url]);
      assert.equal(unreachable.code, 2, `${url}: ${unreachable.stderr}`);
      assert.match(unreachable.stderr, /^farcall: UNAVAILABLE: /, url);
    }
    const wrongPath = await runCli(t, ["list", `${http}wrong`], { FARCALL_AUTHKEY: "right" });
    assert.equal(wrongPath.code, 2);
    assert.match(wrongPath.stderr, /^farcall: INVALID_REQUEST: http:\/\/127\.0\.0\.1:\d+\/wrong is not a farcall or JSON-RPC endpoint/);
  });

  const usage: Array<[string, string[], RegExp]> = [
    ["a URL that is not one", ["call", "not-a-url", "get", '"a"'], /invalid address "not-a-url"/],
    ["an unsupported transport, naming every supported one", ["call", "ftp://127.0.0.1:21", "get"], /unsupported transport "ftp".*ws:\/\/.*pymanager:\/\/ or nats:\/\/ \(clients also take xmlrpc\+http/],
    ["a missing METHOD", ["call", "tcp://127.0.0.1:4343"], /call needs a URL and a METHOD/],
    ["an empty path segment in METHOD", ["call", "tcp://127.0.0.1:4343", "counter..inc"], /invalid method name "counter..inc"/],
    ["a --timeout that is not a number", ["call", "tcp://127.0.0.1:4343", "get", "--timeout", "soon"], /--timeout must be a whole number/],
    ["an unknown option", ["call", "tcp://127.0.0.1:4343", "get", "--verbose"], /Unknown option '--verbose'/],
  ];
  for (const [what, args, message] of usage) {
    it(`${what} exits 2 with a message saying so`, async (t) => {
      const result = await runCli(t, args);
      assert.equal(result.code, 2);
      assert.match(result.stderr, message);
    });
  }

  it("--help prints the usage, including how results are printed, and exits 0", async (t) => {
    const result = await runCli(t, ["call", "--help"]);
    assert.equal(result.code, 0);
    assert.match(result.stdout, /^Usage: farcall call URL METHOD/);
    assert.match(result.stdout, /BigInt as a decimal string/);
  });
});
