/**
 * The core, the codecs and the protocol documents run in any JavaScript runtime: they import
 * no Node module and use no Node global unless behind a `typeof` check, and what they import
 * of farcall is runtime-neutral too. Node's own services come in through core/runtime.ts.
 */
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { isBuiltin } from "node:module";
import { dirname, join, relative, resolve } from "node:path";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import ts from "typescript";

const SRC = resolve(dirname(fileURLToPath(import.meta.url)), "../../src");

/** Folders whose every file is runtime-neutral. */
const NEUTRAL_FOLDERS = ["core", "codecs"];
/** The protocol documents (Message ⇄ document) outside those folders. */
const NEUTRAL_FILES = [
  "jsonrpc/protocol.ts", "jsonrpc/document.ts", "jsonrpc/errors.ts", "jsonrpc/client-protocol.ts", "jsonrpc/openrpc.ts",
  "xmlrpc/protocol.ts", "xmlrpc/encode.ts", "xmlrpc/decode.ts", "xmlrpc/faults.ts", "xmlrpc/scalars.ts",
  "xmlrpc/introspection.ts", "xmlrpc/client-protocol.ts",
];
/** Globals Node has and browsers do not. */
const NODE_GLOBALS = new Set(["Buffer", "process", "global", "setImmediate", "clearImmediate", "require", "module", "__dirname", "__filename"]);

const neutral = [
  ...NEUTRAL_FOLDERS.flatMap((folder) => readdirSync(join(SRC, folder)).filter((f) => f.endsWith(".ts")).map((f) => `${folder}/${f}`)),
  ...NEUTRAL_FILES,
];
const sources = new Map(neutral.map((path) => [path, ts.createSourceFile(path, readFileSync(join(SRC, path), "utf8"), ts.ScriptTarget.ES2022, true)]));

/**
 * Names that stand for a `typeof` check of a global across the scanned files, e.g.
 * `const HAS_BUFFER = typeof Buffer === "function"` makes HAS_BUFFER a guard of Buffer.
 */
const guardNames = new Map<string, string>();
for (const file of sources.values()) {
  visit(file, (node) => {
    if (ts.isVariableDeclaration(node) && ts.isIdentifier(node.name) && node.initializer) {
      for (const global of NODE_GLOBALS) if (node.initializer.getText().includes(`typeof ${global}`)) guardNames.set(node.name.text, global);
    }
  });
}

function visit(node: ts.Node, fn: (node: ts.Node) => void): void {
  fn(node);
  node.forEachChild((child) => visit(child, fn));
}

/** Whether `condition` holds only where `global` exists. */
function checks(condition: ts.Expression, global: string): boolean {
  const text = condition.getText();
  if (text.includes(`typeof ${global}`)) return true;
  for (const [name, guarded] of guardNames) if (guarded === global && new RegExp(`\\b${name}\\b`).test(text)) return true;
  return false;
}

/** Whether `node` runs only where `global` exists: inside an `if`, `&&` or `?:` that checks for it. */
function isGuarded(node: ts.Node, global: string): boolean {
  for (let child = node, parent = node.parent; parent; child = parent, parent = parent.parent) {
    if (ts.isTypeOfExpression(parent)) return true;
    if (ts.isIfStatement(parent) && child === parent.thenStatement && checks(parent.expression, global)) return true;
    if (ts.isConditionalExpression(parent) && child === parent.whenTrue && checks(parent.condition, global)) return true;
    if (ts.isBinaryExpression(parent) && parent.operatorToken.kind === ts.SyntaxKind.AmpersandAmpersandToken && child === parent.right && checks(parent.left, global)) {
      return true;
    }
  }
  return false;
}

/** Whether identifier `node` reads a variable (not a property name, a declaration's name or a type). */
function readsVariable(node: ts.Identifier): boolean {
  const parent = node.parent;
  if (ts.isPropertyAccessExpression(parent) && parent.name === node) return false;
  if ((ts.isPropertyAssignment(parent) || ts.isMethodDeclaration(parent) || ts.isPropertyDeclaration(parent)) && parent.name === node) return false;
  for (let n: ts.Node = node; n.parent; n = n.parent) if (ts.isTypeNode(n) && !ts.isExpressionWithTypeArguments(n)) return false;
  return true;
}

/** Every name the file declares itself (a local `process` is not Node's). */
function declaredNames(file: ts.SourceFile): Set<string> {
  const names = new Set<string>();
  visit(file, (node) => {
    const name = (node as { name?: ts.Node }).name;
    if (name && ts.isIdentifier(name) && (ts.isVariableDeclaration(node) || ts.isParameter(node) || ts.isFunctionDeclaration(node) || ts.isClassDeclaration(node) || ts.isBindingElement(node) || ts.isImportSpecifier(node) || ts.isImportClause(node) || ts.isNamespaceImport(node))) {
      names.add(name.text);
    }
  });
  return names;
}

/** The module specifiers a file imports or re-exports, statically or dynamically. */
function importsOf(file: ts.SourceFile): string[] {
  const specifiers: string[] = [];
  visit(file, (node) => {
    if ((ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) && node.moduleSpecifier && ts.isStringLiteral(node.moduleSpecifier)) {
      specifiers.push(node.moduleSpecifier.text);
    } else if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword && node.arguments[0] && ts.isStringLiteral(node.arguments[0])) {
      specifiers.push(node.arguments[0].text);
    } else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument) && ts.isStringLiteral(node.argument.literal)) {
      specifiers.push(node.argument.literal.text);
    }
  });
  return specifiers;
}

function where(file: ts.SourceFile, node: ts.Node): string {
  return `${file.fileName}:${file.getLineAndCharacterOfPosition(node.getStart()).line + 1}`;
}

describe("runtime-neutral sources (core/, codecs/, the protocol documents)", () => {
  it("scans the files it should", () => {
    for (const path of ["core/peer.ts", "core/context.ts", "core/runtime.ts", "codecs/msgpack.ts", "core/farcall-protocol.ts"]) assert.ok(sources.has(path), path);
    assert.equal(guardNames.get("HAS_BUFFER"), "Buffer", "codecs/json-tags.ts's HAS_BUFFER is seen as a Buffer check");
  });

  it("import no Node built-in module, not even for types", () => {
    const found = [...sources.values()].flatMap((file) => importsOf(file).filter((s) => isBuiltin(s)).map((s) => `${file.fileName}: ${s}`));
    assert.deepEqual(found, []);
    // Not even a comment names one, so that `grep -r node: src/core` stays the whole audit.
    assert.deepEqual([...sources.values()].filter((file) => file.text.includes("node:")).map((file) => file.fileName), []);
  });

  it("import, of farcall's own files, only runtime-neutral ones", () => {
    const found: string[] = [];
    for (const [path, file] of sources) {
      for (const specifier of importsOf(file).filter((s) => s.startsWith("."))) {
        const target = relative(SRC, resolve(SRC, dirname(path), specifier)).replace(/\.js$/, ".ts");
        if (!sources.has(target)) found.push(`${path}: ${specifier}`);
      }
    }
    assert.deepEqual(found, []);
  });

  it("use no Node-only global outside a typeof check", () => {
    const found: string[] = [];
    for (const file of sources.values()) {
      const local = declaredNames(file);
      visit(file, (node) => {
        if (!ts.isIdentifier(node) || !NODE_GLOBALS.has(node.text) || local.has(node.text)) return;
        if (readsVariable(node) && !isGuarded(node, node.text)) found.push(`${where(file, node)}: ${node.text}`);
      });
    }
    assert.deepEqual(found, []);
  });

  it("call a timer's unref only where it may be missing (timer?.unref?.()), or through core/runtime.ts", () => {
    const found: string[] = [];
    for (const file of sources.values()) {
      visit(file, (node) => {
        if (!ts.isCallExpression(node) || !ts.isPropertyAccessExpression(node.expression)) return;
        const name = node.expression.name.text;
        if ((name === "unref" || name === "ref") && !node.questionDotToken) found.push(`${where(file, node)}: .${name}()`);
      });
    }
    assert.deepEqual(found, []);
  });
});
