// Past maxConnections, in a real browser: Debian's Chromium opens a page whose module
// imports the browser build. A WebSocket the server cannot take is told so with close code
// 1013 ("try again later") and a reason naming the limit, as Chromium reports them to the
// page; and the page's farcall client, finding its restarted server full, backs off on each
// refusal and gets through once a slot frees, without a reload or a new connect().
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { Page } from "playwright-core";
import { close, connect, serve, type Logger } from "../../src/index.js";
import { serveBrowserBuild, type PageServer } from "../helpers/browser-bundle.js";
import { until } from "../helpers/bounded.js";
import { chromiumMissing, FARCALL_PAGE_HTML, openReadyPage, type launchChromium } from "../helpers/chromium.js";

const skip = chromiumMissing("Real-browser tests");
if (skip) console.warn(`SKIPPING the Chromium maxConnections tests: ${skip}`);

const api = { add: (a: number, b: number) => a + b };
/** A page of another origin needs the key to open a farcall WebSocket (allowOrigins). */
const KEY = "page-key";
type PageGlobals = { farcall: typeof import("../../src/index.browser.js"); kept: { add(a: number, b: number): Promise<number> }; pending: Promise<number> };

/** A logger that keeps the times of the server's maxConnections refusals. */
function refusalClock(): { logger: Logger; times: number[] } {
  const times: number[] = [];
  const note = (line: string): void => {
    if (/reach maxConnections/.test(line)) times.push(Date.now());
  };
  return { logger: { info: note, warn: note, error: note }, times };
}

describe("past maxConnections, seen from Chromium", { skip }, () => {
  let pages: PageServer;
  let browser: Awaited<ReturnType<typeof launchChromium>>;
  let page: Page;

  before(async () => {
    pages = await serveBrowserBuild(FARCALL_PAGE_HTML);
    ({ browser, page } = await openReadyPage(pages.url));
  });

  after(async () => {
    await browser?.close();
    pages?.close();
  });

  it("a page's WebSocket past the limit sees close code 1013 and the reason naming maxConnections", async () => {
    const server = await serve(api, { listen: "tcp://127.0.0.1:0", maxConnections: 1, logger: false });
    const holder = await connect<typeof api>(server.addresses[0]!, { logger: false });
    try {
      const closed = await page.evaluate(async (url) => {
        const g = globalThis as unknown as { WebSocket: new (url: string, protocol: string) => { addEventListener(type: string, listener: (event: { code: number; reason: string; wasClean: boolean }) => void): void } };
        const socket = new g.WebSocket(url, "farcall.v1");
        return new Promise<{ code: number; reason: string; wasClean: boolean }>((resolve) => socket.addEventListener("close", ({ code, reason, wasClean }) => resolve({ code, reason, wasClean })));
      }, `${server.addresses[0]!.replace(/^tcp:/, "ws:")}/`);
      assert.equal(closed.code, 1013);
      assert.match(closed.reason, /^1 connections reach maxConnections 1; try again later$/);
      assert.equal(closed.wasClean, true, "a closing handshake, not a dropped socket");
      assert.equal(await holder.add(2, 3), 5, "the connection held keeps working");
    } finally {
      await close(holder);
      await server.close({ drainMs: 0 });
    }
  });

  it("the page's client, finding its restarted server full, backs off on each 1013 and its call goes through once a slot frees", async () => {
    const first = await serve(api, { listen: "tcp://127.0.0.1:0", authkey: KEY, maxConnections: 1, logger: false });
    const tcpUrl = first.addresses[0]!;
    const wsUrl = `${tcpUrl.replace(/^tcp:/, "ws:")}/`;
    await page.evaluate(async ({ url, key }) => {
      const g = globalThis as unknown as PageGlobals;
      g.kept = await g.farcall.connect<typeof api>(url, { authkey: key, reconnect: { initialDelayMs: 100, maxDelayMs: 400 } });
      await g.kept.add(1, 1);
    }, { url: wsUrl, key: KEY });
    // The server restarts full: another client takes the one slot before the page calls again.
    await first.close({ drainMs: 0 });
    const { logger, times } = refusalClock();
    const second = await serve(api, { listen: tcpUrl, authkey: KEY, maxConnections: 1, logger });
    const holder = await connect<typeof api>(tcpUrl, { authkey: KEY, logger: false });
    try {
      await page.evaluate(() => {
        const g = globalThis as unknown as PageGlobals;
        g.pending = g.kept.add(20, 22);
      });
      await until(15_000, "three refusals of the page's reconnection", () => times.length >= 3);
      await close(holder);
      assert.equal(await page.evaluate(() => (globalThis as unknown as PageGlobals).pending), 42);
      // Backoff, not a loop: attempts at least the initial delay apart, then about twice it.
      const gaps = times.slice(1).map((t, i) => t - times[i]!);
      assert.ok(gaps[0]! >= 90, `the second attempt came ${gaps[0]} ms after the first refusal, before the 100 ms backoff`);
      assert.ok(gaps[1]! >= 180, `the third attempt came ${gaps[1]} ms after the second refusal, before the 200 ms backoff`);
    } finally {
      await close(holder);
      await page.evaluate(() => (globalThis as unknown as { farcall: { close(r: unknown): Promise<void> }; kept: unknown }).farcall.close((globalThis as unknown as { kept: unknown }).kept));
      await second.close({ drainMs: 0 });
    }
  });
});
