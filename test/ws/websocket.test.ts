// farcall/1 over WebSocket facing bad input and bad luck: a message over maxFrameBytes, a
// subprotocol we do not speak, text where binary is expected, an upgrade that never does the
// handshake, a wrong key, a key put in the URL, a plain request on a ws:// listener, and a
// server restarted under a client. Each case asserts what the client sees (close code and
// reason, HTTP status, error code) and that the server keeps serving everyone else.
import assert from "node:assert/strict";
import { once } from "node:events";
import { createConnection } from "node:net";
import { after, before, describe, it } from "node:test";
import { WebSocket } from "ws";
import { connect, serve, type Server } from "../../src/index.js";
import { rejection, within } from "../helpers/bounded.js";

const KEY = "k";
const MAX_FRAME_BYTES = 8192;
const api = { echo: (s: string) => s, add: (a: number, b: number) => a + b };
type Api = typeof api;

/** What a raw client learns when the server turns its upgrade down: the HTTP status and body. */
async function refusedUpgrade(url: string, protocols: string[]): Promise<{ status: number; body: string }> {
  const socket = new WebSocket(url, protocols);
  socket.on("error", () => {}); // the refusal is read from 'unexpected-response'
  const [, res] = (await within(once(socket, "unexpected-response"), 5000, "the refusal")) as [unknown, import("node:http").IncomingMessage];
  let body = "";
  res.setEncoding("utf8");
  for await (const chunk of res) body += chunk;
  socket.terminate();
  return { status: res.statusCode ?? 0, body };
}

/** A raw client speaking farcall.v1 that has read the server's hello. */
async function rawClient(url: string): Promise<WebSocket> {
  const socket = new WebSocket(url, ["farcall.v1"]);
  await within(once(socket, "message"), 5000, "the server's hello");
  return socket;
}

/** Resolves once `done()` holds, looking every few ms (bounded by the caller's within()). */
async function waitFor(done: () => boolean): Promise<void> {
  while (!done()) await new Promise((r) => setTimeout(r, 5));
}

/** The close code and reason a raw client gets. */
async function closeOf(socket: WebSocket): Promise<{ code: number; reason: string }> {
  const [code, reason] = (await within(once(socket, "close"), 5000, "the close")) as [number, Buffer];
  return { code, reason: reason.toString("utf8") };
}

describe("farcall/1 over WebSocket", () => {
  let server: Server;
  let ws: string;
  let onePort: string;

  before(async () => {
    server = await serve(api, { listen: ["ws://127.0.0.1:0", "tcp://127.0.0.1:0"], authkey: KEY, maxFrameBytes: MAX_FRAME_BYTES, handshakeTimeoutMs: 300, logger: false });
    ws = server.addresses[0]!;
    onePort = `${server.addresses[1]!.replace(/^tcp:/, "ws:")}/`;
  });
  after(() => server.close({ drainMs: 0 }));

  it("a message over maxFrameBytes closes that socket with 1009, fails its call with UNAVAILABLE, and leaves other clients working", async () => {
    const bystander = await connect<Api>(ws, { authkey: KEY, logger: false });
    const sender = await connect<Api>(ws, { authkey: KEY, logger: false, maxFrameBytes: 1024 * 1024, reconnect: false });
    const error = await rejection(sender.echo("x".repeat(2 * MAX_FRAME_BYTES)), 5000, "an oversized call");
    assert.equal(error.code, "UNAVAILABLE");
    assert.match(error.message, /1009/);
    assert.equal(await bystander.add(2, 3), 5);
  });

  it("the same limit holds for a WebSocket on the one port", async () => {
    const sender = await connect<Api>(onePort, { authkey: KEY, logger: false, maxFrameBytes: 1024 * 1024, reconnect: false });
    assert.equal(await sender.echo("small"), "small");
    const error = await rejection(sender.echo("x".repeat(2 * MAX_FRAME_BYTES)), 5000, "an oversized call");
    assert.match(error.message, /1009/);
  });

  it("an upgrade offering a subprotocol we do not speak is answered 400 naming farcall.v1", async () => {
    for (const url of [ws, onePort]) {
      const { status, body } = await refusedUpgrade(url, ["graphql-ws"]);
      assert.equal(status, 400);
      assert.match(body, /offered graphql-ws; this server speaks farcall\.v1/);
    }
  });

  it("an upgrade offering no subprotocol at all is answered 400", async () => {
    const { status, body } = await refusedUpgrade(ws, []);
    assert.equal(status, 400);
    assert.match(body, /offered none/);
  });

  it("a text message where farcall/1 expects binary closes the socket with 1003 and says why", async () => {
    const socket = await rawClient(ws);
    socket.send("{\"codec\":\"msgpack\"}");
    const { code, reason } = await closeOf(socket);
    assert.equal(code, 1003);
    assert.match(reason, /binary messages only/);
  });

  it("an upgraded socket that never does the handshake is closed with 1008 naming handshakeTimeoutMs", async () => {
    const socket = await rawClient(onePort);
    const { code, reason } = await closeOf(socket);
    assert.equal(code, 1008);
    assert.match(reason, /handshakeTimeoutMs/);
  });

  it("a handshake message over the handshake limit is refused with 1009 naming the limit", async () => {
    const socket = await rawClient(ws);
    socket.send(Buffer.alloc(5000));
    const { code, reason } = await closeOf(socket);
    assert.equal(code, 1009);
    assert.match(reason, /handshake message exceeds the handshake limit 4096 B/);
  });

  it("a message announced larger than the handshake limit is refused from its frame header, before its body is sent", async () => {
    // By hand, so that only the header of a maxFrameBytes message goes out.
    const socket = createConnection({ host: "127.0.0.1", port: Number(new URL(onePort).port) });
    await once(socket, "connect");
    socket.write("GET / HTTP/1.1\r\nHost: localhost\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: farcall.v1\r\n\r\n");
    let received = Buffer.alloc(0);
    socket.on("data", (chunk: Buffer) => (received = Buffer.concat([received, chunk])));
    await within(waitFor(() => received.includes("\r\n\r\n")), 5000, "the 101 answer");
    assert.match(received.toString("latin1"), /^HTTP\/1.1 101 /);
    // A masked binary frame announcing MAX_FRAME_BYTES (16-bit length), with no body.
    const header = Buffer.from([0x82, 0x80 | 126, MAX_FRAME_BYTES >> 8, MAX_FRAME_BYTES & 0xff, 1, 2, 3, 4]);
    socket.write(header);
    // The close frame: 0x88, its length, then the code 1009.
    await within(waitFor(() => received.includes(Buffer.from([0x03, 0xf1]))), 5000, "a close frame with 1009");
    const at = received.lastIndexOf(0x88);
    assert.equal(received.readUInt16BE(at + 2), 1009);
    assert.match(received.subarray(at + 4).toString("utf8"), /handshake limit 4096 B/);
    socket.destroy();
  });

  it("a wrong authkey is UNAUTHENTICATED, as over tcp://", async () => {
    const error = await rejection(connect<Api>(ws, { authkey: "wrong", logger: false }), 5000, "a wrong key");
    assert.equal(error.code, "UNAUTHENTICATED");
  });

  it("a key put in the URL is refused before anything is sent: the authkey option proves it instead", async () => {
    const url = ws.replace("ws://", "ws://user:k@");
    await assert.rejects(connect<Api>(url, { logger: false }), (err: Error) => err instanceof TypeError && /authkey option/.test(err.message));
  });

  it("a plain HTTP request on a ws:// listener is answered 426 Upgrade Required", async () => {
    const response = await fetch(ws.replace(/^ws:/, "http:"));
    assert.equal(response.status, 426);
    assert.match(await response.text(), /farcall\.v1/);
  });
});

/** A raw JSON-RPC client over WebSocket: sends `doc` as text, answers the decoded reply. */
async function jsonOverWs(socket: WebSocket, doc: unknown): Promise<{ reply: unknown; binary: boolean }> {
  const reply = once(socket, "message");
  socket.send(typeof doc === "string" ? doc : JSON.stringify(doc));
  const [data, binary] = (await within(reply, 5000, "the JSON-RPC answer")) as [Buffer, boolean];
  return { reply: JSON.parse(data.toString("utf8")), binary };
}

describe("JSON-RPC 2.0 over WebSocket (subprotocol jsonrpc-2.0)", () => {
  let open: Server;
  let keyed: Server;

  before(async () => {
    open = await serve(api, { listen: ["ws://127.0.0.1:0", "tcp://127.0.0.1:0"], logger: false });
    keyed = await serve(api, { listen: "tcp://127.0.0.1:0", authkey: KEY, logger: false });
  });
  after(async () => {
    await open.close({ drainMs: 0 });
    await keyed.close({ drainMs: 0 });
  });

  it("a request is answered by one text message, on a ws:// listener and on the one port", async () => {
    for (const url of [open.addresses[0]!, `${open.addresses[1]!.replace(/^tcp:/, "ws:")}/`]) {
      const socket = new WebSocket(url, ["jsonrpc-2.0"]);
      await within(once(socket, "open"), 5000, "the upgrade");
      assert.equal(socket.protocol, "jsonrpc-2.0");
      const { reply, binary } = await jsonOverWs(socket, { jsonrpc: "2.0", id: 1, method: "add", params: [2, 3] });
      assert.equal(binary, false);
      assert.deepEqual(reply, { jsonrpc: "2.0", id: 1, result: 5 });
      socket.close();
    }
  });

  it("a batch gets one message with every answer; bad JSON gets a Parse error and the socket stays open", async () => {
    const socket = new WebSocket(open.addresses[0]!, ["jsonrpc-2.0"]);
    await within(once(socket, "open"), 5000, "the upgrade");
    const batch = await jsonOverWs(socket, [
      { jsonrpc: "2.0", id: "a", method: "add", params: [1, 1] },
      { jsonrpc: "2.0", id: "b", method: "nope" },
    ]);
    const answers = (batch.reply as { id: string }[]).sort((x, y) => x.id.localeCompare(y.id));
    assert.deepEqual(answers[0], { jsonrpc: "2.0", id: "a", result: 2 });
    assert.equal((answers[1] as unknown as { error: { code: number } }).error.code, -32601);
    const bad = await jsonOverWs(socket, "{not json");
    assert.equal((bad.reply as { error: { code: number } }).error.code, -32700);
    const after = await jsonOverWs(socket, { jsonrpc: "2.0", id: 2, method: "echo", params: ["still here"] });
    assert.deepEqual(after.reply, { jsonrpc: "2.0", id: 2, result: "still here" });
    socket.close();
  });

  it("a listener with an authkey refuses it (it carries no credentials) with 1008 naming jsonRpcOverTcp", async () => {
    const socket = new WebSocket(`${keyed.addresses[0]!.replace(/^tcp:/, "ws:")}/`, ["jsonrpc-2.0"]);
    const { code, reason } = await closeOf(socket);
    assert.equal(code, 1008);
    assert.match(reason, /jsonRpcOverTcp/);
  });
});

describe("the ws:// client across a server restart", () => {
  it("a call cut off by the restart rejects with UNAVAILABLE; the next call, once the server is back on the same port, succeeds without a new connect()", async () => {
    const restartable = { ...api, hang: () => new Promise<never>(() => {}) };
    const first = await serve(restartable, { listen: "ws://127.0.0.1:0", logger: false });
    const url = first.addresses[0]!;
    const remote = await connect<typeof restartable>(url, { logger: false, reconnect: { initialDelayMs: 20, maxDelayMs: 100 } });
    assert.equal(await remote.add(1, 1), 2);
    // Watched from the start: the closing server may answer it before close() resolves.
    const cut = rejection(remote.hang(), 5000, "the call cut off");
    await first.close({ drainMs: 0 });
    assert.equal((await cut).code, "UNAVAILABLE");
    const second = await serve(restartable, { listen: url, logger: false });
    try {
      assert.equal(await remote.add(2, 2), 4);
    } finally {
      await second.close({ drainMs: 0 });
    }
  });
});

describe("what a ws:// server lets wait for one peer (maxWriteBufferBytes)", () => {
  let server: Server;
  const sized = { bytes: (n: number) => new Uint8Array(n), add: (a: number, b: number) => a + b };
  before(async () => {
    server = await serve(sized, { listen: "ws://127.0.0.1:0", maxWriteBufferBytes: 256 * 1024, logger: false });
  });
  after(() => server.close({ drainMs: 0 }));

  it("an answer larger than the limit fails alone with RESOURCE_EXHAUSTED naming it, and the connection carries on", async () => {
    const remote = await connect<typeof sized>(server.addresses[0]!, { logger: false });
    assert.equal((await remote.bytes(1000)).length, 1000);
    const refused = await rejection(remote.bytes(1024 * 1024), 5000, "a 1 MiB answer");
    assert.equal(refused.code, "RESOURCE_EXHAUSTED");
    assert.match(refused.message, /maxWriteBufferBytes 262144/);
    assert.equal(await remote.add(2, 3), 5);
    await (remote as unknown as { [Symbol.asyncDispose](): Promise<void> })[Symbol.asyncDispose]();
  });
});

describe("a ws link whose peer does not read", () => {
  it("refuses what would pass maxBufferedBytes, and a frame sent past it anyway closes the connection with 1008", async () => {
    const { WsLink } = await import("../../src/ws/link.js");
    const sent: number[] = [];
    const closed: [number, string][] = [];
    const fake = {
      bufferedAmount: 0,
      binaryType: "",
      on() {},
      send(frame: Uint8Array) {
        sent.push(frame.length);
        fake.bufferedAmount += frame.length; // the peer reads nothing
      },
      close(code: number, reason: string) {
        closed.push([code, reason]);
      },
      terminate() {},
    };
    const link = new WsLink(fake as never, "test peer");
    link.maxBufferedBytes = 1000;
    link.send(new Uint8Array(600));
    assert.equal(link.overLimit(300), undefined);
    assert.match(link.overLimit(500) ?? "", /600 B already queued for this peer \+ 500 B exceed maxWriteBufferBytes 1000/);
    link.send(new Uint8Array(500));
    assert.deepEqual(sent, [600], "the frame past the limit was not sent");
    assert.equal(closed.length, 1);
    assert.equal(closed[0]![0], 1008);
    assert.match(closed[0]![1], /peer is not reading/);
  });
});

describe("WebSocket sessions and the server's write budget (maxServerWriteBufferBytes)", () => {
  // farcall/1 over ws:// (bytes), and JSON-RPC over WebSocket (text, answered for its id).
  for (const [protocol, scheme] of [["farcall/1", "ws:"], ["JSON-RPC", "jsonrpc+ws:"]] as const) {
    it(`${protocol}: an answer that would pass the server-wide budget fails alone with RESOURCE_EXHAUSTED naming it`, async () => {
      const sized = { text: (n: number) => "x".repeat(n), add: (a: number, b: number) => a + b };
      const server = await serve(sized, { listen: "ws://127.0.0.1:0", maxServerWriteBufferBytes: 64 * 1024, logger: false });
      try {
        const remote = await connect<typeof sized>(server.addresses[0]!.replace(/^ws:/, scheme), { logger: false });
        assert.equal((await remote.text(1000)).length, 1000);
        const refused = await rejection(remote.text(128 * 1024), 5000, "an answer over the server's budget");
        assert.equal(refused.code, "RESOURCE_EXHAUSTED");
        assert.match(refused.message, /maxServerWriteBufferBytes 65536/);
        assert.equal(await remote.add(2, 3), 5);
        await (remote as unknown as { [Symbol.asyncDispose](): Promise<void> })[Symbol.asyncDispose]();
      } finally {
        await server.close({ drainMs: 0 });
      }
    });
  }

  it("links sharing a budget are refused past it, and credited once ws has written their bytes or their socket closed", async () => {
    const { WsLink } = await import("../../src/ws/link.js");
    const { WriteBudget } = await import("../../src/net/framing.js");
    const budget = new WriteBudget(1000);
    /** A socket that reports writes done only when told, and closes when told. */
    const fakeSocket = () => {
      const written: (() => void)[] = [];
      const listeners = new Map<string, (...args: unknown[]) => void>();
      const socket = {
        bufferedAmount: 0,
        binaryType: "",
        on(event: string, fn: (...args: unknown[]) => void) {
          listeners.set(event, fn);
        },
        send(_frame: Uint8Array, _options: unknown, done?: () => void) {
          if (done) written.push(done);
        },
        close() {},
        terminate() {},
      };
      return { socket, written, closeNow: () => listeners.get("close")!(1006, Buffer.alloc(0)) };
    };
    const a = fakeSocket();
    const b = fakeSocket();
    const linkA = new WsLink(a.socket as never, "a");
    const linkB = new WsLink(b.socket as never, "b");
    linkA.chargeTo(budget);
    linkB.chargeTo(budget);
    linkA.send(new Uint8Array(400));
    linkA.send(new Uint8Array(200));
    assert.equal(budget.used, 600);
    assert.match(linkB.overLimit(500) ?? "", /600 B already queued for all peers \+ 500 B exceed maxServerWriteBufferBytes 1000/);
    a.written.shift()!();
    assert.equal(budget.used, 200, "the first message written gives its 400 B back");
    assert.equal(linkB.overLimit(500), undefined);
    linkB.send(new Uint8Array(500));
    assert.equal(budget.used, 700);
    b.closeNow();
    assert.equal(budget.used, 200, "a closed socket gives back all it held");
    for (const done of b.written) done();
    assert.equal(budget.used, 200, "late write reports after the close give nothing back twice");
    a.written.shift()!();
    assert.equal(budget.used, 0);
  });
});
