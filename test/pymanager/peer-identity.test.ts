/**
 * What a handler learns of a manager-protocol caller: context().peer says it authenticated
 * only when the listener has a key (without one, Python's HMAC challenge uses the empty key,
 * which proves nothing).
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { close, connect, context, serve } from "../../src/index.js";

const api = { who: () => ({ protocol: context().protocol, transport: context().peer.transport, authenticated: context().peer.authenticated }) };
type Api = typeof api;

for (const authkey of [undefined, "password"]) {
  test(`a manager-protocol caller is authenticated: ${authkey !== undefined} on a listener ${authkey ? "with" : "without"} an authkey`, async () => {
    const server = await serve(api, { listen: "pymanager://127.0.0.1:0", logger: false, ...(authkey ? { authkey } : {}) });
    try {
      const remote = await connect<Api>(server.addresses[0]!, authkey ? { authkey } : {});
      assert.deepEqual(await remote.who(), { protocol: "pymanager", transport: "tcp", authenticated: authkey !== undefined });
      await close(remote);
    } finally {
      await server.close();
    }
  });
}
