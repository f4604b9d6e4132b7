/**
 * How the bench runs a Node child: as a deployed program runs, plain `node` over JavaScript.
 * Its TypeScript entry is bundled once per run by esbuild into a hidden sibling file
 * (`.NAME.bench.mjs`, so paths relative to the file still hold), with farcall's `dist/` and
 * npm packages left as imports, so every contender loads its library as a user's program would.
 *
 * Why not tsx, as before: a loader stays in the child's long-lived heap (about 2 MB), and a
 * process whose old generation is past about 8 MB has V8 mark for a full collection every
 * few fresh large ArrayBuffers; a small echo server under tsx crossed that line and W3
 * measured the loader's heap rather than the framework (README, Performance, W3).
 * `BENCH_LOADER=tsx` runs the sources under tsx again, to compare.
 */
import { buildSync } from "esbuild";
import { basename, dirname, join } from "node:path";

const bundled = new Map<string, string>();

/** True when children run under the tsx loader instead of as bundled JavaScript. */
export const UNDER_TSX = process.env.BENCH_LOADER === "tsx";

/** Node's arguments that run the TypeScript entry `file`. */
export function nodeEntryArgs(file: string): string[] {
  if (UNDER_TSX) return ["--import", "tsx", file];
  let out = bundled.get(file);
  if (out === undefined) {
    out = join(dirname(file), `.${basename(file, ".ts")}.bench.mjs`);
    buildSync({
      entryPoints: [file],
      outfile: out,
      bundle: true,
      platform: "node",
      format: "esm",
      target: "node20",
      packages: "external",
      // farcall as built (npm run bench builds it first), loaded module by module as users load it.
      external: ["../dist/*", "../../dist/*"],
      logLevel: "warning",
    });
    bundled.set(file, out);
  }
  return [out];
}
