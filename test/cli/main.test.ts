import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { before, describe, it } from "node:test";
import { REPO, requireBuild, runCli } from "./cli-process.js";

describe("farcall (top level)", () => {
  before(requireBuild);

  for (const args of [["--help"], ["-h"], ["help"]]) {
    it(`${args.join(" ")} lists the commands on stdout and exits 0`, async (t) => {
      const result = await runCli(t, args);
      assert.equal(result.code, 0);
      assert.match(result.stdout, /^Usage: farcall <command>/);
      for (const command of ["serve", "call", "list"]) assert.match(result.stdout, new RegExp(`^  ${command} `, "m"));
    });
  }

  it("help COMMAND is COMMAND --help", async (t) => {
    const result = await runCli(t, ["help", "call"]);
    assert.equal(result.code, 0);
    assert.match(result.stdout, /^Usage: farcall call URL METHOD/);
  });

  it("--version prints the package version", async (t) => {
    const { version } = JSON.parse(readFileSync(`${REPO}package.json`, "utf8")) as { version: string };
    const result = await runCli(t, ["--version"]);
    assert.deepEqual([result.code, result.stdout], [0, `${version}\n`]);
  });

  it("no command exits 2 with the usage on stderr", async (t) => {
    const result = await runCli(t, []);
    assert.equal(result.code, 2);
    assert.match(result.stderr, /no command given[\s\S]*Usage: farcall <command>/);
  });

  it("an unknown command exits 2 naming it", async (t) => {
    const result = await runCli(t, ["constructor"]);
    assert.equal(result.code, 2);
    assert.match(result.stderr, /unknown command "constructor"/);
  });

  it("the built entry point starts with a node shebang, so npm can link it as a command", () => {
    assert.match(readFileSync(`${REPO}dist/cli/main.js`, "utf8"), /^#!\/usr\/bin\/env node\n/);
  });
});
