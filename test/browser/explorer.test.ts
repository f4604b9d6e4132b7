// The explorer page in a real browser: Chromium opens the page a farcall server serves at
// `/` on its tcp:// port, types the authkey, lists the methods, makes a call and shows an
// error; screenshots of the page are read back (decoded by the browser) and their pixels
// checked. A page of another origin tries to call through the visitor's browser and fails.
// FARCALL_EXPLORER_SCREENSHOT=path writes the full-page screenshot there (docs/explorer.png).
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { createServer, type Server as HttpServer } from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, describe, it } from "node:test";
import type { Page } from "playwright-core";
import { describeMethod, RpcError, serve, type Server } from "../../src/index.js";
import { chromiumMissing, launchChromium } from "../helpers/chromium.js";

const KEY = "explorer-key";
const skip = chromiumMissing("Real-browser tests");
if (skip) console.warn(`SKIPPING the explorer Chromium tests: ${skip}`);

let bumps = 0;
const api = {
  add: describeMethod((a: number, b: number) => a + b, { description: "Adds two numbers.", params: [{ name: "a" }, { name: "b" }] }),
  reserve: describeMethod(
    (sku: string) => {
      throw new RpcError("OUT_OF_STOCK", `sku ${sku} is out of stock`, { sku, left: 0 });
    },
    { description: "Reserves one item.", params: [{ name: "sku" }] },
  ),
  /** Counts calls, so a test can tell that a call never ran. */
  bump: () => ++bumps,
};

/** The RGBA pixel at (x, y) of a PNG, decoded by the browser. */
async function pixel(page: Page, png: Buffer, x: number, y: number): Promise<number[]> {
  return page.evaluate(async ({ b64, x, y }) => {
    // The project's types carry no DOM: the browser's globals, as far as this uses them.
    type Bitmap = { width: number; height: number };
    const dom = globalThis as unknown as {
      createImageBitmap(blob: Blob): Promise<Bitmap>;
      OffscreenCanvas: new (w: number, h: number) => { getContext(kind: "2d"): { drawImage(b: Bitmap, x: number, y: number): void; getImageData(x: number, y: number, w: number, h: number): { data: Uint8ClampedArray } } };
    };
    const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
    const bitmap = await dom.createImageBitmap(new Blob([bytes], { type: "image/png" }));
    const g = new dom.OffscreenCanvas(bitmap.width, bitmap.height).getContext("2d");
    g.drawImage(bitmap, 0, 0);
    return [...g.getImageData(x, y, 1, 1).data];
  }, { b64: png.toString("base64"), x, y });
}

describe("the explorer page in Chromium", { skip }, () => {
  let server: Server;
  let open: Server;
  let other: HttpServer;
  let browser: Awaited<ReturnType<typeof launchChromium>>;
  let page: Page;
  let pageUrl: string;
  let openUrl: string;

  before(async () => {
    server = await serve(api, { listen: "tcp://127.0.0.1:0", authkey: KEY, logger: false });
    pageUrl = `${server.addresses[0]!.replace(/^tcp:/, "http:")}/`;
    open = await serve(api, { listen: "http://127.0.0.1:0/rpc", logger: false });
    openUrl = open.addresses[0]!;
    // Another origin: a site the visitor happens to open.
    other = createServer((_req, res) => {
      res.setHeader("content-type", "text/html");
      res.end("<!doctype html><title>elsewhere</title>");
    });
    await new Promise<void>((resolve) => other.listen(0, "127.0.0.1", resolve));
    browser = await launchChromium();
    page = await browser.context.newPage();
    await page.setViewportSize({ width: 1000, height: 900 });
  });

  after(async () => {
    await browser?.close();
    other?.close();
    await server?.close({ drainMs: 0 });
    await open?.close({ drainMs: 0 });
  });

  it("asks for the key, then lists every method with its description and parameter names", async () => {
    await page.goto(pageUrl);
    await page.locator("#auth:not([hidden])").waitFor();
    assert.equal(await page.locator("#status").textContent(), "this server needs its key");
    assert.equal(await page.locator("section.method").count(), 0, "nothing is listed before the key");
    assert.ok(!page.url().includes(KEY));
    await page.fill("#key", KEY);
    await page.click("#auth button");
    await page.locator("section.method").first().waitFor();
    const methods = await page.locator("section.method h2").allTextContents();
    assert.deepEqual(methods.sort(), ["add", "bump", "reserve"]);
    const add = page.locator('section[data-method="add"]');
    assert.equal(await add.locator(".desc").textContent(), "Adds two numbers.");
    assert.equal(await add.locator(".params").textContent(), "(a, b)");
    assert.ok(!page.url().includes(KEY), "the key never enters the URL");
  });

  it("calls a method with JSON arguments and shows the result, with its farcall and curl lines", async () => {
    const add = page.locator('section[data-method="add"]');
    await add.locator("input.args").fill("[2, 40]");
    await add.locator("button.call").click();
    await add.locator("pre.out.result").waitFor();
    assert.equal(await add.locator("pre.out").textContent(), "42");
    assert.equal(await add.locator("pre.cli").textContent(), `FARCALL_AUTHKEY=... farcall call ${pageUrl} add '2' '40'`);
    const curl = await add.locator("pre.curl").textContent();
    assert.equal(curl, `curl -s ${pageUrl} -H 'Content-Type: application/json' -H "Authorization: Bearer $FARCALL_AUTHKEY" -d '{"jsonrpc":"2.0","id":1,"method":"add","params":[2,40]}'`);
    assert.ok(!curl!.includes(KEY), "the lines name the key's variable, never the key");
  });

  it("shows an error with its code and data", async () => {
    const reserve = page.locator('section[data-method="reserve"]');
    await reserve.locator("input.args").fill('["a1"]');
    await reserve.locator("button.call").click();
    await reserve.locator("pre.out.error").waitFor();
    const text = await reserve.locator("pre.out").textContent();
    assert.match(text!, /^error OUT_OF_STOCK \(-32000\): sku a1 is out of stock\ndata: /);
    assert.deepEqual(JSON.parse(text!.slice(text!.indexOf("data: ") + 6)), { sku: "a1", left: 0 });

    const add = page.locator('section[data-method="add"]');
    await add.locator("input.args").fill('[1, 2, 3, 4]');
    await add.locator("button.call").click();
    await add.locator("pre.out.error").waitFor();
    assert.match((await add.locator("pre.out").textContent())!, /^error INVALID_PARAMS \(-32602\): /);
  });

  it("screenshots show the result framed in green and the error in red", async () => {
    const add = page.locator('section[data-method="add"]');
    await add.locator("input.args").fill("[2, 40]");
    await add.locator("button.call").click();
    await add.locator("pre.out.result").waitFor();
    const shot = await page.screenshot({ fullPage: true });
    if (process.env.FARCALL_EXPLORER_SCREENSHOT) writeFileSync(process.env.FARCALL_EXPLORER_SCREENSHOT, shot);
    for (const [method, rgb] of [["add", [0x2e, 0x8b, 0x57]], ["reserve", [0xc0, 0x39, 0x2b]]] as const) {
      const out = page.locator(`section[data-method="${method}"] pre.out`);
      const box = (await out.boundingBox())!;
      const scroll = await page.evaluate(() => {
        const w = globalThis as unknown as { scrollX: number; scrollY: number };
        return { x: w.scrollX, y: w.scrollY };
      });
      // The left border, 2 px in, halfway down the box.
      const got = await pixel(page, shot, Math.round(box.x + scroll.x + 2), Math.round(box.y + scroll.y + box.height / 2));
      assert.deepEqual(got.slice(0, 3), rgb, `${method}'s output border`);
      const alone = await out.screenshot();
      assert.deepEqual((await pixel(page, alone, 1, 1)).slice(0, 3), rgb, `${method}'s own screenshot`);
    }
  });

  it("a page of another origin cannot call through the visitor's browser", async () => {
    const evil = await browser.context.newPage();
    await evil.goto(`http://127.0.0.1:${(other.address() as AddressInfo).port}/`);
    const before = bumps;
    const outcome = await evil.evaluate(async (url) => {
      const doc = JSON.stringify({ jsonrpc: "2.0", id: 1, method: "bump", params: [] });
      const results: string[] = [];
      // A JSON request needs a CORS preflight, which the server never grants.
      try {
        await fetch(url, { method: "POST", headers: { "content-type": "application/json" }, body: doc });
        results.push("json: sent");
      } catch (err) {
        results.push(`json: ${(err as Error).name}`);
      }
      // A "simple" request goes out without asking, but is refused before its body is read.
      await fetch(url, { method: "POST", mode: "no-cors", headers: { "content-type": "text/plain" }, body: doc });
      results.push("text: sent");
      // A WebSocket has no CORS at all: the server refuses pages of other origins itself.
      const Ws = (globalThis as unknown as { WebSocket: new (url: string, protocol: string) => { send(s: string): void; onopen: () => void; onmessage: () => void; onclose: () => void } }).WebSocket;
      results.push(await new Promise<string>((resolve) => {
        const ws = new Ws(url.replace(/^http/, "ws"), "jsonrpc-2.0");
        ws.onopen = () => ws.send(doc);
        ws.onmessage = () => resolve("ws: answered");
        ws.onclose = () => resolve("ws: refused");
      }));
      return results;
    }, openUrl);
    await evil.close();
    assert.deepEqual(outcome, ["json: TypeError", "text: sent", "ws: refused"]);
    assert.equal(bumps, before, "the method never ran");
    // The same call from a same-origin page goes through: the refusal is about the origin.
    const direct = await fetch(openUrl, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "bump", params: [] }) });
    assert.equal(((await direct.json()) as { result: number }).result, before + 1);
  });
});
