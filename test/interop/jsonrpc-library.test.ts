/**
 * An independent JSON-RPC 2.0 implementation as the outside peer, both ways: the npm package
 * json-rpc-2.0's JSONRPCClient (sending with fetch) calls farcall's http:// listener, and
 * farcall's `connect("http://...")` client calls a JSONRPCServer mounted on node:http.
 */
import assert from "node:assert/strict";
import { once } from "node:events";
import { createServer, type Server as NodeServer } from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, describe, it } from "node:test";
import { JSONRPCClient, JSONRPCErrorException, JSONRPCServer, type JSONRPCResponse } from "json-rpc-2.0";
import { close, connect, notify, RpcError, serve, type Remote, type Server } from "../../src/index.js";
import { rejection, within } from "../helpers/bounded.js";

const WAIT_MS = 5000;

describe("json-rpc-2.0's JSONRPCClient calling farcall's http:// listener", () => {
  const notes: string[] = [];
  let noted: () => void = () => {};
  const api = {
    add: (a: number, b: number) => a + b,
    search: (options: { last_name: string }) => ({ found: options.last_name }),
    note: (text: string) => {
      notes.push(text);
      noted();
    },
    withdraw: (amount: number) => {
      throw new RpcError(42, `cannot withdraw ${amount}`, { balance: 10 });
    },
    fail: () => {
      throw new RpcError("OVERDRAWN", "the account is overdrawn", { limit: 0 });
    },
  };
  let server: Server;
  let client: JSONRPCClient;

  before(async () => {
    server = await serve(api, { listen: "http://127.0.0.1:0/rpc", logger: false });
    const url = server.addresses[0]!;
    // The library's documented HTTP pattern: POST the payload, feed the answer back in.
    client = new JSONRPCClient(async (payload) => {
      const res = await fetch(url, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(payload) });
      if (res.status === 200) client.receive((await res.json()) as JSONRPCResponse | JSONRPCResponse[]);
      else if (res.status !== 204) throw new Error(`HTTP ${res.status}`);
    });
  });
  after(() => server.close());

  it("positional params reach the handler as arguments", async () => {
    assert.equal(await within(Promise.resolve(client.request("add", [2, 3])), WAIT_MS, "add"), 5);
  });

  it("named params reach the handler as one options object", async () => {
    assert.deepEqual(await within(Promise.resolve(client.request("search", { last_name: "Python" })), WAIT_MS, "search"), { found: "Python" });
  });

  it("a notification runs the handler and gets no answer", async () => {
    const ran = new Promise<void>((resolve) => (noted = resolve));
    client.notify("note", ["hello"]);
    await within(ran, WAIT_MS, "the notification to run");
    assert.deepEqual(notes, ["hello"]);
  });

  it("a numeric application error arrives with its code, message and data", async () => {
    const err = await within(Promise.resolve(client.request("withdraw", [100])).then(() => undefined, (e: unknown) => e), WAIT_MS, "withdraw");
    assert.ok(err instanceof JSONRPCErrorException);
    assert.equal(err.code, 42);
    assert.equal(err.message, "cannot withdraw 100");
    assert.deepEqual(err.data, { balance: 10 });
  });

  it("a string application code arrives as -32000 with the code in data", async () => {
    const err = await within(Promise.resolve(client.request("fail", [])).then(() => undefined, (e: unknown) => e), WAIT_MS, "fail");
    assert.ok(err instanceof JSONRPCErrorException);
    assert.equal(err.code, -32000);
    assert.deepEqual(err.data, { code: "OVERDRAWN", data: { limit: 0 } });
  });

  it("an unknown method is -32601 and a batch is answered element by element", async () => {
    const answers = await within(
      Promise.resolve(client.requestAdvanced([
        { jsonrpc: "2.0", id: 1, method: "add", params: [1, 1] },
        { jsonrpc: "2.0", id: 2, method: "nope" },
      ])),
      WAIT_MS,
      "the batch",
    );
    const byId = new Map(answers.map((a) => [a.id, a]));
    assert.deepEqual(byId.get(1), { jsonrpc: "2.0", id: 1, result: 2 });
    assert.equal((byId.get(2) as { error: { code: number } }).error.code, -32601);
  });
});

describe("farcall's HTTP client calling json-rpc-2.0's JSONRPCServer on node:http", () => {
  const notes: string[] = [];
  let noted: () => void = () => {};
  // Its errorListener would print every thrown error; these are thrown on purpose.
  const library = new JSONRPCServer({ errorListener: () => {} });
  // The library passes params as they arrived: farcall's client always sends an array.
  library.addMethod("add", ([a, b]: number[]) => a! + b!);
  library.addMethod("search", ([options]: [{ last_name: string }]) => ({ found: options.last_name }));
  library.addMethod("note", ([text]: [string]) => {
    notes.push(text);
    noted();
  });
  library.addMethod("withdraw", ([amount]: [number]) => {
    throw new JSONRPCErrorException(`cannot withdraw ${amount}`, 42, { balance: 10 });
  });
  let http: NodeServer;
  type LibraryApi = {
    add(a: number, b: number): number;
    search(options: { last_name: string }): { found: string };
    note(text: string): void;
    withdraw(amount: number): never;
    missing(): void;
  };
  let remote: Remote<LibraryApi>;

  before(async () => {
    http = createServer((req, res) => {
      let body = "";
      req.setEncoding("utf8").on("data", (d: string) => (body += d));
      req.on("end", () => {
        library.receiveJSON(body).then((answer) => {
          if (answer === null) {
            res.writeHead(204).end();
          } else {
            res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(answer));
          }
        });
      });
    });
    http.listen(0, "127.0.0.1");
    await once(http, "listening");
    remote = await connect<LibraryApi>(`http://127.0.0.1:${(http.address() as AddressInfo).port}/rpc`, { logger: false, timeout: WAIT_MS });
  });
  after(async () => {
    await close(remote);
    http.closeAllConnections();
    await new Promise((resolve) => http.close(resolve));
  });

  it("positional arguments are sent as params and the result comes back", async () => {
    assert.equal(await remote.add(2, 3), 5);
  });

  it("an options object travels as the one positional param", async () => {
    assert.deepEqual(await remote.search({ last_name: "Python" }), { found: "Python" });
  });

  it("a notification is sent without an id and handed over once the server took it", async () => {
    const ran = new Promise<void>((resolve) => (noted = resolve));
    const handed = new Promise<RpcError | undefined>((resolve) => notify(remote.note, ["hi"], resolve));
    assert.equal(await within(handed, WAIT_MS, "the notification to be handed over"), undefined);
    await within(ran, WAIT_MS, "the notification to run");
    assert.deepEqual(notes, ["hi"]);
  });

  it("the library's error becomes an RpcError with its numeric code and data", async () => {
    const err = await rejection(remote.withdraw(100), WAIT_MS, "withdraw");
    assert.equal(err.code, 42);
    assert.equal(err.message, "cannot withdraw 100");
    assert.deepEqual(err.data, { balance: 10 });
  });

  it("the library's Method not found becomes METHOD_NOT_FOUND", async () => {
    const err = await rejection(remote.missing(), WAIT_MS, "missing");
    assert.equal(err.code, "METHOD_NOT_FOUND");
  });
});
