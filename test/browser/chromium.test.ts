// The browser build in a real browser: Debian's Chromium (playwright-core) opens a page
// whose module imports the bundled build (esbuild, at test time) and calls a real farcall
// server over ws:// on its tcp:// port, authenticated with an authkey (HMAC by WebCrypto).
// The page comes from a small static server beside it: the farcall server serves no pages.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { Page } from "playwright-core";
import { context, RpcError, serve, type Server } from "../../src/index.js";
import { bundleWorkerScript, serveBrowserBuild, type PageServer } from "../helpers/browser-bundle.js";
import { within } from "../helpers/bounded.js";
import { chromiumMissing, FARCALL_PAGE_HTML, openReadyPage, type launchChromium } from "../helpers/chromium.js";

const KEY = "page-key";
const skip = chromiumMissing("Real-browser tests");
if (skip) console.warn(`SKIPPING the Chromium tests: ${skip}`);

/** Settles from outside: what a handler reports to the test. */
function signal<T = void>(): { promise: Promise<T>; resolve(value: T): void } {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

/** A Web Worker serving an API to the page with servePort(api, self). */
const WORKER_SOURCE = `
import { RpcError, servePort, transfer } from "farcall";
let made;
servePort({
  sumBuffer: (b) => ({ isArrayBuffer: b instanceof ArrayBuffer, sum: new Uint8Array(b).reduce((a, x) => a + x, 0) }),
  makeBuffer: (n) => transfer((made = new Uint8Array(n).fill(7).buffer)),
  madeByteLength: () => made.byteLength,
  add: (a, b) => a + b,
  fail: () => { throw new RpcError("IN_WORKER", "thrown in the worker", { where: "worker" }); },
  async fire(n, cb) { for (let i = 0; i < n; i++) await cb(i); return n; },
  async *numbers(n) { for (let i = 0; i < n; i++) yield i; },
}, self);
`;

/** What the page's module puts on its global object: the browser build. */
type PageGlobals = { farcall: typeof import("../../src/index.browser.js") };

const streamEnded = signal();
const slowStarted = signal();
const slowAborted = signal<string>();

const api = {
  add: (a: number, b: number) => a + b,
  fail: () => {
    throw new RpcError("OUT_OF_STOCK", "sku a1 is out of stock", { sku: "a1", left: 0 });
  },
  /** Calls `cb` with 0 .. n-1, each after the previous one answered. */
  async fire(n: number, cb: (i: number) => Promise<unknown>) {
    for (let i = 0; i < n; i++) await cb(i);
    return n;
  },
  async *numbers() {
    try {
      for (let i = 0; ; i++) yield i;
    } finally {
      streamEnded.resolve();
    }
  },
  slow() {
    const { signal: aborted } = context();
    slowStarted.resolve();
    return new Promise((_, reject) => {
      aborted.addEventListener("abort", () => {
        slowAborted.resolve(String((aborted.reason as RpcError | undefined)?.code));
        reject(aborted.reason);
      });
    });
  },
  whenSlowStarted: () => slowStarted.promise,
  hang: () => new Promise<never>(() => {}),
};

describe("the browser build in Chromium", { skip }, () => {
  let server: Server;
  let pages: PageServer;
  let browser: Awaited<ReturnType<typeof launchChromium>>;
  let page: Page;
  let wsUrl: string;
  let tcpUrl: string;

  before(async () => {
    server = await serve(api, { listen: "tcp://127.0.0.1:0", authkey: KEY, logger: false });
    tcpUrl = server.addresses[0]!;
    wsUrl = `${server.addresses[0]!.replace(/^tcp:/, "ws:")}/`;
    pages = await serveBrowserBuild(FARCALL_PAGE_HTML, { "/worker.js": await bundleWorkerScript(WORKER_SOURCE) });
    ({ browser, page } = await openReadyPage(pages.url));
  });

  after(async () => {
    await browser?.close();
    pages?.close();
    await server?.close({ drainMs: 0 });
  });

  it("a page connects with the authkey and calls a method", async () => {
    const sum = await page.evaluate(async ({ url, key }) => {
      const { connect } = (globalThis as unknown as PageGlobals).farcall;
      const remote = await connect<typeof api>(url, { authkey: key });
      return remote.add(2, 3);
    }, { url: wsUrl, key: KEY });
    assert.equal(sum, 5);
  });

  it("a wrong authkey is refused with UNAUTHENTICATED", async () => {
    const code = await page.evaluate(async ({ url }) => {
      const { connect } = (globalThis as unknown as PageGlobals).farcall;
      try {
        await connect(url, { authkey: "wrong" });
        return "connected";
      } catch (err) {
        return (err as RpcError).code;
      }
    }, { url: wsUrl });
    assert.equal(code, "UNAUTHENTICATED");
  });

  it("an error thrown on purpose arrives as an RpcError with its code, message and data", async () => {
    const error = await page.evaluate(async ({ url, key }) => {
      const { connect, RpcError } = (globalThis as unknown as PageGlobals).farcall;
      const remote = await connect<typeof api>(url, { authkey: key });
      try {
        await remote.fail();
        return undefined;
      } catch (err) {
        const e = err as RpcError;
        return { isRpcError: e instanceof RpcError, code: e.code, message: e.message, data: e.data };
      }
    }, { url: wsUrl, key: KEY });
    assert.deepEqual(error, { isRpcError: true, code: "OUT_OF_STOCK", message: "sku a1 is out of stock", data: { sku: "a1", left: 0 } });
  });

  it("a callback the page passes is fired by the server 1,000 times, in order", async () => {
    const { answered, seen } = await page.evaluate(async ({ url, key }) => {
      const { connect } = (globalThis as unknown as PageGlobals).farcall;
      const remote = await connect<typeof api>(url, { authkey: key });
      const seen: number[] = [];
      const answered = await remote.fire(1000, async (i: number) => {
        seen.push(i);
      });
      return { answered, seen };
    }, { url: wsUrl, key: KEY });
    assert.equal(answered, 1000);
    assert.deepEqual(seen, Array.from({ length: 1000 }, (_, i) => i));
  });

  it("a stream is read with for await and broken off: the server's generator is closed", async () => {
    const read = await page.evaluate(async ({ url, key }) => {
      const { connect } = (globalThis as unknown as PageGlobals).farcall;
      const remote = await connect<typeof api>(url, { authkey: key });
      const read: number[] = [];
      for await (const n of await remote.numbers()) {
        read.push(n);
        if (read.length === 5) break;
      }
      return read;
    }, { url: wsUrl, key: KEY });
    assert.deepEqual(read, [0, 1, 2, 3, 4]);
    await within(streamEnded.promise, 5000, "the server's generator closed");
  });

  it("an AbortSignal cancels a slow call: the page sees CANCELLED and the handler's signal aborts", async () => {
    const code = await page.evaluate(async ({ url, key }) => {
      const { connect, withOptions } = (globalThis as unknown as PageGlobals).farcall;
      const remote = await connect<typeof api>(url, { authkey: key });
      const controller = new AbortController();
      const slow = withOptions(remote, { signal: controller.signal }).slow();
      await remote.whenSlowStarted();
      controller.abort();
      try {
        await slow;
        return "resolved";
      } catch (err) {
        return (err as RpcError).code;
      }
    }, { url: wsUrl, key: KEY });
    assert.equal(code, "CANCELLED");
    assert.equal(await within(slowAborted.promise, 5000, "the handler's signal"), "CANCELLED");
  });

  it("the server restarted under the page: a call cut off rejects with UNAVAILABLE, and the page's next call succeeds without a reload or a new connect()", async () => {
    await page.evaluate(async ({ url, key }) => {
      const g = globalThis as unknown as PageGlobals & { kept: unknown; cut: Promise<string> };
      const remote = await g.farcall.connect<typeof api>(url, { authkey: key, reconnect: { initialDelayMs: 20, maxDelayMs: 200 } });
      g.kept = remote;
      g.cut = remote.hang().then(() => "resolved", (err: RpcError) => String(err.code));
    }, { url: wsUrl, key: KEY });
    await server.close({ drainMs: 0 });
    assert.equal(await page.evaluate(() => (globalThis as unknown as { cut: Promise<string> }).cut), "UNAVAILABLE");
    server = await serve(api, { listen: tcpUrl, authkey: KEY, logger: false });
    const sum = await page.evaluate(() => {
      const remote = (globalThis as unknown as { kept: { add(a: number, b: number): Promise<number> } }).kept;
      return remote.add(20, 22);
    });
    assert.equal(sum, 42);
  });

  it("a Web Worker serves with servePort(api, self) and the page calls it with connect(worker): calls, errors, callbacks, streams", async () => {
    const outcome = await page.evaluate(async () => {
      const { connect, RpcError } = (globalThis as unknown as PageGlobals).farcall;
      const WorkerCtor = (globalThis as unknown as { Worker: new (url: string, options: { type: string }) => unknown }).Worker;
      type WorkerApi = { add(a: number, b: number): number; fail(): void; fire(n: number, cb: (i: number) => Promise<void>): Promise<number>; numbers(n: number): AsyncGenerator<number> };
      const remote = await connect<WorkerApi>(new WorkerCtor("/worker.js", { type: "module" }) as never);
      const sum = await remote.add(2, 3);
      let error: unknown;
      try {
        await remote.fail();
      } catch (err) {
        const e = err as RpcError;
        error = { isRpcError: e instanceof RpcError, code: e.code, data: e.data };
      }
      const seen: number[] = [];
      const fired = await remote.fire(100, async (i: number) => void seen.push(i));
      const read: number[] = [];
      for await (const n of await remote.numbers(3)) read.push(n);
      return { sum, error, fired, inOrder: seen.every((v, i) => v === i) && seen.length === 100, read };
    });
    assert.deepEqual(outcome, { sum: 5, error: { isRpcError: true, code: "IN_WORKER", data: { where: "worker" } }, fired: 100, inOrder: true, read: [0, 1, 2] });
  });

  it("an ArrayBuffer marked with transfer() is moved to a Web Worker and back, detaching the sender's", async () => {
    const outcome = await page.evaluate(async () => {
      const { connect, transfer } = (globalThis as unknown as PageGlobals).farcall;
      const WorkerCtor = (globalThis as unknown as { Worker: new (url: string, options: { type: string }) => unknown }).Worker;
      type WorkerApi = { sumBuffer(b: ArrayBuffer): { isArrayBuffer: boolean; sum: number }; makeBuffer(n: number): ArrayBuffer; madeByteLength(): number };
      const remote = await connect<WorkerApi>(new WorkerCtor("/worker.js", { type: "module" }) as never);
      const moved = new Uint8Array(1 << 20).fill(1).buffer;
      const there = await remote.sumBuffer(transfer(moved));
      const copied = new Uint8Array(10).fill(1).buffer;
      const copiedThere = await remote.sumBuffer(copied);
      const back = await remote.makeBuffer(4096);
      return {
        there, movedLength: moved.byteLength, copiedThere, copiedLength: copied.byteLength,
        back: { isArrayBuffer: back instanceof ArrayBuffer, length: back.byteLength, last: new Uint8Array(back)[4095] },
        workerLength: await remote.madeByteLength(),
      };
    });
    assert.deepEqual(outcome, {
      there: { isArrayBuffer: true, sum: 1 << 20 }, movedLength: 0,
      copiedThere: { isArrayBuffer: true, sum: 10 }, copiedLength: 10,
      back: { isArrayBuffer: true, length: 4096, last: 7 }, workerLength: 0,
    });
  });
});
