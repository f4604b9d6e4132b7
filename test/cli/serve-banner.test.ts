import assert from "node:assert/strict";
import { test } from "node:test";
import { beyondLoopback } from "../../src/cli/serve-banner.js";

test("the no-authkey warning is due for addresses beyond loopback only", () => {
  const local = ["tcp://127.0.0.1:4343", "tcp://[::1]:4343", "http://localhost:8080/rpc", "ws://127.0.0.2:1/", "unix:///run/app.sock", "nats://10.0.0.5:4222/orders", "pymanager://127.0.0.1:4344"];
  assert.deepEqual(beyondLoopback(local), []);
  const reachable = ["tcp://0.0.0.0:4343", "http://[::]:8080/", "tls://10.1.2.3:4343", "pymanager://192.168.1.5:50000"];
  assert.deepEqual(beyondLoopback([...local, ...reachable]), reachable);
});
