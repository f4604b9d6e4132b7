/**
 * Which tokens name this server (src/pymanager/proxy-binding.ts): a stored proxy's token is
 * bound to this listener's objects only when its address is this listener on this machine.
 */
import assert from "node:assert/strict";
import { hostname, networkInterfaces } from "node:os";
import { test } from "node:test";
import { namesThisServer } from "../../src/pymanager/proxy-binding.js";
import { pickleTuple } from "../../src/pymanager/pickle/pickle.js";

const dialled = pickleTuple("127.0.0.1", 4344);
const ownAddresses = Object.values(networkInterfaces()).flatMap((list) => (list ?? []).map((a) => a.address));

test("a token naming the dialled address, a loopback name or 0.0.0.0 names this server", () => {
  for (const host of ["127.0.0.1", "localhost", "::1", "127.0.1.1", "::ffff:127.0.0.1", "0.0.0.0", "LOCALHOST"]) {
    assert.equal(namesThisServer([host, 4344], dialled), true, host);
  }
});

test("a token naming this machine by its host name or an interface's address names this server", () => {
  assert.equal(namesThisServer([hostname(), 4344], dialled), true, hostname());
  for (const address of ownAddresses) assert.equal(namesThisServer([address, 4344], dialled), true, address);
  // And the other way round: the client dialled the LAN address, the token says 127.0.0.1.
  for (const address of ownAddresses) assert.equal(namesThisServer(["127.0.0.1", 4344], pickleTuple(address, 4344)), true, address);
});

test("a token naming another port, another host or no address names another server", () => {
  const foreign = ["203.0.113.77", "198.51.100.9", "2001:db8::5"].find((a) => !ownAddresses.includes(a))!;
  assert.equal(namesThisServer([foreign, 4344], dialled), false, foreign);
  assert.equal(namesThisServer(["not-this-host.example", 4344], dialled), false);
  assert.equal(namesThisServer(["127.0.0.1", 4345], dialled), false);
  assert.equal(namesThisServer(["127.0.0.1"], dialled), false);
  assert.equal(namesThisServer("127.0.0.1:4344", dialled), false);
  assert.equal(namesThisServer([4344, "127.0.0.1"], dialled), false);
  // A unix listener: the same path only.
  assert.equal(namesThisServer("/tmp/m.sock", "/tmp/m.sock"), true);
  assert.equal(namesThisServer("/tmp/other.sock", "/tmp/m.sock"), false);
});
