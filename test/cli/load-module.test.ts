import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { describe, it } from "node:test";
import { CliError } from "../../src/cli/cli-error.js";
import { loadModule, pickExport } from "../../src/cli/load-module.js";

const FIXTURES = fileURLToPath(new URL("../fixtures/cli/", import.meta.url));

function isUsageError(message: RegExp) {
  return (err: unknown) => err instanceof CliError && err.exitCode === 2 && message.test(err.message);
}

describe("pickExport", () => {
  const tools = { double: (n: number) => n * 2 };

  it("picks the export --export names", () => {
    assert.equal(pickExport({ tools, other: {} }, "m.js", "tools"), tools);
  });

  it("picks the default export when it is the only export", () => {
    assert.equal(pickExport({ default: tools }, "m.js"), tools);
  });

  it("serves the whole namespace when there are several exports", () => {
    const namespace = { tools, ping: () => "pong" };
    assert.equal(pickExport(namespace, "m.js"), namespace);
  });

  it("a missing export is an error listing the exports there are", () => {
    assert.throws(() => pickExport({ a: {}, b: {} }, "m.js", "c"), isUsageError(/m\.js has no export "c"; it exports a, b/));
  });

  it("an export that is not an object is an error saying what it is", () => {
    assert.throws(() => pickExport({ default: () => 1 }, "m.js"), isUsageError(/the default export of m\.js is a function/));
    assert.throws(() => pickExport({ n: null }, "m.js", "n"), isUsageError(/export "n" of m\.js is null/));
  });

  it("a module without exports is an error", () => {
    assert.throws(() => pickExport({}, "m.js"), isUsageError(/m\.js exports nothing to serve/));
  });
});

describe("loadModule", () => {
  it("imports a JavaScript module by its path", async () => {
    const namespace = await loadModule(`${FIXTURES}named-exports.mjs`);
    assert.deepEqual(Object.keys(namespace).sort(), ["ping", "tools", "version"]);
  });

  it("imports a TypeScript module", async () => {
    const namespace = await loadModule(`${FIXTURES}greeter.ts`, async () => {});
    assert.equal(typeof (namespace.default as { greet: unknown }).greet, "function");
  });

  it("a path where there is no file is an error naming it", async () => {
    await assert.rejects(loadModule(`${FIXTURES}missing.js`), isUsageError(/no module at .*missing\.js/));
  });

  it("a module that throws while loading is an error carrying its message", async () => {
    await assert.rejects(loadModule(`${FIXTURES}throws-on-load.mjs`), isUsageError(/cannot load .*throws-on-load\.mjs: Error: the database is down/));
  });

  const stripsTypes = Boolean((process.features as { typescript?: unknown }).typescript);
  it("a TypeScript module without tsx installed is an error naming the package", { skip: stripsTypes && "this Node strips types itself" }, async () => {
    const missing = Object.assign(new Error("Cannot find package 'tsx'"), { code: "ERR_MODULE_NOT_FOUND" });
    await assert.rejects(
      loadModule(`${FIXTURES}greeter.ts`, () => Promise.reject(missing)),
      isUsageError(/needs the "tsx" package \(npm install --save-dev tsx\)/),
    );
  });
});
