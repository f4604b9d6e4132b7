// transfer() in a real browser: Debian's Chromium runs a page whose module imports the
// browser build, and a module Web Worker bundled from it. A typed-array window moves to the
// worker as the same window on its moved buffer (the page's is detached), a DataView keeps
// its kind, and a MessagePort handed to the worker becomes a channel the worker serves on,
// which the page then calls directly.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { Page } from "playwright-core";
import { bundleWorkerScript, serveBrowserBuild, type PageServer } from "../helpers/browser-bundle.js";
import { chromiumMissing, FARCALL_PAGE_HTML, openReadyPage, type launchChromium } from "../helpers/chromium.js";

const skip = chromiumMissing("Real-browser tests");
if (skip) console.warn(`SKIPPING the Chromium transfer tests: ${skip}`);

/** The Web Worker: describes the views it gets, and serves a small API on a port it is handed. */
const WORKER_SOURCE = `
import { servePort, transfer } from "farcall";
const shape = (v) => ({ kind: Object.prototype.toString.call(v), byteOffset: v.byteOffset, byteLength: v.byteLength, bufferBytes: v.buffer.byteLength, first: new Uint8Array(v.buffer, v.byteOffset, v.byteLength)[0] });
let made;
servePort({
  describe: shape,
  makeFloats: (n) => transfer((made = Float64Array.from({ length: n }, (_, i) => i + 0.5))),
  madeByteLength: () => made.buffer.byteLength,
  servePortHere(port) {
    servePort({ hello: (name) => "hello " + name + ", from the worker" }, port);
    return port instanceof MessagePort;
  },
}, self);
`;

type PageGlobals = { farcall: typeof import("../../src/index.browser.js") };
type Shape = { kind: string; byteOffset: number; byteLength: number; bufferBytes: number; first: number };
type WorkerApi = {
  describe(view: ArrayBufferView): Shape;
  makeFloats(n: number): Float64Array;
  madeByteLength(): number;
  servePortHere(port: unknown): boolean;
};

describe("transfer() of views and ports in Chromium", { skip }, () => {
  let pages: PageServer;
  let browser: Awaited<ReturnType<typeof launchChromium>>;
  let page: Page;

  before(async () => {
    pages = await serveBrowserBuild(FARCALL_PAGE_HTML, { "/worker.js": await bundleWorkerScript(WORKER_SOURCE) });
    ({ browser, page } = await openReadyPage(pages.url));
  });

  after(async () => {
    await browser?.close();
    pages?.close();
  });

  it("a Uint8Array window and a DataView move to a Web Worker keeping their kind, offset and length; a Float64Array moves back", async () => {
    const outcome = await page.evaluate(async () => {
      const { connect, transfer, close } = (globalThis as unknown as PageGlobals).farcall;
      const WorkerCtor = (globalThis as unknown as { Worker: new (url: string, options: { type: string }) => unknown }).Worker;
      const remote = await connect<WorkerApi>(new WorkerCtor("/worker.js", { type: "module" }) as never);
      const buffer = new ArrayBuffer(1 << 20);
      const window = new Uint8Array(buffer, 16, 1000).fill(9);
      const there = await remote.describe(transfer(window));
      const view = new DataView(new ArrayBuffer(64), 8, 32);
      const viewThere = await remote.describe(transfer(view));
      const floats = await remote.makeFloats(1000);
      const outcome = {
        there, detached: [buffer.byteLength, window.length, view.buffer.byteLength],
        viewThere,
        floats: { isFloat64Array: floats instanceof Float64Array, length: floats.length, last: floats[999] },
        workerLength: await remote.madeByteLength(),
      };
      await close(remote);
      return outcome;
    });
    assert.deepEqual(outcome, {
      there: { kind: "[object Uint8Array]", byteOffset: 16, byteLength: 1000, bufferBytes: 1 << 20, first: 9 },
      detached: [0, 0, 0],
      viewThere: { kind: "[object DataView]", byteOffset: 8, byteLength: 32, bufferBytes: 64, first: 0 },
      floats: { isFloat64Array: true, length: 1000, last: 999.5 },
      workerLength: 0,
    });
  });

  it("a MessagePort handed to a Web Worker becomes its own channel: the worker serves on it and the page calls over it", async () => {
    const outcome = await page.evaluate(async () => {
      const { connect, transfer, close } = (globalThis as unknown as PageGlobals).farcall;
      const g = globalThis as unknown as { Worker: new (url: string, options: { type: string }) => unknown; MessageChannel: new () => { port1: unknown; port2: unknown } };
      const remote = await connect<WorkerApi>(new g.Worker("/worker.js", { type: "module" }) as never);
      const { port1, port2 } = new g.MessageChannel();
      const arrivedAsPort = await remote.servePortHere(transfer(port2 as never));
      const direct = await connect<{ hello(name: string): string }>(port1 as never);
      const hello = await direct.hello("page");
      await close(direct);
      await close(remote);
      return { arrivedAsPort, hello };
    });
    assert.deepEqual(outcome, { arrivedAsPort: true, hello: "hello page, from the worker" });
  });
});
