/**
 * The browser build as a page gets it: src/index.browser.ts bundled by esbuild for the
 * browser platform (the "browser" export condition's graph), minified, as ES modules with
 * code splitting: the entry module `farcall.js` a page imports, and the chunks it loads with
 * `import()` only when a feature needs them (session resumption, say).
 */
import { build, type Metafile } from "esbuild";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { basename } from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";

const ENTRY = fileURLToPath(new URL("../../src/index.browser.ts", import.meta.url));
/** The entry module's file name; a page imports it as `/farcall.js`. */
const ENTRY_FILE = "farcall.js";

/** One output file: minified bytes, and their size gzipped (level 9). */
export interface BundleFile {
  code: Uint8Array;
  gzipped: number;
}

export interface BrowserBundle {
  /** Every output file by name: `farcall.js` and its `chunk-*.js` files. */
  files: Map<string, BundleFile>;
  /** What a page loads before its first call: the entry module and the chunks it imports statically. */
  initial: { minified: number; gzipped: number; files: string[] };
  /** Every file, the lazily loaded chunks included. */
  total: { minified: number; gzipped: number };
  /** Every module in the bundle, as esbuild names it (a `node:` module would appear here). */
  inputs: string[];
  /** Modules in the initial files, by name, with their minified bytes there. */
  initialInputs: Map<string, number>;
  /** The bytes to serve for a page's request of `url` ("/farcall.js", "/chunk-….js"), if any. */
  file(url: string | undefined): Uint8Array | undefined;
}

export async function bundleBrowserBuild(): Promise<BrowserBundle> {
  const result = await build({
    entryPoints: { farcall: ENTRY },
    bundle: true,
    format: "esm",
    platform: "browser",
    splitting: true,
    outdir: "/farcall-browser-build",
    chunkNames: "chunk-[hash]",
    minify: true,
    write: false,
    metafile: true,
    logLevel: "silent",
  });
  const metafile: Metafile = result.metafile;
  const files = new Map<string, BundleFile>();
  for (const out of result.outputFiles) {
    if (out.path.endsWith(".js")) files.set(basename(out.path), { code: out.contents, gzipped: gzipSync(out.contents, { level: 9 }).length });
  }
  const outputs = new Map(Object.entries(metafile.outputs).map(([path, output]) => [basename(path), output]));
  // The initial set: the entry and, transitively, what it imports statically.
  const initialFiles: string[] = [];
  const pending = [ENTRY_FILE];
  while (pending.length > 0) {
    const name = pending.pop()!;
    if (initialFiles.includes(name)) continue;
    initialFiles.push(name);
    for (const imported of outputs.get(name)?.imports ?? []) if (imported.kind === "import-statement") pending.push(basename(imported.path));
  }
  const initialInputs = new Map<string, number>();
  for (const name of initialFiles) {
    for (const [input, { bytesInOutput }] of Object.entries(outputs.get(name)?.inputs ?? {})) initialInputs.set(input, bytesInOutput);
  }
  const sum = (names: Iterable<string>, size: (f: BundleFile) => number): number => [...names].reduce((n, name) => n + size(files.get(name)!), 0);
  return {
    files,
    initial: { minified: sum(initialFiles, (f) => f.code.length), gzipped: sum(initialFiles, (f) => f.gzipped), files: initialFiles },
    total: { minified: sum(files.keys(), (f) => f.code.length), gzipped: sum(files.keys(), (f) => f.gzipped) },
    inputs: Object.keys(metafile.inputs),
    initialInputs,
    file: (url) => (url?.startsWith("/") ? files.get(url.slice(1))?.code : undefined),
  };
}

/** A page server on loopback: the browser build's modules, `scripts` by path, and `html` for any other path. */
export interface PageServer {
  /** The page's URL: `http://127.0.0.1:<port>/`. */
  url: string;
  close(): void;
}

/** Serves the browser build (every chunk) and `html`, which imports it from `/farcall.js`, to a real browser. */
export async function serveBrowserBuild(html: string, scripts: Record<string, Uint8Array> = {}): Promise<PageServer> {
  const bundle = await bundleBrowserBuild();
  const pages = createServer((req, res) => {
    const script = bundle.file(req.url) ?? (req.url !== undefined && Object.hasOwn(scripts, req.url) ? scripts[req.url] : undefined);
    res.setHeader("content-type", script ? "text/javascript" : "text/html");
    res.end(script ?? html);
  });
  await new Promise<void>((resolve) => pages.listen(0, "127.0.0.1", resolve));
  return { url: `http://127.0.0.1:${(pages.address() as AddressInfo).port}/`, close: () => pages.close() };
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
