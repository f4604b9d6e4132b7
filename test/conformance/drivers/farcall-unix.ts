/**
 * farcall/1 over a Unix socket: serve(api, { listen: "unix:///tmp/....sock" }). Same
 * capabilities as tcp; named params are JSON-RPC's alone. Call-log entries name the
 * transport "unix" and, having no port, the socket path as the address.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { FARCALL_CAPS, type Driver } from "../driver.js";
import { serveDriver } from "../serve-driver.js";

let dir = "";
let sockets = 0;

export const driver: Driver = serveDriver({
  name: "farcall/1 over unix",
  protocol: "farcall/1",
  transport: "unix",
  caps: FARCALL_CAPS,
  async setup() {
    dir = mkdtempSync(join(tmpdir(), "farcall-conformance-"));
  },
  async teardown() {
    rmSync(dir, { recursive: true, force: true });
  },
  listen: () => `unix://${join(dir, `s${++sockets}.sock`)}`,
});
