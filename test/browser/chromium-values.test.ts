// Wire compatibility of the browser build's codec with Node's: every kind of value farcall
// carries (every MessagePack extension it defines, and the plain forms around them) crosses
// from a page to a Node server and back, and from the server into a page's callback, and
// arrives as what Node's own codec makes of it. The values and their description are one
// piece of source run on both sides, so a difference shows as a differing description.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { Page } from "playwright-core";
import { registerType, RpcError, serve, type Server } from "../../src/index.js";
import { createMsgpackCodec } from "../../src/codecs/msgpack.js";
import { serveBrowserBuild, type PageServer } from "../helpers/browser-bundle.js";
import { chromiumMissing, FARCALL_PAGE_HTML, openReadyPage, type launchChromium } from "../helpers/chromium.js";

const KEY = "values-key";
const skip = chromiumMissing("Real-browser tests");
if (skip) console.warn(`SKIPPING the Chromium value tests: ${skip}`);

/**
 * Plain JavaScript run in Node and in the page: a registered class, one value of every kind,
 * and a description that names each value's type and content exactly (-0, NaN, bigint, the
 * class of a typed array, an error's code and data).
 */
const VALUES_SOURCE = `
class Point { constructor(x, y) { this.x = x; this.y = y; } }
function registerPoint(registerType) {
  registerType(Point, { name: "Point", encode: (p) => [p.x, p.y], decode: ([x, y]) => new Point(x, y) });
}
function makeValues(RpcError) {
  return [
    ["null", null], ["true", true], ["false", false],
    ["small integer", 7], ["negative integer", -300], ["integer past 32 bits", 2 ** 40], ["largest safe integer", Number.MAX_SAFE_INTEGER],
    ["float", 1.5], ["minus zero", -0], ["NaN", NaN], ["Infinity", Infinity], ["-Infinity", -Infinity],
    ["string", "h\\u00e9llo \\u2713 \\ud834\\udd1e"], ["long string", "x".repeat(300)], ["empty string", ""],
    ["undefined", undefined], ["array holding undefined", [undefined, 1]],
    ["small bigint", 5n], ["int64 bigint", 2n ** 62n], ["negative bigint", -(2n ** 40n)], ["bigint wider than 64 bits", 2n ** 100n],
    ["Date", new Date(Date.UTC(2024, 1, 29, 12, 0, 0, 123))], ["Date before 1970", new Date(-1e12)],
    ["Map", new Map([["a", 1], [2, [new Date(0)]], [null, new Map()]])],
    ["Set", new Set([1, "two", 3n, undefined])],
    ["Uint8Array", new Uint8Array([0, 1, 255])], ["empty Uint8Array", new Uint8Array(0)],
    ["Uint8Array of 70,000 bytes", new Uint8Array(70000).fill(9)],
    ["Float64Array", new Float64Array([1.5, -2])], ["Int32Array", new Int32Array([-1, 2])], ["Uint16Array", new Uint16Array([65535])],
    ["nested", { a: [1, { b: new Map([["c", new Set([null])]]) }], "": 0, "k\\u00eay": [new Uint8Array([3])] }],
    ["RpcError with data", new RpcError("OUT_OF_STOCK", "none left", { sku: "a1", when: new Date(0) })],
    ["RpcError of a framework code", new RpcError("INVALID_PARAMS", "bad")],
    ["Error", new TypeError("plain")],
    ["registered class", new Point(1, { z: 2n })],
  ];
}
function describeValue(x) {
  if (x === undefined) return "undefined";
  if (typeof x === "number") return Object.is(x, -0) ? "number:-0" : "number:" + x;
  if (typeof x === "bigint") return "bigint:" + x;
  if (typeof x === "string") return "string:" + JSON.stringify(x);
  if (typeof x !== "object" || x === null) return typeof x + ":" + String(x);
  const name = x.constructor ? x.constructor.name : "null-prototype";
  if (x instanceof Date) return "Date:" + x.toISOString();
  if (x instanceof Map) return "Map[" + [...x].map(([k, v]) => describeValue(k) + "=>" + describeValue(v)).join(",") + "]";
  if (x instanceof Set) return "Set[" + [...x].map(describeValue).join(",") + "]";
  if (ArrayBuffer.isView(x)) {
    const a = Array.from(x);
    return name + "(" + a.length + "):" + (a.length > 16 ? a.slice(0, 16).join(",") + ",... sum " + a.reduce((s, n) => s + n, 0) : a.join(","));
  }
  // An error by its name, not its class's: the browser build is minified.
  if (x instanceof Error) return "Error:" + x.name + ":" + x.message + ":" + describeValue(x.code) + ":" + describeValue(x.data);
  if (Array.isArray(x)) return "[" + x.map(describeValue).join(",") + "]";
  return name + "{" + Object.keys(x).map((k) => JSON.stringify(k) + ":" + describeValue(x[k])).join(",") + "}";
}
`;

type Named = [string, unknown][];
interface ValueKit {
  registerPoint(register: typeof registerType): void;
  makeValues(rpcError: typeof RpcError): Named;
  describeValue(value: unknown): string;
}

function loadKit(): ValueKit {
  return new Function(`${VALUES_SOURCE}; return { registerPoint, makeValues, describeValue };`)() as ValueKit;
}

const describeAll = (kit: ValueKit, values: Named): [string, string][] => values.map(([name, value]) => [name, kit.describeValue(value)]);

type PageGlobals = { farcall: typeof import("../../src/index.browser.js"); kit: ValueKit; remote: Record<string, (...args: unknown[]) => Promise<unknown>> };

describe("values between the browser build and Node", { skip }, () => {
  const kit = loadKit();
  kit.registerPoint(registerType);
  const codec = createMsgpackCodec();
  const values = kit.makeValues(RpcError);
  /** What Node's own codec makes of every value: what the page must see, and send. */
  const expected = describeAll(kit, codec.decode(codec.encode(values)) as Named);
  let server: Server;
  let pages: PageServer;
  let browser: Awaited<ReturnType<typeof launchChromium>>;
  let page: Page;

  before(async () => {
    const api = {
      describe: (received: Named) => describeAll(kit, received),
      echo: (received: Named) => received,
      offer: (cb: (values: Named) => Promise<unknown>) => cb([...kit.makeValues(RpcError), ["Buffer", Buffer.from([1, 2, 3])]]),
    };
    server = await serve(api, { listen: "tcp://127.0.0.1:0", authkey: KEY, logger: false });
    pages = await serveBrowserBuild(FARCALL_PAGE_HTML);
    ({ browser, page } = await openReadyPage(pages.url));
    await page.evaluate(
      async ({ source, url, key }) => {
        const g = globalThis as unknown as PageGlobals;
        g.kit = new Function(`${source}; return { registerPoint, makeValues, describeValue };`)() as ValueKit;
        g.kit.registerPoint(g.farcall.registerType);
        g.remote = (await g.farcall.connect(url, { authkey: key })) as unknown as PageGlobals["remote"];
      },
      { source: VALUES_SOURCE, url: `${server.addresses[0]!.replace(/^tcp:/, "ws:")}/`, key: KEY },
    );
  });

  after(async () => {
    await browser?.close();
    pages?.close();
    await server?.close({ drainMs: 0 });
  });

  it("Node's own round trip keeps every value as it was, -0 included, so the comparisons below compare values", () => {
    assert.deepEqual(expected, describeAll(kit, values));
    assert.deepEqual(expected.find(([name]) => name === "minus zero"), ["minus zero", "number:-0"]);
  });

  it("every value a page sends reaches the Node server as Node's codec makes it", async () => {
    const seen = await page.evaluate(() => {
      const { kit, remote } = globalThis as unknown as PageGlobals;
      return remote.describe!(kit.makeValues((globalThis as unknown as PageGlobals).farcall.RpcError));
    });
    assert.deepEqual(seen, expected);
  });

  it("every value a Node server answers reaches the page as Node's codec makes it", async () => {
    const seen = await page.evaluate(async () => {
      const { kit, remote, farcall } = globalThis as unknown as PageGlobals;
      const back = (await remote.echo!(kit.makeValues(farcall.RpcError))) as Named;
      return back.map(([name, value]) => [name, kit.describeValue(value)]);
    });
    assert.deepEqual(seen, expected);
  });

  it("every value a Node server passes to a page's callback arrives as Node's codec makes it; a Buffer arrives as a Uint8Array", async () => {
    const seen = await page.evaluate(async () => {
      const { kit, remote } = globalThis as unknown as PageGlobals;
      return remote.offer!((given: Named) => given.map(([name, value]) => [name, kit.describeValue(value)]));
    });
    assert.deepEqual(seen, [...expected, ["Buffer", "Uint8Array(3):1,2,3"]]);
  });
});
