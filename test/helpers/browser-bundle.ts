/**
 * The browser build as a page gets it: src/index.browser.ts bundled by esbuild for the
 * browser platform (the "browser" export condition's graph), minified, as one ES module.
 */
import { build, type Metafile } from "esbuild";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";

const ENTRY = fileURLToPath(new URL("../../src/index.browser.ts", import.meta.url));

export interface BrowserBundle {
  code: Uint8Array;
  /** Bytes minified, and minified then gzipped (level 9). */
  minified: number;
  gzipped: number;
  /** Every module in the bundle, as esbuild names it (a `node:` module would appear here). */
  inputs: string[];
}

export async function bundleBrowserBuild(): Promise<BrowserBundle> {
  const result = await build({
    entryPoints: [ENTRY],
    bundle: true,
    format: "esm",
    platform: "browser",
    minify: true,
    write: false,
    metafile: true,
    logLevel: "silent",
  });
  const code = result.outputFiles[0]!.contents;
  const metafile: Metafile = result.metafile;
  return { code, minified: code.length, gzipped: gzipSync(code, { level: 9 }).length, inputs: Object.keys(metafile.inputs) };
}

/** A Web Worker script serving `source`'s API with servePort(api, self); `source` imports "farcall". */
export async function bundleWorkerScript(source: string): Promise<Uint8Array> {
  const result = await build({
    stdin: { contents: source, resolveDir: fileURLToPath(new URL(".", import.meta.url)), loader: "ts" },
    bundle: true,
    format: "esm",
    platform: "browser",
    minify: true,
    write: false,
    logLevel: "silent",
    alias: { farcall: ENTRY },
  });
  return result.outputFiles[0]!.contents;
}
