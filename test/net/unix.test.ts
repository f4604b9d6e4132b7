/**
 * unix:// listeners and clients: calls over a socket file, what happens to a socket file
 * left behind by a dead process or held by a live one, and cleanup on close.
 */
import assert from "node:assert/strict";
import { existsSync, lstatSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { connect as netConnect, createServer, type Server as NetServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it, type TestContext } from "node:test";
import { close, connect, context, serve, type Remote, type ServeOptions, type Server } from "../../src/index.js";
import { rejectsWith, within } from "../helpers/bounded.js";
import { spawnNode } from "../helpers/processes.js";

const api = {
  add: (a: number, b: number) => a + b,
  transport: () => context().peer.transport,
  peerAddress: () => context().peer.address,
};
type Api = typeof api;

/** A socket path in a fresh temp dir (short: unix socket paths are limited to about 100 bytes). */
function socketPath(t: TestContext): string {
  const dir = mkdtempSync(join(tmpdir(), "fc-"));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return join(dir, "s.sock");
}

async function start(t: TestContext, path: string, options: ServeOptions = {}): Promise<Server> {
  const server = await serve(api, { listen: `unix://${path}`, logger: false, ...options });
  t.after(() => server.close({ drainMs: 0 }));
  return server;
}

async function client(t: TestContext, path: string): Promise<Remote<Api>> {
  const remote = await connect<Api>(`unix://${path}`, { logger: false });
  t.after(() => close(remote));
  return remote;
}

/** True when something accepts connections on the socket file at `path`. */
function answers(path: string): Promise<boolean> {
  return within(
    new Promise<boolean>((resolve) => {
      const socket = netConnect({ path });
      socket.once("connect", () => {
        socket.destroy();
        resolve(true);
      });
      socket.once("error", () => resolve(false));
    }),
    3000,
    `connecting to ${path}`,
  );
}

describe("unix:// transport", () => {
  it("serves calls over a socket file and reports the address as the unix:// URL", async (t) => {
    const path = socketPath(t);
    const server = await start(t, path);
    assert.deepEqual(server.addresses, [`unix://${path}`]);
    const remote = await client(t, path);
    assert.equal(await remote.add(2, 3), 5);
    assert.deepEqual(await Promise.all([remote.add(1, 1), remote.add(20, 22)]), [2, 42]);
  });

  it('context().peer.transport is "unix" in a handler', async (t) => {
    const path = socketPath(t);
    await start(t, path);
    const remote = await client(t, path);
    assert.equal(await remote.transport(), "unix");
  });

  it("replaces a stale socket file left behind by a process that died", async (t) => {
    const path = socketPath(t);
    const holder = spawnNode(["-e", `require("node:net").createServer().listen(process.argv[1], () => console.log("READY"))`, path]);
    t.after(() => holder.stop());
    await holder.nextLine(/^READY$/, 10_000);
    await holder.kill("SIGKILL");
    assert.ok(lstatSync(path).isSocket(), "the killed process should have left its socket file");
    assert.equal(await answers(path), false, "nobody should answer on the stale socket file");

    await start(t, path);
    const remote = await client(t, path);
    assert.equal(await remote.add(40, 2), 42);
  });

  it("refuses to listen on a socket file another live server is listening on, and leaves that server reachable", async (t) => {
    const path = socketPath(t);
    const other: NetServer = createServer((socket) => socket.end());
    await new Promise<void>((resolve) => other.listen(path, resolve));
    t.after(() => new Promise<void>((resolve) => other.close(() => resolve())));

    await assert.rejects(
      within(serve(api, { listen: `unix://${path}`, logger: false }), 5000, "serve() on a path in use").then((server) => server.close({ drainMs: 0 }).then(() => server)),
      (err: NodeJS.ErrnoException) => err.code === "EADDRINUSE",
    );
    assert.equal(await answers(path), true, "the live server lost its socket file");
  });

  it("refuses to listen on a path that holds a regular file, and leaves the file alone", async (t) => {
    const path = socketPath(t);
    writeFileSync(path, "not a socket");
    await assert.rejects(
      within(serve(api, { listen: `unix://${path}`, logger: false }), 5000, "serve() on a regular file").then((server) => server.close({ drainMs: 0 }).then(() => server)),
      (err: NodeJS.ErrnoException) => err.code === "EADDRINUSE",
    );
    assert.equal(readFileSync(path, "utf8"), "not a socket");
  });

  it("removes the socket file on close, after which connect() rejects with UNAVAILABLE", async (t) => {
    const path = socketPath(t);
    const server = await start(t, path);
    assert.ok(lstatSync(path).isSocket());
    await within(server.close(), 3000, "server.close()");
    assert.equal(existsSync(path), false);
    await rejectsWith(connect(`unix://${path}`, { logger: false }), "UNAVAILABLE", 3000, "connect() to a closed unix listener");
  });
});
