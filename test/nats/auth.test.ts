/**
 * NATS's own authentication, passed through by serve() and connect(): user/password and
 * token, from the `nats` option block or the URL. A refused credential is UNAUTHENTICATED.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { close, connect, serve, type Server } from "../../src/index.js";
import { rejectsWith } from "../helpers/bounded.js";
import { natsServerMissing, startNatsServer, type NatsServer } from "../helpers/nats.js";

const skip = natsServerMissing("NATS authentication tests");
const WAIT_MS = 10_000;
const api = { add: (a: number, b: number) => a + b };

describe("NATS authentication", { skip: skip !== undefined }, () => {
  let withPassword: NatsServer;
  let withToken: NatsServer;
  let servers: Server[] = [];

  before(async () => {
    [withPassword, withToken] = await Promise.all([startNatsServer({ jetstream: false, user: "svc", pass: "s3cret" }), startNatsServer({ jetstream: false, token: "t0ken" })]);
  });

  after(async () => {
    await Promise.all(servers.map((s) => s.close({ drainMs: 0 })));
    await Promise.all([withPassword?.stop(), withToken?.stop()]);
  });

  it("user and password in the nats option reach NATS on both ends; calls flow", async () => {
    servers.push(await serve(api, { listen: `${withPassword.url}/math`, nats: { user: "svc", pass: "s3cret" }, logger: false }));
    const remote = await connect<typeof api>(`${withPassword.url}/math`, { nats: { user: "svc", pass: "s3cret" }, logger: false });
    try {
      assert.equal(await remote.add(2, 3), 5);
    } finally {
      await close(remote);
    }
  });

  it("a wrong password fails connect() with UNAUTHENTICATED naming NATS", async () => {
    const err = await rejectsWith(connect(`${withPassword.url}/math`, { nats: { user: "svc", pass: "wrong" }, reconnect: false, logger: false }), "UNAUTHENTICATED", WAIT_MS, "wrong password");
    assert.match(err.message, /NATS at nats:\/\/127\.0\.0\.1:\d+\/math refused the credentials/);
    await rejectsWith(serve(api, { listen: `${withPassword.url}/math`, logger: false }), "UNAUTHENTICATED", WAIT_MS, "serve without credentials");
  });

  it("a token in the URL (nats://TOKEN@host/service) is NATS token authentication", async () => {
    const url = withToken.url.replace("nats://", "nats://t0ken@");
    servers.push(await serve(api, { listen: `${url}/math`, logger: false }));
    const remote = await connect<typeof api>(`${withToken.url}/math`, { nats: { token: "t0ken" }, logger: false });
    try {
      assert.equal(await remote.add(1, 1), 2);
    } finally {
      await close(remote);
    }
    await rejectsWith(connect(`${withToken.url}/math`, { nats: { token: "nope" }, reconnect: false, logger: false }), "UNAUTHENTICATED", WAIT_MS, "wrong token");
  });
});
