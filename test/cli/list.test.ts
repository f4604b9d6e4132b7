import assert from "node:assert/strict";
import { before, describe, it } from "node:test";
import { requireBuild, runCli, startServe } from "./cli-process.js";

describe("farcall list", () => {
  before(requireBuild);

  it("prints every exposed method with its arity, sorted, one per line", async (t) => {
    const server = await startServe(t, ["--listen", "tcp://127.0.0.1:0"]);
    const result = await runCli(t, ["list", server.addresses[0]!]);
    assert.equal(result.code, 0);
    assert.deepEqual(result.stdout.trimEnd().split("\n"), [
      "account.balance(0)",
      "account.deposit(1)",
      "account.withdraw(1)",
      "counter.add(2)",
      "counter.get(1)",
      "counter.inc(1)",
      "delete(1)",
      "echo(1)",
      "get(1)",
      "keys(0)",
      "put(2)",
      "sleep(1)",
      "uname(0)",
    ]);
  });

  it("takes the authkey from --authkey", async (t) => {
    const server = await startServe(t, ["--listen", "tcp://127.0.0.1:0", "--authkey", "k"]);
    const result = await runCli(t, ["list", server.addresses[0]!, "--authkey", "k"]);
    assert.equal(result.code, 0);
    assert.match(result.stdout, /^counter\.inc\(1\)$/m);
  });

  it("a bad URL exits 2", async (t) => {
    const result = await runCli(t, ["list", "tcp://127.0.0.1"]);
    assert.equal(result.code, 2);
    assert.match(result.stderr, /missing or invalid port/);
  });

  it("without a URL exits 2 and points at --help", async (t) => {
    const result = await runCli(t, ["list"]);
    assert.equal(result.code, 2);
    assert.match(result.stderr, /list needs exactly one URL[\s\S]*farcall list --help/);
  });

  it("--help prints the usage and exits 0", async (t) => {
    const result = await runCli(t, ["list", "-h"]);
    assert.equal(result.code, 0);
    assert.match(result.stdout, /^Usage: farcall list URL/);
  });
});
