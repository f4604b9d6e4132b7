/**
 * NATS's own authentication, passed through by serve() and connect(): user/password and
 * token, from the `nats` option block or the URL. A refused credential is UNAUTHENTICATED;
 * a subject the caller may not publish on is PERMISSION_DENIED.
 */
import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
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

describe("NATS subject permissions", { skip: skip !== undefined }, () => {
  let nats: NatsServer;
  let dir: string;
  let server: Server | undefined;
  const api2 = { add: (a: number, b: number) => a + b, secret: () => "not for you" };

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "farcall-nats-perms-"));
    const conf = join(dir, "nats.conf");
    // The caller may call math.add and nothing else; replies reach it on its inbox.
    await writeFile(
      conf,
      `authorization { users = [
        { user: svc, password: s3cret }
        { user: caller, password: c4ller, permissions: { publish: { allow: ["math.add"] }, subscribe: { allow: ["_INBOX.>"] } } }
      ] }\n`,
    );
    nats = await startNatsServer({ jetstream: false, extraArgs: ["-c", conf] });
    server = await serve(api2, { listen: `${nats.url}/math`, nats: { user: "svc", pass: "s3cret" }, logger: false });
  });

  after(async () => {
    await server?.close({ drainMs: 0 });
    await nats?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it("a method the caller may not publish to fails PERMISSION_DENIED at once, and allowed calls go on", async () => {
    const remote = await connect<typeof api2>(`${nats.url}/math`, { nats: { user: "caller", pass: "c4ller" }, timeout: 60_000, logger: false });
    try {
      assert.equal(await remote.add(2, 3), 5);
      const err = await rejectsWith(remote.secret(), "PERMISSION_DENIED", WAIT_MS, "a call NATS refuses");
      assert.match(err.message, /math\.secret/);
      assert.equal(await remote.add(1, 1), 2);
    } finally {
      await close(remote);
    }
  });
});
