/**
 * The layout DESIGN.md promises, read from every src file's relative imports: no import
 * cycle that carries a runtime value, no file over 400 lines, protocol families that use
 * the shared layers (core/, codecs/, net/, http/) but never each other, shared layers that
 * use no family, and a core and codecs with no trace of a Node module.
 */
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import ts from "typescript";

const SRC = resolve(dirname(fileURLToPath(import.meta.url)), "../../src");

/** Longest file, in lines (STYLE.md: a file is reviewed in one sitting). */
const MAX_LINES = 400;
/** One folder per protocol family. */
const FAMILIES = ["farcall", "jsonrpc", "xmlrpc", "pymanager", "nats", "worker"];
/**
 * What each layer may import besides itself. The root option modules hold option types,
 * defaults and their checks, and import no family's code, so any layer outside core/ and
 * codecs/ may use them.
 */
const OPTION_MODULES = ["options.ts", "connect-options.ts"];
const MAY_IMPORT: Record<string, readonly string[]> = {
  core: [],
  codecs: ["core"],
  net: ["core", "codecs", ...OPTION_MODULES],
  http: ["core", "codecs", "net", ...OPTION_MODULES],
  // WebSocket is a transport the families share, as net/ is for stream sockets.
  ws: ["core", "codecs", "net", "http", ...OPTION_MODULES],
  ...Object.fromEntries(FAMILIES.map((family) => [family, ["core", "codecs", "net", "http", "ws", ...OPTION_MODULES]])),
  /** OpenTelemetry interceptors: written against the core's interceptor seams alone. */
  otel: ["core"],
};
/** Folders whose files may not mention a Node module at all. */
const NODE_FREE = ["core", "codecs", "otel"];

interface Import {
  /** Both relative to src/, as "net/tcp.ts". */
  from: string;
  to: string;
  /** Carries types only: `import type`, or every named binding marked `type`. */
  typeOnly: boolean;
  /** An `import()` expression: it obeys the layers, but runs after both files are evaluated, so it cannot close a cycle. */
  dynamic?: boolean;
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return entry.name.endsWith(".ts") ? [relative(SRC, path)] : [];
  });
}

const files = sourceFiles(SRC).sort();
const texts = new Map(files.map((file) => [file, readFileSync(join(SRC, file), "utf8")]));

/** The relative imports and re-exports of `file`, read by the TypeScript parser (comments and strings cannot fool it). */
function importsOf(file: string): Import[] {
  const source = ts.createSourceFile(file, texts.get(file)!, ts.ScriptTarget.ES2022, true);
  const found: Import[] = [];
  for (const statement of source.statements) {
    let specifier: ts.Expression | undefined;
    let typeOnly = false;
    if (ts.isImportDeclaration(statement)) {
      specifier = statement.moduleSpecifier;
      const clause = statement.importClause;
      const named = clause?.namedBindings;
      typeOnly = clause !== undefined && (clause.isTypeOnly || (clause.name === undefined && named !== undefined && ts.isNamedImports(named) && named.elements.length > 0 && named.elements.every((e) => e.isTypeOnly)));
    } else if (ts.isExportDeclaration(statement) && statement.moduleSpecifier) {
      specifier = statement.moduleSpecifier;
      const named = statement.exportClause;
      typeOnly = statement.isTypeOnly || (named !== undefined && ts.isNamedExports(named) && named.elements.length > 0 && named.elements.every((e) => e.isTypeOnly));
    }
    if (!specifier || !ts.isStringLiteral(specifier) || !specifier.text.startsWith(".")) continue;
    found.push({ from: file, to: targetOf(file, specifier.text), typeOnly });
  }
  const visit = (node: ts.Node): void => {
    if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword) {
      const [specifier] = node.arguments;
      if (specifier && ts.isStringLiteral(specifier) && specifier.text.startsWith(".")) found.push({ from: file, to: targetOf(file, specifier.text), typeOnly: false, dynamic: true });
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

function targetOf(file: string, specifier: string): string {
  return relative(SRC, resolve(SRC, dirname(file), specifier)).replace(/\.js$/, ".ts");
}

const imports = files.flatMap(importsOf);

/** "core" for core/peer.ts, "options.ts" for a file at the root of src/. */
function layerOf(file: string): string {
  const slash = file.indexOf("/");
  return slash === -1 ? file : file.slice(0, slash);
}

/** The cycles among `edges` (strongly connected components of more than one file, or a file importing itself). */
function cycles(edges: readonly Import[]): string[][] {
  const next = new Map<string, string[]>();
  for (const { from, to } of edges) next.set(from, [...(next.get(from) ?? []), to]);
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  let counter = 0;
  const connect = (v: string): void => {
    index.set(v, counter);
    low.set(v, counter++);
    stack.push(v);
    onStack.add(v);
    for (const w of next.get(v) ?? []) {
      if (!index.has(w)) {
        connect(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) {
        low.set(v, Math.min(low.get(v)!, index.get(w)!));
      }
    }
    if (low.get(v) !== index.get(v)) return;
    const component: string[] = [];
    let w: string;
    do {
      w = stack.pop()!;
      onStack.delete(w);
      component.push(w);
    } while (w !== v);
    if (component.length > 1 || (next.get(v) ?? []).includes(v)) found.push(component.sort());
  };
  for (const file of files) if (!index.has(file)) connect(file);
  return found;
}

describe("the source layout", () => {
  it("reads every src file's imports, and each one names a file that exists", () => {
    assert.ok(files.length > 100, `found only ${files.length} files under ${SRC}`);
    const dangling = imports.filter((i) => !texts.has(i.to)).map((i) => `${i.from} -> ${i.to}`);
    assert.deepEqual(dangling, []);
  });

  it("has no import cycle that carries a runtime value", () => {
    assert.deepEqual(cycles(imports.filter((i) => !i.typeOnly && !i.dynamic)), []);
  });

  it(`has no file over ${MAX_LINES} lines`, () => {
    const long = files.map((file) => ({ file, lines: texts.get(file)!.split("\n").length - 1 })).filter((f) => f.lines > MAX_LINES);
    assert.deepEqual(long.map((f) => `${f.file}: ${f.lines} lines`), []);
  });

  it("protocol families import the shared layers but never each other; shared layers import no family", () => {
    const stray = imports.filter(({ from, to }) => {
      const allowed = MAY_IMPORT[layerOf(from)];
      if (allowed === undefined) return false; // the root wiring, cli/ and demo/ may import anything
      const target = layerOf(to);
      return target !== layerOf(from) && !allowed.includes(target);
    });
    assert.deepEqual(stray.map((i) => `${i.from} -> ${i.to}${i.typeOnly ? " (types)" : ""}${i.dynamic ? " (import())" : ""}`), []);
  });

  it("core/ and codecs/ mention no Node module", () => {
    const lines = NODE_FREE.flatMap((folder) =>
      files.filter((file) => layerOf(file) === folder).flatMap((file) =>
        texts.get(file)!.split("\n").flatMap((line, i) => (line.includes("node:") ? [`${file}:${i + 1}: ${line.trim()}`] : [])),
      ),
    );
    assert.deepEqual(lines, []);
  });
});
