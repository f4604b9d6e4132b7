// A page in Chromium that opens 500 farcall connections to one server at once: every one is
// either served (its handshake done and a call answered) or refused with a clear code, and
// the server is fine afterwards (a Node client is served, no connection is left behind).
// Chromium 1xx serves 255 WebSockets per page and fails the rest itself with 1006 before
// they reach the server: the page sees UNAVAILABLE naming the close code for those.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { connect, serve, type Server } from "../../src/index.js";
import { serveBrowserBuild, type PageServer } from "../helpers/browser-bundle.js";
import { within } from "../helpers/bounded.js";
import { chromiumMissing, launchChromium } from "../helpers/chromium.js";

const CONNECTIONS = 500;
const skip = chromiumMissing("Real-browser tests");
if (skip) console.warn(`SKIPPING the many-connections Chromium test: ${skip}`);

type PageGlobals = { farcall: typeof import("../../src/index.browser.js") };
const api = { add: (a: number, b: number) => a + b };

describe(`a page opening ${CONNECTIONS} connections`, { skip }, () => {
  let server: Server;
  let pages: PageServer;
  let browser: Awaited<ReturnType<typeof launchChromium>>;

  before(async () => {
    server = await serve(api, { listen: "tcp://127.0.0.1:0", authkey: "k", logger: false });
    pages = await serveBrowserBuild(`<!doctype html><script type="module">import * as farcall from "/farcall.js"; window.farcall = farcall; document.title = "ready";</script>`);
    browser = await launchChromium();
  });

  after(async () => {
    await browser?.close();
    pages?.close();
    await server?.close({ drainMs: 0 });
  });

  it("each is served or refused with a clear code, and the server is fine afterwards", { timeout: 180_000 }, async (t) => {
    const page = await browser.context.newPage();
    await page.goto(pages.url);
    await page.waitForFunction(() => (globalThis as unknown as { document: { title: string } }).document.title === "ready");
    const url = `${server.addresses[0]!.replace(/^tcp:/, "ws:")}/`;
    const outcome = await within(
      page.evaluate(async ({ url, n }) => {
        const { connect } = (globalThis as unknown as PageGlobals).farcall;
        const settled = await Promise.allSettled(
          Array.from({ length: n }, async (_, i) => {
            const remote = await connect<typeof api>(url, { authkey: "k", reconnect: false, connectTimeoutMs: 60_000 });
            const sum = await remote.add(i, 1);
            if (sum !== i + 1) throw new Error(`connection ${i}: add(${i}, 1) gave ${sum}`);
            return remote;
          }),
        );
        const refused: Record<string, number> = {};
        let served = 0;
        for (const s of settled) {
          if (s.status === "fulfilled") served++;
          else {
            const err = s.reason as { code?: string; message: string };
            const key = `${err.code ?? "no code"}: ${err.message.split(url).join("URL")}`;
            refused[key] = (refused[key] ?? 0) + 1;
          }
        }
        // Close the served ones, as a page leaving would.
        await Promise.all(settled.map((s) => (s.status === "fulfilled" ? (s.value as unknown as { [Symbol.asyncDispose](): Promise<void> })[Symbol.asyncDispose]() : undefined)));
        return { served, refused };
      }, { url, n: CONNECTIONS }),
      150_000,
      `${CONNECTIONS} connections from the page`,
    );
    t.diagnostic(`served ${outcome.served}, refused ${JSON.stringify(outcome.refused)}`);
    assert.equal(outcome.served + Object.values(outcome.refused).reduce((a, b) => a + b, 0), CONNECTIONS);
    for (const reason of Object.keys(outcome.refused)) assert.match(reason, /^UNAVAILABLE: /, "a refusal carries a code");
    assert.ok(outcome.served > 0);

    // The server is fine: a Node client is served, and the page's connections are gone.
    const client = await connect<typeof api>(server.addresses[0]!, { authkey: "k", logger: false });
    assert.equal(await client.add(20, 22), 42);
    await (client as unknown as { [Symbol.asyncDispose](): Promise<void> })[Symbol.asyncDispose]();
    await page.close();
    const deadline = Date.now() + 10_000;
    while (server.connections > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    assert.equal(server.connections, 0);
  });
});
