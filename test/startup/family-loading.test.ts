/**
 * Families load by URL scheme: `import "farcall"` and a tcp:// client load no HTTP-only,
 * XML, WebSocket, pickle or NATS code, and every scheme still reaches its family. The
 * loaded modules are read in a child process (a fresh module graph), from a module hook that
 * reports every ESM module loaded and from the CommonJS cache for `ws` and `sax`.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { close, connect, serve, type Server } from "../../src/index.js";
import { TestProcess } from "../helpers/processes.js";

const api = { add: (a: number, b: number) => a + b };

/**
 * The child: imports farcall, connects to TARGET_URL (or to its own server on SERVE_URL),
 * calls add(2, 3), closes, prints what was loaded.
 */
const CHILD = `
import { register } from "node:module";
import { createRequire } from "node:module";
import { MessageChannel } from "node:worker_threads";
const hook = \`
let port;
export function initialize(data) { port = data.port; port.on("message", () => port.postMessage(null)); }
export async function load(url, context, next) { port.postMessage(url); return next(url, context); }
\`;
const { port1, port2 } = new MessageChannel();
const loaded = [];
register("data:text/javascript," + encodeURIComponent(hook), import.meta.url, { data: { port: port2 }, transferList: [port2] });
port1.on("message", (url) => { if (url === null) flushed(); else loaded.push(url); });
let flushed;
const { connect, close, serve } = await import(new URL("./src/index.ts", "file://" + process.cwd() + "/").href);
const server = process.env.SERVE_URL ? await serve({ add: (a, b) => a + b }, { listen: process.env.SERVE_URL, logger: false }) : undefined;
const remote = await connect(server ? server.addresses[0] : process.env.TARGET_URL);
const sum = await remote.add(2, 3);
await close(remote);
await server?.close();
await new Promise((resolve) => { flushed = resolve; port1.postMessage("flush"); });
port1.close();
const cjs = Object.keys(createRequire(import.meta.url).cache);
console.log(JSON.stringify({ sum, modules: [...loaded, ...cjs] }));
`;

/**
 * The modules a fresh process loads to import farcall and call add over `url`, as paths from
 * the repository root; with `serve`, over its own server listening on `url`.
 */
async function loadedFor(url: string, serve = false): Promise<string[]> {
  const child = new TestProcess(["--import", "tsx", "--input-type=module", "-e", CHILD], serve ? { SERVE_URL: url } : { TARGET_URL: url });
  const [line] = await child.nextLine(/^\{.*\}$/, 30_000);
  await child.exited;
  const { sum, modules } = JSON.parse(line!) as { sum: number; modules: string[] };
  assert.equal(sum, 5, "the child's call went through");
  return modules.map((m) => m.replace(/^file:\/\//, "").replace(/^.*?\/(src|node_modules)\//, "$1/"));
}

/** The families' own code, and the outside packages only they use. */
const FAMILY_ONLY = [
  /^node_modules\/ws\//,
  /^node_modules\/sax\//,
  /^node_modules\/@nats-io\//,
  /^src\/xmlrpc\/(client|dial)\.ts$/,
  /^src\/nats\/(?!options\.ts$)/,
  /^src\/pymanager\/(?!shared\/|pickle\/python-types\.ts$|one-port-option\.ts$)/,
  /^src\/ws\/(dial|listen)\.ts$/,
  /^src\/jsonrpc\/(dial|ws-client)\.ts$/,
  /^src\/farcall\/ws-dial\.ts$/,
  /^src\/serve\.ts$/,
];

describe("families load by URL scheme", () => {
  it("importing farcall and calling over tcp:// loads no WebSocket, XML, pickle or NATS code", async (t) => {
    const server = await serve(api, { listen: "tcp://127.0.0.1:0", logger: false });
    t.after(() => server.close());
    const modules = await loadedFor(server.addresses[0]!);
    assert.ok(modules.includes("src/farcall/stream-dial.ts"), `the tcp:// dialer was loaded: ${modules.filter((m) => m.startsWith("src/")).join(", ")}`);
    const stray = modules.filter((m) => FAMILY_ONLY.some((family) => family.test(m)));
    assert.deepEqual(stray, [], "a tcp:// client loaded another family's code");
  });

  it("calling over ws:// loads the WebSocket dialer and the ws package (what the tcp:// test looks for is seen)", async (t) => {
    const server = await serve(api, { listen: "tcp://127.0.0.1:0", logger: false });
    t.after(() => server.close());
    const modules = await loadedFor(`${server.addresses[0]!.replace(/^tcp:/, "ws:")}/`);
    assert.ok(modules.includes("src/farcall/ws-dial.ts"), "the ws:// dialer was loaded");
    assert.ok(modules.some((m) => m.startsWith("node_modules/ws/")), "the ws package was loaded");
    assert.ok(!modules.some((m) => m.startsWith("node_modules/sax/")), "sax was not");
  });

  it("a tcp:// server loads neither Python's manager listener, NATS nor the ws package until asked; a pymanager:// one loads its listener", async () => {
    // About 1.5 MB of old generation a tcp:// server does not carry (README, Performance, W3).
    const listeners = /^(src\/(pymanager\/(listener|one-port-entry)|nats\/listener)\.ts|node_modules\/ws\/.*)$/;
    const tcp = await loadedFor("tcp://127.0.0.1:0", true);
    assert.ok(tcp.includes("src/farcall/listen.ts"), "the farcall/1 listener was loaded");
    assert.deepEqual(tcp.filter((m) => listeners.test(m)), [], "a tcp:// server loaded another family's listener");
    const pymanager = await loadedFor("pymanager://127.0.0.1:0", true);
    assert.ok(pymanager.includes("src/pymanager/listener.ts"), "the pymanager:// server loaded its listener");
  });

  it("every scheme of one server reaches its family, whatever the scheme's case", async (t) => {
    const servers: Server[] = [];
    t.after(() => Promise.all(servers.map((s) => s.close())));
    servers.push(await serve(api, { listen: ["tcp://127.0.0.1:0", "http://127.0.0.1:0/rpc", "pymanager://127.0.0.1:0"], logger: false }));
    const [tcp, http, pymanager] = servers[0]!.addresses as [string, string, string];
    const urls = [
      tcp,
      tcp.replace(/^tcp:/, "TCP:"),
      http,
      http.replace(/^http:/, "HTTP:"),
      http.replace(/^http:/, "xmlrpc+http:"),
      `${tcp.replace(/^tcp:/, "ws:")}/`,
      `${tcp.replace(/^tcp:/, "jsonrpc+ws:")}/`,
      pymanager,
    ];
    for (const url of urls) {
      const remote = await connect<typeof api>(url);
      try {
        assert.equal(await remote.add(20, 22), 42, url);
      } finally {
        await close(remote);
      }
    }
  });

  it("an unsupported scheme is refused naming it and every scheme there is", async () => {
    await assert.rejects(connect("ftp://127.0.0.1:21"), (err: Error) => {
      assert.ok(err instanceof TypeError, String(err));
      assert.match(err.message, /unsupported transport "ftp" in "ftp:\/\/127\.0\.0\.1:21": use tcp:\/\/, tls:\/\/, unix:\/\/, ws:\/\//);
      return true;
    });
  });
});
