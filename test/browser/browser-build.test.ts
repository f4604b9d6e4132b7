// The browser build (package.json's "browser" condition, src/index.browser.ts): its whole
// import graph, as esbuild bundles it for the browser platform, holds no Node module, and
// its size minified and gzipped is reported (README, "In a browser").
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, it } from "node:test";
import { bundleBrowserBuild } from "../helpers/browser-bundle.js";

describe("the browser build", () => {
  it("bundles for the browser platform with no node: module anywhere in its graph", async () => {
    // For platform "browser" esbuild cannot resolve a node: import, so the build itself fails
    // on one; the list of inputs is checked too, in case a module is marked external.
    const bundle = await bundleBrowserBuild();
    assert.deepEqual(bundle.inputs.filter((input) => input.startsWith("node:")), []);
    assert.ok(bundle.inputs.includes("src/farcall/browser-dial.ts"), "the browser dialer is in the bundle");
    assert.ok(!bundle.inputs.some((input) => input.startsWith("node_modules/ws/")), "the ws library stays out of the browser build");
  });

  it("reports its size minified and gzipped", async (t) => {
    const bundle = await bundleBrowserBuild();
    t.diagnostic(`browser build: ${bundle.minified} B minified, ${bundle.gzipped} B minified+gzipped`);
    assert.ok(bundle.gzipped > 0 && bundle.gzipped < bundle.minified);
  });

  it("package.json's browser condition names the browser entry, before the Node one", () => {
    const pkg = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as { exports: Record<string, Record<string, string>> };
    const conditions = Object.keys(pkg.exports["."]!);
    assert.equal(pkg.exports["."]!.browser, "./dist/index.browser.js");
    assert.ok(conditions.indexOf("browser") < conditions.indexOf("import"), "resolvers take the first matching condition");
  });
});
