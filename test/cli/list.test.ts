import assert from "node:assert/strict";
import { before, describe, it } from "node:test";
import { requireBuild, runCli, startServe } from "./cli-process.js";

describe("farcall list", () => {
  before(requireBuild);

  it("prints every exposed method, sorted, one per line: its parameters and description where described, else its arity", async (t) => {
    const server = await startServe(t, ["--listen", "tcp://127.0.0.1:0"]);
    const result = await runCli(t, ["list", server.addresses[0]!]);
    assert.equal(result.code, 0);
    assert.deepEqual(result.stdout.trimEnd().split("\n"), [
      "account.balance()  The shared account's balance, in cents.",
      "account.deposit(amount)  Adds amount (a positive integer, in cents) to the shared account; returns the new balance.",
      "account.withdraw(amount)  Takes amount (a positive integer, in cents) out of the shared account; returns the new balance.",
      "  ! INSUFFICIENT_FUNDS {balance: integer}  amount exceeds the balance",
      "add(x, y)  x + y.",
      "counter.add(name, n)  Adds n to the counter, atomically; returns the new value.",
      "counter.get(name)  The counter's value (0 when it was never incremented).",
      "counter.inc(name)  Adds 1 to the counter, atomically; returns the new value.",
      "delete(key)  Removes key; true when it was there.",
      "divide(x, y)  x / y; division by zero is INVALID_PARAMS.",
      "echo(value)  Its argument, unchanged.",
      "get(key)  The value stored under key, or null.",
      "get_queue()  The demo's shared queue, by reference: a Queue proxy to Python's manager clients (as in Python's remote-queue example), a reference over farcall/1.",
      "get_uname()  str(os.uname()) as Python prints it on the server.",
      "inc(key)  Adds 1 to the integer under key (a missing key counts from 0), atomically; returns the new value.",
      "keys()  Every key, sorted.",
      "multiply(x, y)  x * y.",
      "put(key, value)  Stores value under key.",
      "queue.get(timeoutMs)  Takes the first item of the shared queue, waiting for one up to timeoutMs (for ever when left out); QUEUE_EMPTY when none came.",
      "queue.put(item)  Adds item to the end of the shared queue (the one get_queue answers).",
      "queue.size()  How many items the shared queue holds.",
      "search(number, last_name, first_name)  The people matching every criterion given (by position or by name); none lists them all.",
      "sleep(ms)  Resolves after ms milliseconds (0 to one hour); a caller that cancels or times out stops it.",
      "subtract(x, y)  x - y.",
      "uname()  The server's operating system, release and CPU.",
    ]);
  });

  it("over http:// prints the same descriptions, parameter names and declared errors as over tcp://", async (t) => {
    const server = await startServe(t, ["--listen", "tcp://127.0.0.1:0", "--listen", "http://127.0.0.1:0"]);
    const overTcp = await runCli(t, ["list", server.addresses[0]!]);
    const overHttp = await runCli(t, ["list", server.addresses[1]!]);
    assert.equal(overHttp.code, 0, overHttp.stderr);
    assert.match(overHttp.stdout, /^account\.withdraw\(amount\)  Takes amount/m);
    assert.equal(overHttp.stdout, overTcp.stdout);
  });

  it("shows the JSON Schema type of each parameter and of the result of a method with Standard Schemas", async (t) => {
    const server = await startServe(t, ["test/fixtures/cli/validated.ts", "--listen", "tcp://127.0.0.1:0"]);
    const result = await runCli(t, ["list", server.addresses[0]!]);
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stdout, "scale(n: number, factor: integer) -> number\ntag(string | null)\n");
  });

  it("takes the authkey from --authkey", async (t) => {
    const server = await startServe(t, ["--listen", "tcp://127.0.0.1:0", "--authkey", "k"]);
    const result = await runCli(t, ["list", server.addresses[0]!, "--authkey", "k"]);
    assert.equal(result.code, 0);
    assert.match(result.stdout, /^counter\.inc\(name\) /m);
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
