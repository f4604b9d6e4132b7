// CPU per encode and decode of plain (unmarked) messages by farcall's MessagePack and
// extended JSON codecs, from a built dist/ tree, so two trees can be compared in alternating
// runs: `node bench/codecs/plain-values.mjs DIST` prints CPU ns per operation.
// Each case runs a fixed count (COUNT, bounded), after a warm-up of the same count; ONLY
// (a pattern) picks cases; MARKED=1 marks a value first (see measure). Separate processes per tree: two trees in one process would share
// one msgpackr, whose extension table each tree adds to.
import { pathToFileURL } from "node:url";
import { resolve } from "node:path";

const CASES = {
  "small call [0, 7, 'add', [1, 2]]": [0, 7, "add", [1, 2]],
  "result of 20 small arrays": [1, 7, Array.from({ length: 20 }, (_, i) => [i, "name" + i, i * 0.5])],
  "object with a Map and nested arrays": [1, 9, { rows: [[1, 2], [3, 4]], index: new Map([[1, "a"], [2, "b"]]), tags: ["x", "y"] }],
};
const COUNT = Number(process.env.COUNT ?? 200_000);
/** Only the codecs and cases whose "codec encode|decode case" name matches this pattern. */
const ONLY = new RegExp(process.env.ONLY ?? "");

function cpuNs(fn) {
  const t = process.cpuUsage();
  fn();
  const d = process.cpuUsage(t);
  return ((d.user + d.system) * 1000) / COUNT;
}

async function measure(dist) {
  // MARKED=1: a process that has marked a value (a Python manager server), where the codecs
  // look for marks on every array, Map, Set, byte array and Date.
  if (process.env.MARKED === "1") {
    const marks = await import(pathToFileURL(resolve(dist, "core/python-types.js")).href).catch(() => import(pathToFileURL(resolve(dist, "pymanager/pickle/python-types.js")).href));
    marks.tuple(1, 2);
  }
  const { createMsgpackCodec } = await import(pathToFileURL(resolve(dist, "codecs/msgpack.js")).href);
  const { createJsonCodec } = await import(pathToFileURL(resolve(dist, "codecs/json-ext.js")).href);
  const codecs = { msgpack: createMsgpackCodec(), "json-ext": createJsonCodec({ extended: true }) };
  const out = {};
  for (const [codecName, codec] of Object.entries(codecs)) {
    for (const [caseName, value] of Object.entries(CASES)) {
      if (!ONLY.test(`${codecName} encode ${caseName}`) && !ONLY.test(`${codecName} decode ${caseName}`)) continue;
      const bytes = codec.encode(value);
      const enc = () => { for (let i = 0; i < COUNT; i++) codec.encode(value); };
      const dec = () => { for (let i = 0; i < COUNT; i++) codec.decode(bytes); };
      enc(); dec();
      out[`${codecName} encode ${caseName}`] = cpuNs(enc);
      out[`${codecName} decode ${caseName}`] = cpuNs(dec);
    }
  }
  return out;
}

const dists = process.argv.slice(2);
if (dists.length === 0) throw new Error("usage: node bench/codecs/plain-values.mjs DIST [DIST...]");
const results = [];
for (const dist of dists) results.push(await measure(dist));
for (const key of Object.keys(results[0])) {
  console.log(`${key.padEnd(62)} ${results.map((r) => r[key].toFixed(1).padStart(8)).join(" ")} ns`);
}
