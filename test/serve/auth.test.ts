// Shared-secret authentication: mutual, and the key never crosses the wire.
import assert from "node:assert/strict";
import { createServer, connect as netConnect, type Socket } from "node:net";
import { once } from "node:events";
import { test } from "node:test";
import { Packr } from "msgpackr";
import { close, connect, RpcError, serve, type Logger } from "../../src/index.js";

const api = { add: (a: number, b: number) => a + b };

function capture(): { logger: Logger; lines: string[] } {
  const lines: string[] = [];
  const push = (m: string) => void lines.push(m);
  return { logger: { info: push, warn: push, error: push }, lines };
}

async function rejection(p: Promise<unknown>): Promise<RpcError> {
  try {
    await p;
  } catch (err) {
    assert.ok(RpcError.is(err), `expected an RpcError, got ${String(err)}`);
    return err;
  }
  assert.fail("expected a rejection");
}

test("a client with the right key connects and calls", async (t) => {
  const server = await serve(api, { listen: "tcp://127.0.0.1:0", authkey: "password", logger: false });
  t.after(() => server.close());
  const remote = await connect<typeof api>(server.addresses[0], { authkey: "password" });
  t.after(() => close(remote));
  assert.equal(await remote.add(1, 2), 3);
});

test("a wrong key is rejected with UNAUTHENTICATED and the server logs one line", async (t) => {
  const { logger, lines } = capture();
  const server = await serve(api, { listen: "tcp://127.0.0.1:0", authkey: "password", logger });
  t.after(() => server.close());
  const err = await rejection(connect(server.addresses[0], { authkey: "not-the-password" }));
  assert.equal(err.code, "UNAUTHENTICATED");
  const authLines = lines.filter((l) => l.includes("wrong authkey"));
  assert.equal(authLines.length, 1, lines.join("\n"));
});

test("a client without a key is refused by a server that has one", async (t) => {
  const server = await serve(api, { listen: "tcp://127.0.0.1:0", authkey: "password", logger: false });
  t.after(() => server.close());
  assert.equal((await rejection(connect(server.addresses[0]))).code, "UNAUTHENTICATED");
});

test("a client with a key refuses a server that does not authenticate", async (t) => {
  const server = await serve(api, { listen: "tcp://127.0.0.1:0", logger: false });
  t.after(() => server.close());
  assert.equal((await rejection(connect(server.addresses[0], { authkey: "password" }))).code, "UNAUTHENTICATED");
});

test("an impostor server that does not know the key is rejected by the client", async (t) => {
  // It plays the listener's part faithfully but, lacking the key, cannot compute its proof.
  const packr = new Packr({ useRecords: false });
  const frame = (doc: unknown): Buffer => {
    const body = packr.pack(doc);
    const head = Buffer.alloc(4);
    head.writeUInt32BE(body.length);
    return Buffer.concat([head, body]);
  };
  const sockets: Socket[] = [];
  const impostor = createServer((socket) => {
    sockets.push(socket);
    let buffered = Buffer.alloc(0);
    let step = 0;
    socket.on("data", (chunk: Buffer) => {
      buffered = Buffer.concat([buffered, chunk]);
      if (step === 0 && buffered.length >= 9) {
        buffered = buffered.subarray(9);
        step = 1;
        socket.write(frame({ farcall: 1, codecs: ["msgpack"], auth: "hmac-sha256", challenge: Buffer.alloc(32, 7) }));
      }
      if (step === 1 && buffered.length >= 4 && buffered.length >= 4 + buffered.readUInt32BE(0)) {
        step = 2;
        socket.write(frame({ ok: true, proof: Buffer.alloc(32, 1) }));
      }
    });
  });
  impostor.listen(0, "127.0.0.1");
  await once(impostor, "listening");
  t.after(() => {
    for (const s of sockets) s.destroy();
    impostor.close();
  });
  const { port } = impostor.address() as { port: number };
  const err = await rejection(connect(`tcp://127.0.0.1:${port}`, { authkey: "password" }));
  assert.equal(err.code, "UNAUTHENTICATED");
  assert.match(err.message, /could not prove/);
});

test("no key material appears on the wire", async (t) => {
  const key = "correct-horse-battery-staple";
  const server = await serve(api, { listen: "tcp://127.0.0.1:0", authkey: key, logger: false });
  t.after(() => server.close());
  const { port: serverPort } = new URL(server.addresses[0].replace("tcp:", "http:"));
  // A relay between client and server that records every byte in both directions.
  const seen: Buffer[] = [];
  const relays: Socket[] = [];
  const relay = createServer((downstream) => {
    const upstream = netConnect(Number(serverPort), "127.0.0.1");
    relays.push(downstream, upstream);
    downstream.on("data", (d: Buffer) => {
      seen.push(d);
      upstream.write(d);
    });
    upstream.on("data", (d: Buffer) => {
      seen.push(d);
      downstream.write(d);
    });
    downstream.on("close", () => upstream.destroy());
    upstream.on("close", () => downstream.destroy());
  });
  relay.listen(0, "127.0.0.1");
  await once(relay, "listening");
  t.after(() => {
    for (const s of relays) s.destroy();
    relay.close();
  });
  const { port } = relay.address() as { port: number };
  const remote = await connect<typeof api>(`tcp://127.0.0.1:${port}`, { authkey: key });
  assert.equal(await remote.add(20, 22), 42);
  await close(remote);
  const wire = Buffer.concat(seen);
  assert.ok(wire.length > 100, "the relay saw the handshake and the call");
  assert.ok(wire.includes(Buffer.from("FARCALL/1")), "the relay saw the preamble");
  for (const form of [Buffer.from(key), Buffer.from(key, "utf16le"), Buffer.from(Buffer.from(key).toString("base64")), Buffer.from(Buffer.from(key).toString("hex"))]) {
    assert.equal(wire.includes(form), false, `key material (${form.toString().slice(0, 12)}...) crossed the wire`);
  }
});

test("a client outside the allow-list is refused before the handshake", async (t) => {
  const { logger, lines } = capture();
  const server = await serve(api, { listen: "tcp://127.0.0.1:0", authkey: "password", allow: ["10.0.0.0/8", "fd00::/8"], logger });
  t.after(() => server.close());
  const err = await rejection(connect(server.addresses[0], { authkey: "password", connectTimeoutMs: 2000 }));
  assert.equal(err.code, "UNAVAILABLE");
  assert.ok(lines.some((l) => l.includes("127.0.0.1") && l.includes("not in the allow list")), lines.join("\n"));
});

test("the allow-list admits listed addresses and ranges, IPv4 and IPv6", async (t) => {
  const server = await serve(api, { listen: ["tcp://127.0.0.1:0", "tcp://[::1]:0"], authkey: "password", allow: ["127.0.0.0/8", "::1"], logger: false });
  t.after(() => server.close());
  for (const url of server.addresses) {
    const remote = await connect<typeof api>(url, { authkey: "password" });
    assert.equal(await remote.add(2, 3), 5, url);
    await close(remote);
  }
});

test("an allow-list entry that is not an address fails at startup", async () => {
  await assert.rejects(serve(api, { listen: "tcp://127.0.0.1:0", allow: ["not-an-ip"], logger: false }), TypeError);
});

test("listening beyond loopback without an authkey logs a warning; loopback does not", async (t) => {
  const open = capture();
  const exposed = await serve(api, { listen: "tcp://0.0.0.0:0", logger: open.logger });
  t.after(() => exposed.close());
  assert.ok(open.lines.some((l) => l.includes("without an authkey")), open.lines.join("\n"));
  const local = capture();
  const loopback = await serve(api, { listen: "tcp://127.0.0.1:0", logger: local.logger });
  t.after(() => loopback.close());
  assert.equal(local.lines.length, 0, local.lines.join("\n"));
});
