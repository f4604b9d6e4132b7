/**
 * The one-port listener: farcall/1, JSON-RPC over HTTP and raw JSON-RPC over TCP on the
 * same tcp:// port, over the same method table; and the raw TCP framing rules.
 */
import assert from "node:assert/strict";
import { connect as netConnect, type Socket } from "node:net";
import { after, before, describe, it } from "node:test";
import { close, connect, serve, type Server } from "../../src/index.js";
import { within } from "../helpers/bounded.js";

const WAIT_MS = 5000;

function counterApi() {
  let count = 0;
  return { inc: (n: number) => (count += n), read: () => count, echo: (x: unknown) => x };
}

/** A raw socket that collects the lines the server sends. */
class LineClient {
  readonly socket: Socket;
  private text = "";
  private wake: (() => void) | undefined;
  readonly closed: Promise<void>;

  constructor(port: number) {
    this.socket = netConnect(port, "127.0.0.1");
    this.socket.on("data", (d: Buffer) => {
      this.text += d.toString("utf8");
      this.wake?.();
    });
    this.closed = new Promise((resolve) => this.socket.once("close", () => resolve()));
    this.socket.on("error", () => {}); // a reset shows up as "close", which the tests await
  }

  /** The first `n` complete lines, parsed. */
  async lines(n: number): Promise<unknown[]> {
    await within(
      (async () => {
        while (this.text.split("\n").length - 1 < n) await new Promise<void>((resolve) => (this.wake = resolve));
      })(),
      WAIT_MS,
      `${n} answer lines`,
    );
    return this.text.split("\n").slice(0, n).map((line) => JSON.parse(line));
  }
}

function portOf(server: Server): number {
  return Number(new URL(server.addresses[0]!).port);
}

describe("one tcp:// port answers farcall/1, HTTP JSON-RPC and raw TCP JSON-RPC", () => {
  let server: Server;
  before(async () => (server = await serve(counterApi(), { listen: "tcp://127.0.0.1:0", logger: false })));
  after(() => server.close());

  it("a counter incremented through all three protocols reads the sum", async () => {
    const port = portOf(server);
    const remote = await connect<ReturnType<typeof counterApi>>(server.addresses[0]!, { logger: false });
    try {
      await remote.inc(1);
      const res = await within(fetch(`http://127.0.0.1:${port}/`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ jsonrpc: "2.0", method: "inc", params: [10], id: 1 }) }), WAIT_MS, "HTTP");
      assert.deepEqual(await res.json(), { jsonrpc: "2.0", result: 11, id: 1 });
      const line = new LineClient(port);
      line.socket.write('{"jsonrpc":"2.0","method":"inc","params":[100],"id":"t"}\n');
      assert.deepEqual(await line.lines(1), [{ jsonrpc: "2.0", result: 111, id: "t" }]);
      line.socket.destroy();
      assert.equal(await remote.read(), 111);
    } finally {
      await close(remote);
    }
  });

  it("raw TCP accepts back-to-back values and splits strings with brackets correctly", async () => {
    const line = new LineClient(portOf(server));
    line.socket.write('  {"jsonrpc":"2.0","method":"echo","params":["}]{\\"["],"id":1}[{"jsonrpc":"2.0","method":"echo","params":[2],"id":2}]');
    const answers = await line.lines(2);
    assert.deepEqual(answers, [{ jsonrpc: "2.0", result: '}]{"[', id: 1 }, [{ jsonrpc: "2.0", result: 2, id: 2 }]]);
    line.socket.destroy();
  });

  it("raw TCP answers a value split across writes", async () => {
    const line = new LineClient(portOf(server));
    const doc = '{"jsonrpc":"2.0","method":"echo","params":["split"],"id":7}\n';
    line.socket.write(doc.slice(0, 20));
    await new Promise<void>((resolve) => line.socket.once("drain", resolve).write("", () => resolve()));
    line.socket.write(doc.slice(20));
    assert.deepEqual(await line.lines(1), [{ jsonrpc: "2.0", result: "split", id: 7 }]);
    line.socket.destroy();
  });

  it("raw TCP answers an unparseable value with -32700 and keeps the connection", async () => {
    const line = new LineClient(portOf(server));
    line.socket.write('{"jsonrpc": "2.0", "method": oops}\n{"jsonrpc":"2.0","method":"echo","params":[3],"id":3}\n');
    const [bad, good] = (await line.lines(2)) as { error?: { code: number }; id: unknown }[];
    assert.equal(bad!.error?.code, -32700);
    assert.equal(bad!.id, null);
    assert.deepEqual(good, { jsonrpc: "2.0", result: 3, id: 3 });
    line.socket.destroy();
  });

  type Line = { result?: unknown; error?: { code: number; message: string }; id: unknown };
  const call = (id: number, param: unknown = id): string => JSON.stringify({ jsonrpc: "2.0", method: "echo", params: [param], id });

  it("raw TCP: a value left open when a new one starts on the next line (an unterminated batch) is answered -32700, and the next is served", async () => {
    const line = new LineClient(portOf(server));
    line.socket.write(`[${call(1)},\n${call(2)}\n`);
    const answers = (await line.lines(2)) as Line[];
    const bad = answers.find((a) => a.error !== undefined)!;
    assert.equal(bad.error!.code, -32700);
    assert.match(bad.error!.message, /unterminated at the end of its line/);
    assert.deepEqual(answers.find((a) => a.id === 2), { jsonrpc: "2.0", result: 2, id: 2 });
    line.socket.write(`${call(3)}\n`);
    assert.deepEqual((await line.lines(3))[2], { jsonrpc: "2.0", result: 3, id: 3 }, "the connection stays usable");
    line.socket.destroy();
  });

  it("raw TCP: stray bytes after a value are answered -32700, the value before and the line after still get their answers", async () => {
    const line = new LineClient(portOf(server));
    line.socket.write(`${call(1)}} trailing\n${call(2)}\n`);
    const answers = (await line.lines(3)) as Line[];
    assert.deepEqual(answers.filter((a) => a.error === undefined).map((a) => a.result).sort(), [1, 2]);
    assert.match(answers.find((a) => a.error !== undefined)!.error!.message, /expected a JSON object or array, got byte 0x7d; the rest of the line is skipped/);
    line.socket.destroy();
  });

  it("raw TCP: a raw line feed inside a string ends that value with -32700; reading goes on at the next value", async () => {
    const line = new LineClient(portOf(server));
    line.socket.write(`{"jsonrpc": "2.0", "method": "echo", "params": ["a\nb"], "id": 1}\n${call(2)}\n`);
    const answers = (await line.lines(3)) as Line[];
    assert.equal(answers.filter((a) => a.error?.code === -32700).length, 2, "the open value, then the rest of its broken line");
    assert.deepEqual(answers.find((a) => a.id === 2), { jsonrpc: "2.0", result: 2, id: 2 });
    line.socket.destroy();
  });

  it("raw TCP: a pretty-printed value over several lines is one value", async () => {
    const line = new LineClient(portOf(server));
    line.socket.write(`${JSON.stringify(JSON.parse(call(5, { a: [1, 2] })), null, 2)}\n`);
    assert.deepEqual(await line.lines(1), [{ jsonrpc: "2.0", result: { a: [1, 2] }, id: 5 }]);
    line.socket.destroy();
  });

  it("raw TCP: a number outside the double range is -32700 naming where it sits, never null", async () => {
    const line = new LineClient(portOf(server));
    line.socket.write('{"jsonrpc": "2.0", "method": "echo", "params": [1e400], "id": 1}\n');
    const [answer] = (await line.lines(1)) as Line[];
    assert.equal(answer!.error!.code, -32700);
    assert.match(answer!.error!.message, /number at params\[0\] is outside the double range/);
    line.socket.destroy();
  });

  it("raw TCP nesting past maxDepth is answered once, then the connection is closed", async () => {
    const line = new LineClient(portOf(server));
    line.socket.write("[".repeat(100_000));
    const [answer] = (await line.lines(1)) as { error: { code: number } }[];
    assert.equal(answer!.error.code, -32005);
    await within(line.closed, WAIT_MS, "the connection closing");
  });

  it("server.close() ends idle HTTP keep-alive and raw TCP connections", async () => {
    const s = await serve(counterApi(), { listen: "tcp://127.0.0.1:0", logger: false });
    const port = portOf(s);
    const line = new LineClient(port);
    line.socket.write('{"jsonrpc":"2.0","method":"echo","params":[1],"id":1}\n');
    await line.lines(1);
    const res = await fetch(`http://127.0.0.1:${port}/`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ jsonrpc: "2.0", method: "read", id: 1 }) });
    await res.json();
    assert.equal(s.connections, 2);
    await within(s.close({ drainMs: WAIT_MS }), WAIT_MS * 2, "close()");
    await within(line.closed, WAIT_MS, "the raw connection closing");
    assert.equal(s.connections, 0);
  });
});

describe("raw JSON-RPC over TCP and the authkey", () => {
  it("is refused, with one UNAUTHENTICATED line, on a listener with an authkey", async () => {
    const s = await serve(counterApi(), { listen: "tcp://127.0.0.1:0", logger: false, authkey: "k" });
    try {
      const line = new LineClient(portOf(s));
      line.socket.write('{"jsonrpc":"2.0","method":"read","id":1}\n');
      const [answer] = (await line.lines(1)) as { error: { code: number } }[];
      assert.equal(answer!.error.code, -32001);
      await within(line.closed, WAIT_MS, "the connection closing");
    } finally {
      await s.close();
    }
  });

  it('is served on a listener with an authkey when jsonRpcOverTcp is "trusted"', async () => {
    const s = await serve(counterApi(), { listen: "tcp://127.0.0.1:0", logger: false, authkey: "k", jsonRpcOverTcp: "trusted" });
    try {
      const line = new LineClient(portOf(s));
      line.socket.write('{"jsonrpc":"2.0","method":"read","id":1}\n');
      assert.deepEqual(await line.lines(1), [{ jsonrpc: "2.0", result: 0, id: 1 }]);
      line.socket.destroy();
    } finally {
      await s.close();
    }
  });

  it("an unknown jsonRpcOverTcp value fails at startup", async () => {
    await assert.rejects(serve({}, { listen: "tcp://127.0.0.1:0", logger: false, jsonRpcOverTcp: "yes" as never }), TypeError);
  });
});

describe("raw JSON-RPC over TCP and maxCallsInFlight", () => {
  let server: Server;
  let release!: () => void;
  const gate = new Promise<void>((resolve) => (release = resolve));
  before(async () => {
    server = await serve({ hold: () => gate.then(() => "released"), add: (a: number, b: number) => a + b }, { listen: "tcp://127.0.0.1:0", maxCallsInFlight: 2, logger: false });
  });
  after(() => server.close());

  it("the calls of a batch count one by one: past the limit they are answered RESOURCE_EXHAUSTED, naming it", async () => {
    const client = new LineClient(portOf(server));
    const call = (id: number, method: string, params: unknown[] = []) => ({ jsonrpc: "2.0", id, method, params });
    client.socket.write(JSON.stringify([call(1, "hold"), call(2, "hold"), call(3, "add", [1, 2])]) + "\n");
    // The third is refused at once, while the first two still hold: nothing is answered until the batch completes.
    setImmediate(release);
    const [answers] = (await client.lines(1)) as [{ id: number; result?: unknown; error?: { code: number; message: string } }[]];
    const byId = new Map(answers.map((a) => [a.id, a]));
    assert.equal(byId.get(1)!.result, "released");
    assert.equal(byId.get(2)!.result, "released");
    assert.equal(byId.get(3)!.error!.code, -32005);
    assert.match(byId.get(3)!.error!.message, /2 calls in flight on this connection reach maxCallsInFlight 2/);
    client.socket.destroy();
  });
});

describe("raw JSON-RPC over TCP and maxWriteBufferBytes", () => {
  let server: Server;
  const warnings: string[] = [];
  const push = (line: string): void => void warnings.push(line);
  before(async () => {
    server = await serve({ text: (n: number) => "x".repeat(n) }, { listen: "tcp://127.0.0.1:0", maxWriteBufferBytes: 1024 * 1024, logger: { info: push, warn: push, error: push } });
  });
  after(() => server.close());

  it("answers that would pass maxWriteBufferBytes for a caller not reading fail alone with RESOURCE_EXHAUSTED; every id is answered", async () => {
    const client = new LineClient(portOf(server));
    client.socket.pause();
    // 200 answers of 512 KiB: 100 MiB unbounded, past what the kernel's socket buffers take.
    const requests = Array.from({ length: 200 }, (_, i) => JSON.stringify({ jsonrpc: "2.0", id: i, method: "text", params: [512 * 1024] }) + "\n");
    client.socket.write(requests.join(""));
    // A call sent after them is answered after them: then every answer has been written or refused.
    const probe = await connect<{ text(n: number): string }>(server.addresses[0]!, { logger: false });
    assert.equal(await probe.text(3), "xxx");
    await close(probe);
    client.socket.resume();
    const answers = (await client.lines(200)) as { id: number; result?: string; error?: { code: number; message: string } }[];
    assert.deepEqual(answers.map((a) => a.id).sort((x, y) => x - y), Array.from({ length: 200 }, (_, i) => i));
    const refused = answers.filter((a) => a.error);
    assert.ok(refused.length > 0, "some answers did not fit");
    for (const a of refused) {
      assert.equal(a.error!.code, -32005);
      assert.match(a.error!.message, /^an answer of \d+ B cannot be queued: \d+ B already queued for this caller \+ \d+ B exceed maxWriteBufferBytes 1048576$/);
    }
    for (const a of answers.filter((x) => !x.error)) assert.equal(a.result!.length, 512 * 1024);
    assert.deepEqual(warnings, []);
    client.socket.destroy();
  });
});
