// Listeners with policies of their own: `listen` entries { url, authkey, auth, allow, tls,
// use, jsonRpcOverTcp } over the server-wide options, each listener enforcing its own.
import assert from "node:assert/strict";
import { connect as netConnect } from "node:net";
import { once } from "node:events";
import { test } from "node:test";
import { close, connect, serve, type Interceptor, type Logger } from "../../src/index.js";
import { rejection } from "../helpers/bounded.js";
import { freePort } from "../helpers/ports.js";

const WAIT_MS = 5000;

const api = { add: (a: number, b: number) => a + b };

function capture(): { logger: Logger; lines: string[] } {
  const lines: string[] = [];
  const push = (m: string) => void lines.push(m);
  return { logger: { info: push, warn: push, error: push }, lines };
}

/** Calls add(1, 2) over a fresh connection to `url`. */
async function add(url: string, authkey?: string): Promise<number> {
  const remote = await connect<typeof api>(url, { ...(authkey ? { authkey } : {}), connectTimeoutMs: 2000, reconnect: false });
  try {
    return await remote.add(1, 2);
  } finally {
    await close(remote);
  }
}

/** POSTs a JSON-RPC call of add to the HTTP endpoint at `url`; answers the status. */
async function postAdd(url: string, token?: string): Promise<number> {
  const res = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json", ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify({ jsonrpc: "2.0", method: "add", params: [1, 2], id: 1 }),
  });
  await res.arrayBuffer();
  return res.status;
}

test("a keyless client is refused UNAUTHENTICATED on the listener with a key, and served on the one without", async (t) => {
  const server = await serve(api, { listen: ["tcp://127.0.0.1:0", { url: "tcp://127.0.0.1:0", authkey: "password" }], logger: false });
  t.after(() => server.close());
  const [open, keyed] = server.addresses as [string, string];
  assert.equal(await add(open), 3);
  assert.equal((await rejection(add(keyed), WAIT_MS, "add")).code, "UNAUTHENTICATED");
  assert.equal(await add(keyed, "password"), 3);
  // A client with the key refuses a listener that cannot prove it holds one.
  assert.equal((await rejection(add(open, "password"), WAIT_MS, "add")).code, "UNAUTHENTICATED");
});

test("an entry's authkey: null turns the server-wide key off on that listener alone", async (t) => {
  const server = await serve(api, { listen: [{ url: "tcp://127.0.0.1:0", authkey: null }, "tcp://127.0.0.1:0"], authkey: "password", logger: false });
  t.after(() => server.close());
  const [open, keyed] = server.addresses as [string, string];
  assert.equal(await add(open), 3);
  assert.equal((await rejection(add(keyed), WAIT_MS, "add")).code, "UNAUTHENTICATED");
});

test("HTTP found on a listener answers with that listener's key", async (t) => {
  const server = await serve(api, { listen: ["tcp://127.0.0.1:0", { url: "tcp://127.0.0.1:0", authkey: "password" }, { url: "http://127.0.0.1:0/rpc", authkey: "other" }], logger: false });
  t.after(() => server.close());
  const [open, keyed, http] = server.addresses as [string, string, string];
  assert.equal(await postAdd(`http://127.0.0.1:${new URL(open).port}/`), 200);
  assert.equal(await postAdd(`http://127.0.0.1:${new URL(keyed).port}/`), 401);
  assert.equal(await postAdd(`http://127.0.0.1:${new URL(keyed).port}/`, "password"), 200);
  assert.equal(await postAdd(http, "password"), 401);
  assert.equal(await postAdd(http, "other"), 200);
});

test("raw JSON-RPC follows each listener's key and jsonRpcOverTcp", async (t) => {
  const server = await serve(api, {
    listen: ["tcp://127.0.0.1:0", { url: "tcp://127.0.0.1:0", authkey: "k" }, { url: "tcp://127.0.0.1:0", authkey: "k", jsonRpcOverTcp: "trusted" }],
    logger: false,
  });
  t.after(() => server.close());
  const codes: unknown[] = [];
  for (const url of server.addresses) {
    const socket = netConnect(Number(new URL(url).port), "127.0.0.1");
    socket.end('{"jsonrpc":"2.0","method":"add","params":[1,2],"id":1}\n');
    let text = "";
    socket.setEncoding("utf8").on("data", (d: string) => (text += d));
    await once(socket, "close");
    const answer = JSON.parse(text.split("\n")[0]!) as { result?: number; error?: { code: number } };
    codes.push(answer.result ?? answer.error!.code);
  }
  assert.deepEqual(codes, [3, -32001, 3]);
});

test("each listener admits the addresses of its own allow list", async (t) => {
  const { logger, lines } = capture();
  const server = await serve(api, {
    listen: [{ url: "tcp://127.0.0.1:0", allow: ["127.0.0.1"] }, { url: "tcp://127.0.0.1:0", allow: ["10.0.0.0/8"] }, { url: "tcp://127.0.0.1:0", allow: null }, "tcp://127.0.0.1:0"],
    allow: ["192.168.0.0/16"],
    logger,
  });
  t.after(() => server.close());
  const [listed, unlisted, everyone, inherited] = server.addresses as [string, string, string, string];
  assert.equal(await add(listed), 3);
  assert.equal((await rejection(add(unlisted), WAIT_MS, "add")).code, "UNAVAILABLE");
  assert.equal(await add(everyone), 3, "allow: null lets everyone in despite the server-wide list");
  assert.equal((await rejection(add(inherited), WAIT_MS, "add")).code, "UNAVAILABLE", "a plain URL takes the server-wide list");
  assert.equal(lines.filter((l) => l.includes("not in the allow list")).length, 2, lines.join("\n"));
});

test("a listener's allow list guards its pymanager:// and http:// listeners too", async (t) => {
  const server = await serve(api, {
    listen: [{ url: "pymanager://127.0.0.1:0", authkey: "password", allow: ["10.0.0.0/8"] }, { url: "http://127.0.0.1:0/", allow: ["10.0.0.0/8"] }],
    logger: false,
  });
  t.after(() => server.close());
  const [py, http] = server.addresses as [string, string];
  assert.equal((await rejection(add(py, "password"), WAIT_MS, "add")).code, "UNAVAILABLE");
  assert.equal(await postAdd(http), 403);
});

test("a listener's use runs only on that listener, inside the server's use", async (t) => {
  const seen: string[] = [];
  const tag = (name: string): Interceptor => async (call, next) => {
    seen.push(`${name} ${call.method} in`);
    try {
      return await next();
    } finally {
      seen.push(`${name} ${call.method} out`);
    }
  };
  const server = await serve(api, {
    listen: [{ url: "tcp://127.0.0.1:0", use: [tag("listener")] }, "tcp://127.0.0.1:0", { url: "http://127.0.0.1:0/", use: [tag("http")] }],
    use: [tag("server")],
    logger: false,
  });
  t.after(() => server.close());
  const [own, plain, http] = server.addresses as [string, string, string];
  assert.equal(await add(own), 3);
  assert.deepEqual(seen.splice(0), ["server add in", "listener add in", "listener add out", "server add out"]);
  assert.equal(await add(plain), 3);
  assert.deepEqual(seen.splice(0), ["server add in", "server add out"]);
  assert.equal(await postAdd(http), 200);
  assert.deepEqual(seen.splice(0), ["server add in", "http add in", "http add out", "server add out"]);
});

test("server.addresses keeps the order of listen, whatever the kind of each listener", async (t) => {
  const server = await serve(api, {
    listen: [{ url: "http://127.0.0.1:0/rpc" }, "pymanager://127.0.0.1:0", { url: "tcp://127.0.0.1:0", authkey: "k" }, "http://127.0.0.1:0/x"],
    logger: false,
  });
  t.after(() => server.close());
  assert.deepEqual(server.addresses.map((a) => a.replace(/:\d+/, ":P")), ["http://127.0.0.1:P/rpc", "pymanager://127.0.0.1:P", "tcp://127.0.0.1:P", "http://127.0.0.1:P/x"]);
});

test("the warning about no authkey beyond loopback is given per listener", async (t) => {
  const { logger, lines } = capture();
  const exposed = `tcp://0.0.0.0:${await freePort()}`;
  const server = await serve(api, { listen: [{ url: "tcp://0.0.0.0:0", authkey: "k" }, exposed, "tcp://127.0.0.1:0"], logger });
  t.after(() => server.close());
  assert.deepEqual(lines.filter((l) => l.includes("without an authkey")), [`listening on ${exposed} without an authkey: anyone who can reach it can call every exposed method`]);
});

test("listen entries are checked at startup, naming the option and the listener, before anything listens", async () => {
  const port = await freePort();
  const first = `tcp://127.0.0.1:${port}`;
  const cases: [unknown, RegExp][] = [
    [{ url: "tcp://127.0.0.1:0", authKey: "x" }, /listen\[1\] \(tcp:\/\/127\.0\.0\.1:0\): unknown option "authKey"/],
    [{ url: "tcp://127.0.0.1:0", allow: ["nope"] }, /listen\[1\] \(tcp:\/\/127\.0\.0\.1:0\): allow: "nope" is not an IP address/],
    [{ url: "tcp://127.0.0.1:0", authkey: "" }, /listen\[1\] \(tcp:\/\/127\.0\.0\.1:0\): authkey must not be empty/],
    [{ url: "tcp://127.0.0.1:0", auth: "token" }, /listen\[1\] \(tcp:\/\/127\.0\.0\.1:0\): auth must be a function/],
    [{ url: "tcp://127.0.0.1:0", use: [1] }, /listen\[1\] \(tcp:\/\/127\.0\.0\.1:0\): use must be an array of interceptor functions/],
    [{ url: "tcp://127.0.0.1:0", jsonRpcOverTcp: "yes" }, /listen\[1\] \(tcp:\/\/127\.0\.0\.1:0\): jsonRpcOverTcp must be "auto", "trusted" or "off"/],
    [{ url: "tcp://127.0.0.1:0", tls: { cert: "x" } }, /listen\[1\] \(tcp:\/\/127\.0\.0\.1:0\): tls has no meaning on a tcp:\/\/ listener/],
    [{ url: "pymanager://127.0.0.1:0", auth: () => true }, /listen\[1\] \(pymanager:\/\/127\.0\.0\.1:0\): auth has no meaning on a pymanager:\/\/ listener/],
    [{ url: "nats://127.0.0.1:4222/svc", authkey: "k" }, /listen\[1\] \(nats:\/\/127\.0\.0\.1:4222\/svc\): authkey has no meaning on a nats:\/\/ listener/],
    [{ url: "unix:///tmp/farcall-never.sock", allow: ["127.0.0.1"] }, /allow has no meaning on a unix:\/\/ listener/],
    [{ url: 4343 }, /listen\[1\] needs a url string/],
    [null, /listen\[1\] must be a URL string or a \{ url, \.\.\. \} entry/],
    [{ url: "ftp://127.0.0.1:21" }, /unsupported transport "ftp"/],
  ];
  for (const [entry, message] of cases) {
    await assert.rejects(serve(api, { listen: [first, entry as string], logger: false }), (err: Error) => {
      assert.ok(err instanceof TypeError || err instanceof RangeError, `${String(err)}`);
      assert.match(err.message, message);
      return true;
    });
  }
  // Nothing was left listening: the first listener's port is still free.
  const probe = await serve(api, { listen: first, logger: false });
  await probe.close();
});
