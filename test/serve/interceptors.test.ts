/**
 * Interceptors and the call log, added once to one server, see every call whatever protocol
 * and transport carried it: farcall/1, JSON-RPC over HTTP and over raw TCP, XML-RPC,
 * Python's manager protocol and NATS. An interceptor's RpcError denies the call on each, in
 * that protocol's own error form.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { close, connect, RpcError, serve, type CallLogEntry, type Interceptor, type Remote, type Server } from "../../src/index.js";
import { RawJsonRpcCaller } from "../conformance/raw-jsonrpc-client.js";
import { makeRemote } from "../../src/core/remote.js";
import { natsServerMissing, startNatsServer, type NatsServer } from "../helpers/nats.js";
import { until } from "../helpers/bounded.js";

const api = {
  echo: (x: string) => x,
  secret: () => "the secret",
};
type Api = typeof api;

const missingNats = natsServerMissing("the NATS leg of the interceptor test");

describe("one server, interceptors and a call log added once, every protocol", { skip: missingNats }, () => {
  let server: Server;
  let nats: NatsServer;
  const seen: string[] = [];
  const entries: CallLogEntry[] = [];
  const record: Interceptor = (call, next) => {
    seen.push(`${call.protocol} ${call.peer.transport} ${call.method}`);
    return next();
  };
  const deny: Interceptor = (call, next) => {
    if (call.method === "secret") throw new RpcError("PERMISSION_DENIED", "secret is not for anyone");
    return next();
  };
  const remotes: { name: string; protocol: string; transport: string; open: () => Promise<Remote<Api>> }[] = [];

  before(async () => {
    nats = await startNatsServer({ jetstream: false });
    server = await serve(api, {
      listen: ["tcp://127.0.0.1:0", "http://127.0.0.1:0", "pymanager://127.0.0.1:0", `${nats.url}/interceptors`],
      authkey: "s3cret",
      jsonRpcOverTcp: "trusted",
      use: [record, deny],
      callLog: (e) => entries.push(e),
      logger: false,
    });
    const [tcp, http, py, natsUrl] = server.addresses as [string, string, string, string];
    const port = Number(new URL(tcp).port);
    remotes.push(
      { name: "farcall/1 over tcp", protocol: "farcall/1", transport: "tcp", open: () => connect<Api>(tcp, { authkey: "s3cret" }) },
      { name: "JSON-RPC over HTTP", protocol: "jsonrpc", transport: "http", open: () => connect<Api>(http, { authkey: "s3cret" }) },
      { name: "JSON-RPC over raw TCP", protocol: "jsonrpc", transport: "tcp", open: async () => makeRemote<Api>(await RawJsonRpcCaller.open("127.0.0.1", port)) },
      { name: "XML-RPC over HTTP", protocol: "xmlrpc", transport: "http", open: () => connect<Api>(http.replace(/^http/, "xmlrpc+http"), { authkey: "s3cret" }) },
      { name: "Python's manager protocol", protocol: "pymanager", transport: "tcp", open: () => connect<Api>(py, { authkey: "s3cret" }) },
      { name: "NATS", protocol: "farcall/1", transport: "nats", open: () => connect<Api>(natsUrl) },
    );
  });
  after(async () => {
    await server?.close({ drainMs: 100 });
    await nats?.stop();
  });

  it("every protocol's call passes through the interceptors, is logged, and is denied PERMISSION_DENIED in its own error form", async () => {
    for (const { name, protocol, transport, open } of remotes) {
      const remote = await open();
      seen.length = 0;
      entries.length = 0;
      assert.equal(await remote.echo(name), name, name);
      const denied = await remote.secret().then(
        () => assert.fail(`${name}: secret() was not denied`),
        (e: unknown) => e as RpcError,
      );
      // The manager protocol has no error codes: Python's PermissionError stands for it.
      assert.equal(denied.code, protocol === "pymanager" ? "PermissionError" : "PERMISSION_DENIED", `${name}: ${denied.message}`);
      assert.match(denied.message, /secret is not for anyone/, name);
      assert.deepEqual(seen, [`${protocol} ${transport} echo`, `${protocol} ${transport} secret`], name);
      await until(2000, `${name}: two call-log entries`, () => entries.length === 2);
      assert.deepEqual(
        entries.map((e) => [e.protocol, e.transport, e.method, e.outcome]),
        [
          [protocol, transport, "echo", "ok"],
          [protocol, transport, "secret", "PERMISSION_DENIED"],
        ],
        name,
      );
      await close(remote);
    }
  });
});
