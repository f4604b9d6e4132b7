/**
 * Loads the module `farcall serve` exposes and picks what to serve from it. TypeScript
 * modules run through Node's own type stripping when it is on, else through tsx, an
 * optional peer dependency loaded only when a `.ts` module asks for it.
 */
import { existsSync } from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { CliError } from "./cli-error.js";

const TYPESCRIPT_EXTENSIONS: ReadonlySet<string> = new Set([".ts", ".mts", ".cts"]);

/** Loads tsx's ESM hooks into this process; replaced in tests. */
export type TypeScriptLoader = () => Promise<void>;

async function registerTsx(): Promise<void> {
  const { register } = await import("tsx/esm/api");
  register();
}

/**
 * Imports the module at `file` (relative to the working directory) and returns its namespace.
 * @throws CliError (exit 2) when the file is missing, fails to load, or needs tsx and it is absent.
 */
export async function loadModule(file: string, loadTypeScript: TypeScriptLoader = registerTsx): Promise<Record<string, unknown>> {
  const absolute = path.resolve(file);
  if (!existsSync(absolute)) throw new CliError(`no module at ${absolute}`);
  if (TYPESCRIPT_EXTENSIONS.has(path.extname(absolute)) && !nodeStripsTypes()) {
    try {
      await loadTypeScript();
    } catch (err) {
      if ((err as { code?: unknown }).code !== "ERR_MODULE_NOT_FOUND") throw err;
      throw new CliError(
        `${file} is TypeScript: serving it needs the "tsx" package (npm install --save-dev tsx), ` +
          "or a Node.js that strips types itself (22.18 or later, or --experimental-strip-types)",
      );
    }
  }
  try {
    return (await import(pathToFileURL(absolute).href)) as Record<string, unknown>;
  } catch (err) {
    throw new CliError(`cannot load ${file}: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
  }
}

/** True when this Node runs TypeScript by itself (`process.features.typescript`, Node 22.10+). */
function nodeStripsTypes(): boolean {
  return Boolean((process.features as { typescript?: unknown }).typescript);
}

/**
 * What to serve from a module namespace: export `name` when given; otherwise the default
 * export when it is the only one; otherwise the namespace itself, every export a member.
 * @throws CliError (exit 2) when the export is missing or is not an object.
 */
export function pickExport(namespace: Record<string, unknown>, file: string, name?: string): object {
  const names = Object.keys(namespace);
  if (name !== undefined) {
    if (!names.includes(name)) {
      throw new CliError(`${file} has no export ${JSON.stringify(name)}; it exports ${names.length ? names.join(", ") : "nothing"}`);
    }
    return requireObject(namespace[name], `export ${JSON.stringify(name)} of ${file}`, "");
  }
  if (names.length === 0) throw new CliError(`${file} exports nothing to serve`);
  if (names.length === 1 && names[0] === "default") {
    return requireObject(namespace.default, `the default export of ${file}`, " (export the functions by name, or an object holding them)");
  }
  return namespace;
}

function requireObject(value: unknown, what: string, hint: string): object {
  if (typeof value === "object" && value !== null) return value;
  const got = value === null || value === undefined ? String(value) : `a ${typeof value}`;
  throw new CliError(`${what} is ${got}: farcall serves an object, whose functions become methods${hint}`);
}
