/**
 * Hostile JSON-RPC input over HTTP (the http:// listener and HTTP sniffed on the one-port
 * tcp:// listener) and over raw TCP: huge bodies, absurd nesting, prototype names, huge
 * batches, invalid UTF-8 and slow-loris clients. Each gets a clear answer or a bounded
 * disconnect, the server stays up, and other clients are served throughout.
 */
import assert from "node:assert/strict";
import { connect as netConnect, type Socket } from "node:net";
import { after, before, describe, it } from "node:test";
import { serve, type Server } from "../../src/index.js";
import { within } from "../helpers/bounded.js";
import { LogCapture } from "../fixtures/hostile/log-capture.js";

const MiB = 1024 * 1024;
const WAIT_MS = 10_000;
/** Small, so a slow-loris client is cut off quickly. */
const REQUEST_TIMEOUT_MS = 600;
/** The slow-loris client's pace: one byte per DRIP_MS. */
const DRIP_MS = 100;
/** Scheduling allowance on top of a limit, for a loaded test machine. */
const SLACK_MS = 1500;
/** JSON-RPC numbers of the framework codes these tests expect. */
const PARSE_ERROR = -32700;
const METHOD_NOT_FOUND = -32601;
const RESOURCE_EXHAUSTED = -32005;

let touched = 0;
const api = {
  echo: (x: unknown) => x,
  /** Counts its calls: a hostile request that must not run would show up here. */
  touch: () => ++touched,
};

/** A raw socket recording everything the server sends until it closes. */
class RawClient {
  readonly socket: Socket;
  text = "";
  readonly closed: Promise<void>;
  private wake: (() => void) | undefined;

  constructor(port: number) {
    this.socket = netConnect(port, "127.0.0.1");
    this.socket.on("data", (d: Buffer) => {
      this.text += d.toString("latin1");
      this.wake?.();
    });
    this.socket.on("error", () => {}); // a reset shows up as "close", which the tests await
    this.closed = new Promise((resolve) => this.socket.once("close", () => {
      this.wake?.();
      resolve();
    }));
  }

  /** Resolves once the received text matches `pattern` (or the socket closed). */
  async waitFor(pattern: RegExp, what: string): Promise<string> {
    await within((async () => {
      while (!pattern.test(this.text) && !this.socket.closed) await new Promise<void>((resolve) => (this.wake = resolve));
    })(), WAIT_MS, what);
    return this.text;
  }

  /** Writes `bytes` one byte every DRIP_MS until the socket closes; answers when it closed (ms after the first byte). */
  async drip(bytes: string): Promise<number> {
    const started = Date.now();
    let at = 0;
    const timer = setInterval(() => {
      if (this.socket.writable && at < bytes.length) this.socket.write(bytes[at++]!);
    }, DRIP_MS);
    try {
      await within(this.closed, REQUEST_TIMEOUT_MS + SLACK_MS + 1000, "the server to close a slow-loris client");
    } finally {
      clearInterval(timer);
    }
    assert.ok(at < bytes.length, "the whole request was sent before the server closed the connection");
    return Date.now() - started;
  }
}

/** The parsed JSON body of a raw HTTP response. */
function bodyOf(response: string): unknown {
  return JSON.parse(response.slice(response.indexOf("\r\n\r\n") + 4));
}

function requestHead(path: string, length: number | "chunked"): string {
  const framing = length === "chunked" ? "Transfer-Encoding: chunked" : `Content-Length: ${length}`;
  return `POST ${path} HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n${framing}\r\n\r\n`;
}

/** A JSON-RPC document POSTed as raw bytes on a fresh socket; answers the raw HTTP response. */
async function postRaw(port: number, path: string, body: Buffer): Promise<string> {
  const client = new RawClient(port);
  client.socket.write(requestHead(path, body.length));
  client.socket.write(body);
  const text = await client.waitFor(/\r\n\r\n[\s\S]*[}\]]\s*$/, "an HTTP answer");
  client.socket.destroy();
  return text;
}

/** One JSON value written on raw TCP; answers the first line the server sends back. */
async function tcpLine(port: number, bytes: Buffer): Promise<{ answer: unknown; client: RawClient }> {
  const client = new RawClient(port);
  client.socket.write(bytes);
  const text = await client.waitFor(/\n/, "an answer line");
  return { answer: JSON.parse(text.slice(0, text.indexOf("\n"))), client };
}

describe("hostile JSON-RPC input over HTTP and raw TCP", () => {
  let server: Server;
  const log = new LogCapture();
  /** Endpoints: name, port, path. */
  let endpoints: { name: string; port: number; path: string; url: string }[];
  let tcpPort: number;

  before(async () => {
    server = await serve(api, {
      listen: ["http://127.0.0.1:0/rpc", "tcp://127.0.0.1:0"],
      logger: log.everyLine,
      requestTimeoutMs: REQUEST_TIMEOUT_MS,
      // Far above requestTimeoutMs: a sniffed connection must be cut by the request timeout.
      handshakeTimeoutMs: 30_000,
    });
    const http = new URL(server.addresses[0]!);
    tcpPort = Number(new URL(server.addresses[1]!).port);
    endpoints = [
      { name: "http:// listener", port: Number(http.port), path: "/rpc", url: server.addresses[0]! },
      { name: "one-port tcp:// listener", port: tcpPort, path: "/", url: `http://127.0.0.1:${tcpPort}/` },
    ];
  });
  after(() => server.close());

  /** A normal call through every endpoint and raw TCP still works. */
  async function assertServing(): Promise<void> {
    for (const e of endpoints) {
      const res = await within(fetch(e.url, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ jsonrpc: "2.0", id: 7, method: "echo", params: ["still here"] }),
      }), WAIT_MS, `a call through the ${e.name}`);
      assert.deepEqual(await res.json(), { jsonrpc: "2.0", id: 7, result: "still here" });
    }
    const { answer, client } = await tcpLine(tcpPort, Buffer.from('{"jsonrpc":"2.0","id":8,"method":"echo","params":[1]}\n'));
    client.socket.destroy();
    assert.deepEqual(answer, { jsonrpc: "2.0", id: 8, result: 1 });
  }

  it("a 20 MiB body with a Content-Length is answered 413 before it is read", async () => {
    for (const e of endpoints) {
      const client = new RawClient(e.port);
      client.socket.write(requestHead(e.path, 20 * MiB));
      // The answer comes from the headers alone: not one byte of the body is sent.
      const text = await client.waitFor(/\r\n\r\n\{.*\}$/s, `${e.name}: the 413`);
      assert.match(text, /^HTTP\/1\.1 413 /, e.name);
      assert.match(text, /exceeds maxBodyBytes 16777216/, e.name);
      await within(client.closed, WAIT_MS, `${e.name}: the connection to close`);
    }
    await assertServing();
  });

  it("a 20 MiB chunked body is answered 413 once 16 MiB have streamed in", async () => {
    const chunk = Buffer.alloc(MiB, 0x20);
    const chunkHead = `${chunk.length.toString(16)}\r\n`;
    for (const e of endpoints) {
      const client = new RawClient(e.port);
      client.socket.write(requestHead(e.path, "chunked"));
      for (let i = 0; i < 20 && client.socket.writable && client.text === ""; i++) {
        client.socket.write(chunkHead);
        client.socket.write(chunk);
        if (!client.socket.write("\r\n")) await within(new Promise((resolve) => client.socket.once("drain", resolve).once("close", resolve)), WAIT_MS, "the socket to drain");
      }
      const text = await client.waitFor(/\r\n\r\n\{.*\}$/s, `${e.name}: the 413`);
      assert.match(text, /^HTTP\/1\.1 413 /, e.name);
      client.socket.destroy();
    }
    await assertServing();
  });

  it("100,000-deep nested arrays are answered RESOURCE_EXHAUSTED without being parsed", async () => {
    const deep = Buffer.from("[".repeat(100_000) + "]".repeat(100_000));
    for (const e of endpoints) {
      const text = await postRaw(e.port, e.path, deep);
      assert.match(text, /^HTTP\/1\.1 200 /, e.name);
      const answer = bodyOf(text) as { error: { code: number; message: string }; id: null };
      assert.equal(answer.error.code, RESOURCE_EXHAUSTED, e.name);
      assert.match(answer.error.message, /maxDepth 64/, e.name);
      assert.equal(answer.id, null);
    }
    // Raw TCP cannot resynchronise after a refused value: one error line, then a close.
    const { answer, client } = await tcpLine(tcpPort, deep);
    assert.equal((answer as { error: { code: number } }).error.code, RESOURCE_EXHAUSTED);
    await within(client.closed, WAIT_MS, "raw TCP to close");
    await assertServing();
  });

  it("__proto__, constructor.prototype, toString and other inherited names are Method not found", async () => {
    const names = ["__proto__", "constructor", "constructor.prototype", "toString", "hasOwnProperty", "__proto__.toString", "echo.call", "valueOf"];
    const batch = names.map((method, id) => ({ jsonrpc: "2.0", id, method }));
    const expected = names.map((_, id) => ({ id, code: METHOD_NOT_FOUND }));
    const simplify = (answers: { id: number; error: { code: number } }[]) => answers.map((a) => ({ id: a.id, code: a.error.code })).sort((a, b) => a.id - b.id);
    for (const e of endpoints) {
      const single = bodyOf(await postRaw(e.port, e.path, Buffer.from('{"jsonrpc":"2.0","id":1,"method":"__proto__"}'))) as { error: { code: number } };
      assert.equal(single.error.code, METHOD_NOT_FOUND, e.name);
      assert.deepEqual(simplify(bodyOf(await postRaw(e.port, e.path, Buffer.from(JSON.stringify(batch)))) as never), expected, e.name);
    }
    const { answer, client } = await tcpLine(tcpPort, Buffer.from(`${JSON.stringify(batch)}\n`));
    client.socket.destroy();
    assert.deepEqual(simplify(answer as never), expected);
    await assertServing();
  });

  it("a batch of 100,000 requests is one RESOURCE_EXHAUSTED error naming maxBatch, and nothing runs", async () => {
    const batch = Buffer.from(JSON.stringify(Array.from({ length: 100_000 }, (_, id) => ({ jsonrpc: "2.0", id, method: "touch" }))));
    const before = touched;
    const check = (answer: unknown, where: string) => {
      assert.ok(!Array.isArray(answer), `${where}: one error, not an array of answers`);
      const { error, id } = answer as { error: { code: number; message: string }; id: unknown };
      assert.equal(error.code, RESOURCE_EXHAUSTED, where);
      assert.equal(error.message, "batch of 100000 requests exceeds maxBatch 1000", where);
      assert.equal(id, null, where);
    };
    for (const e of endpoints) check(bodyOf(await postRaw(e.port, e.path, batch)), e.name);
    const { answer, client } = await tcpLine(tcpPort, Buffer.concat([batch, Buffer.from("\n")]));
    client.socket.destroy();
    check(answer, "raw TCP");
    assert.equal(touched, before, "no element of a refused batch ran");
    await assertServing();
  });

  it("invalid UTF-8 in a body is a Parse error with id null", async () => {
    const bad = Buffer.concat([Buffer.from('{"jsonrpc":"2.0","id":1,"method":"echo","params":["'), Buffer.from([0xff, 0xfe, 0xc3]), Buffer.from('"]}')]);
    for (const e of endpoints) {
      const answer = bodyOf(await postRaw(e.port, e.path, bad)) as { error: { code: number; message: string }; id: unknown };
      assert.equal(answer.error.code, PARSE_ERROR, e.name);
      assert.match(answer.error.message, /UTF-8/, e.name);
      assert.equal(answer.id, null);
    }
    // The value's brackets were intact, so raw TCP answers and carries on.
    const { answer, client } = await tcpLine(tcpPort, Buffer.concat([bad, Buffer.from('\n{"jsonrpc":"2.0","id":2,"method":"echo","params":["ok"]}\n')]));
    assert.equal((answer as { error: { code: number } }).error.code, PARSE_ERROR);
    const text = await client.waitFor(/\n.*\n/, "the second answer line");
    assert.deepEqual(JSON.parse(text.split("\n")[1]!), { jsonrpc: "2.0", id: 2, result: "ok" });
    client.socket.destroy();
    await assertServing();
  });

  describe("slow-loris clients (one byte every 100 ms) are cut off after requestTimeoutMs", () => {
    const request = '{"jsonrpc":"2.0","id":1,"method":"echo","params":["' + "x".repeat(200) + '"]}';

    /** Drips `bytes` on a fresh socket while another client calls; checks both outcomes. */
    async function lorisAgainst(port: number, bytes: string, what: string, expectAnswer: RegExp, head = ""): Promise<void> {
      const loris = new RawClient(port);
      if (head) loris.socket.write(head);
      const closedAfter = loris.drip(bytes);
      await assertServing(); // served at once, while the loris is still connected
      assert.equal(loris.socket.closed, false, `${what}: the loris is still connected while others are served`);
      const ms = await closedAfter;
      assert.ok(ms >= REQUEST_TIMEOUT_MS - DRIP_MS, `${what}: closed after ${ms} ms, before requestTimeoutMs ${REQUEST_TIMEOUT_MS}`);
      assert.ok(ms <= REQUEST_TIMEOUT_MS + SLACK_MS, `${what}: closed after ${ms} ms, requestTimeoutMs is ${REQUEST_TIMEOUT_MS}`);
      assert.match(loris.text, expectAnswer, `${what}: the answer before the close`);
    }

    for (const where of ["http:// listener", "one-port tcp:// listener"]) {
      it(`${where}: request headers sent one byte at a time get 408 and a close`, async () => {
        const e = endpoints.find((x) => x.name === where)!;
        await lorisAgainst(e.port, `${requestHead(e.path, request.length)}${request}`, `${where} headers`, /^HTTP\/1\.1 408 /);
        await log.waitFor(1000, /requestTimeoutMs/);
        await assertServing();
      });

      it(`${where}: a body sent one byte at a time after prompt headers gets 408 and a close`, async () => {
        const e = endpoints.find((x) => x.name === where)!;
        await lorisAgainst(e.port, request, `${where} body`, /^HTTP\/1\.1 408 /, requestHead(e.path, request.length));
        await assertServing();
      });

      it(`${where}: a second keep-alive request sent one byte at a time is cut off too`, async () => {
        const e = endpoints.find((x) => x.name === where)!;
        const loris = new RawClient(e.port);
        loris.socket.write(`${requestHead(e.path, request.length)}${request}`);
        await loris.waitFor(/\r\n\r\n\{.*\}$/s, "the first answer");
        assert.match(loris.text, /^HTTP\/1\.1 200 /);
        loris.text = "";
        const ms = await loris.drip(`${requestHead(e.path, request.length)}${request}`);
        assert.ok(ms <= REQUEST_TIMEOUT_MS + SLACK_MS, `${where} keep-alive: closed after ${ms} ms`);
        assert.match(loris.text, /^HTTP\/1\.1 408 /);
        await assertServing();
      });
    }

    it("raw TCP: a JSON value sent one byte at a time gets a RESOURCE_EXHAUSTED line and a close", async () => {
      await lorisAgainst(tcpPort, `${request}\n`, "raw TCP", /"code":-32005,"message":"JSON value not complete within 600 ms \(requestTimeoutMs\)"/);
      await assertServing();
    });
  });
});
