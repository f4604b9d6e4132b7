/**
 * The pickle codec against real Pythons: python3 (required) and, through pyenv, 2.7, 3.12
 * and 3.13 where installed. Each pickles a table of values at every protocol it writes and
 * we decode them; each loads what we encode at protocols 2-4 (2 only for 2.7) with its
 * default unpickler and prints the repr; and pickles whose loading runs a command are
 * refused, the command never running.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { decodePickle, encodePickle } from "../../src/pymanager/pickle/pickle.js";
import { RpcError } from "../../src/core/errors.js";
import { FROM_PYTHON, range, TO_PYTHON } from "../fixtures/pickle/interop-cases.js";
import { MANAGER_GLOBALS } from "../fixtures/pickle/samples.js";
import { findPyenv, python3Missing } from "../helpers/python.js";

const PEER = fileURLToPath(new URL("../fixtures/pickle/pickle_peer.py", import.meta.url));
/** Bound on every Python run: a hung interpreter fails the test instead of hanging it. */
const PYTHON_TIMEOUT_MS = 30_000;
/** The Pythons wanted besides python3 (3.11 here), by version prefix. */
const WANTED = ["2.7", "3.11", "3.12", "3.13"];

interface Python {
  label: string;
  exe: string;
  major: number;
}

function versionOf(exe: string): string | undefined {
  const run = spawnSync(exe, ["-c", "import sys; print('%d.%d.%d' % sys.version_info[:3])"], { encoding: "utf8", timeout: PYTHON_TIMEOUT_MS });
  return run.status === 0 ? run.stdout.trim() : undefined;
}

/** python3, then each wanted pyenv version that is installed; a missing one is reported (fatal in CI). */
function findPythons(): { pythons: Python[]; missing: string[] } {
  const pythons: Python[] = [];
  const missing: string[] = [];
  if (python3Missing("pickle Python interop tests") !== undefined) return { pythons, missing };
  const own = versionOf("python3") ?? "3";
  pythons.push({ label: `python3 (${own})`, exe: "python3", major: Number(own.split(".")[0]) });
  for (const prefix of WANTED) {
    if (own.startsWith(`${prefix}.`)) continue;
    const exe = findPyenv(prefix, "pickle interop");
    const version = exe === undefined ? undefined : versionOf(exe);
    if (exe !== undefined && version !== undefined) pythons.push({ label: `Python ${version}`, exe, major: Number(prefix.split(".")[0]) });
    else missing.push(prefix);
  }
  return { pythons, missing };
}

function runPeer(python: Python, args: string[], input = ""): unknown {
  const run = spawnSync(python.exe, [PEER, ...args], {
    input, encoding: "utf8", timeout: PYTHON_TIMEOUT_MS, maxBuffer: 256 * 1024 * 1024,
  });
  if (run.error) throw run.error;
  assert.equal(run.status, 0, `${python.label} ${args[0]} failed: ${run.stderr}`);
  return JSON.parse(run.stdout);
}

const hexOf = (bytes: Uint8Array): string => Buffer.from(bytes).toString("hex");

const { pythons, missing } = findPythons();
const scratch = mkdtempSync(join(tmpdir(), "farcall-pickle-"));
after(() => rmSync(scratch, { recursive: true, force: true }));

describe("pickle interop: Pythons found", () => {
  it("finds python3", { skip: pythons.length === 0 ? "python3 is missing" : false }, () => {
    assert.ok(pythons.length >= 1);
  });
  for (const version of missing) {
    it(`Python ${version}`, { skip: `Python ${version} is not installed` }, () => {});
  }
});

for (const python of pythons) {
  describe(`pickle interop with ${python.label}`, () => {
    it("decodes everything it pickles, at every protocol it writes", () => {
      const dump = runPeer(python, ["dump"]) as { highest: number; cases: Array<{ name: string; protocol: number; hex: string }> };
      assert.equal(dump.highest, python.major === 2 ? 2 : 5);
      const protocols = new Set<number>();
      for (const { name, protocol, hex } of dump.cases) {
        assert.ok(name in FROM_PYTHON, `no expected value for case ${name}`);
        protocols.add(protocol);
        const what = `${name} at protocol ${protocol}`;
        let value: unknown;
        try {
          value = decodePickle(Buffer.from(hex, "hex"), { globals: MANAGER_GLOBALS });
        } catch (err) {
          assert.fail(`${what}: ${String(err)}\n${hex}`);
        }
        assert.deepStrictEqual(value, FROM_PYTHON[name], what);
        if (name === "shared") assert.equal((value as unknown[])[0], (value as unknown[])[1], `${what}: one list, twice`);
        if (name === "cyclic_list") assert.equal((value as unknown[])[0], value, `${what}: the list holds itself`);
        if (name === "cyclic_dict") assert.equal((value as Map<unknown, unknown>).get(1), value, `${what}: the dict holds itself`);
      }
      assert.deepEqual([...protocols].sort(), range(dump.highest + 1));
    });

    const protocols = python.major === 2 ? [2] as const : [2, 3, 4] as const;
    it(`loads what we encode at protocol ${protocols.join(", ")} with its default unpickler`, () => {
      const requests = protocols.flatMap((protocol) =>
        TO_PYTHON.map(([name, value]) => ({ name: `${name} @${protocol}`, hex: hexOf(encodePickle(value, { protocol })) })));
      const answers = runPeer(python, ["load"], JSON.stringify(requests)) as Array<{ name: string; repr?: string; error?: string }>;
      assert.equal(answers.length, requests.length);
      for (const [i, answer] of answers.entries()) {
        const expected = TO_PYTHON[i % TO_PYTHON.length][2];
        assert.equal(answer.error, undefined, `${answer.name}: Python could not load it`);
        assert.equal(answer.repr, expected, answer.name);
      }
    });

    it("has its command-running pickles refused, and the command never runs", () => {
      const marker = join(scratch, `marker-${python.label.replace(/\W+/g, "-")}`);
      const cases = runPeer(python, ["malicious", marker]) as Array<{ name: string; protocol: number; hex: string }>;
      // Python 3 writes subprocess.call as commands.call at protocols 0-2 (its fix_imports).
      assert.ok(cases.length >= 9);
      for (const { name, protocol, hex } of cases) {
        let caught: unknown;
        try {
          decodePickle(Buffer.from(hex, "hex"), { globals: MANAGER_GLOBALS });
        } catch (err) {
          caught = err;
        }
        assert.ok(RpcError.is(caught), `${name} at protocol ${protocol} was not refused`);
        assert.equal(caught.code, "PARSE_ERROR");
        assert.match(caught.message, /^pickle refused: global (posix\.system|nt\.system|builtins\.eval|__builtin__\.eval|subprocess\.call|commands\.call) is not allowed$/);
      }
      assert.equal(existsSync(marker), false, "the marker file must never appear");
    });
  });
}

describe("pickle interop: the malicious payloads are live", () => {
  it("python3's own unpickler runs the command in them (so the refusal above is meaningful)", { skip: pythons.length === 0 ? "python3 is missing" : false }, () => {
    const python = pythons[0];
    const marker = join(scratch, "control-marker");
    const cases = runPeer(python, ["malicious", marker]) as Array<{ name: string; protocol: number; hex: string }>;
    const payload = cases.find((c) => c.name === "SystemCall" && c.protocol === 4)!;
    runPeer(python, ["load"], JSON.stringify([{ name: "control", hex: payload.hex }]));
    assert.equal(existsSync(marker), true, "Python itself must create the control marker");
  });
});
