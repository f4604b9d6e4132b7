// Session resumption in a real browser: a page in Chromium (the browser build, WebCrypto for
// the resume proofs, the browser's own WebSocket) holds a resumable session over ws:// through
// a proxy that resets every connection; the server keeps firing the page's callback across
// the cuts, and the page sees every call once, in order, with no reload and no new connect().
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { Page } from "playwright-core";
import { serve, type Server } from "../../src/index.js";
import { serveBrowserBuild, type PageServer } from "../helpers/browser-bundle.js";
import { until, within } from "../helpers/bounded.js";
import { chromiumMissing, FARCALL_PAGE_HTML, openReadyPage, type launchChromium } from "../helpers/chromium.js";
import { CutProxy } from "../helpers/cut-proxy.js";

const KEY = "page-key";
const skip = chromiumMissing("Real-browser tests");
if (skip) console.warn(`SKIPPING the Chromium resumption tests: ${skip}`);

/** Callbacks the server has had answered so far. */
let answered = 0;

const api = {
  /** Calls `cb` with 0 .. n-1, each after the previous one was answered. */
  async fire(n: number, cb: (i: number) => Promise<unknown>) {
    for (let i = 0; i < n; i++) {
      await cb(i);
      answered++;
    }
    return n;
  },
};

/** What the page's module puts on its global object: the browser build. */
type PageGlobals = { farcall: typeof import("../../src/index.browser.js"); seen: number[]; fired: Promise<number> };

describe("session resumption in Chromium", { skip }, () => {
  let server: Server;
  let proxy: CutProxy;
  let pages: PageServer;
  let browser: Awaited<ReturnType<typeof launchChromium>>;
  let page: Page;

  before(async () => {
    server = await serve(api, { listen: "tcp://127.0.0.1:0", authkey: KEY, resumeWindowMs: 10_000, logger: false });
    proxy = await CutProxy.start(Number(new URL(server.addresses[0]!).port));
    pages = await serveBrowserBuild(FARCALL_PAGE_HTML);
    ({ browser, page } = await openReadyPage(pages.url));
  });

  after(async () => {
    await browser?.close();
    pages?.close();
    await proxy?.close();
    await server?.close({ drainMs: 0 });
  });

  it("a callback fired 1,000 times across five cuts of the page's connection is seen 1,000 times, in order", async () => {
    await page.evaluate(
      async ({ url, key }) => {
        const g = globalThis as unknown as PageGlobals;
        const remote = await g.farcall.connect<typeof api>(url, { authkey: key, resume: true, reconnect: { initialDelayMs: 10, maxDelayMs: 100 } });
        g.seen = [];
        g.fired = remote.fire(1000, async (i: number) => void g.seen.push(i));
      },
      { url: `ws://127.0.0.1:${proxy.port}/`, key: KEY },
    );
    for (const at of [100, 300, 500, 700, 900]) {
      await until(10_000, `the server had ${at} callbacks answered`, () => answered >= at);
      proxy.cut();
    }
    const fired = await within(page.evaluate(() => (globalThis as unknown as PageGlobals).fired), 20_000, "fire() in the page");
    assert.equal(fired, 1000);
    const seen = await page.evaluate(() => (globalThis as unknown as PageGlobals).seen);
    assert.deepEqual(seen, Array.from({ length: 1000 }, (_, i) => i));
    assert.ok(proxy.accepted >= 6, `the page reconnected after each cut (${proxy.accepted} connections)`);
  });
});
