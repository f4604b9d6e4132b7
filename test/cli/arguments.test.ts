import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { AUTHKEY_OPTION, COMMON_OPTIONS, parseCommandLine, parseTimeout, parseValue, rawValue, resolveAuthkey } from "../../src/cli/arguments.js";
import { CliError } from "../../src/cli/cli-error.js";

function isUsageError(message: RegExp) {
  return (err: unknown) => err instanceof CliError && err.exitCode === 2 && message.test(err.message);
}

describe("parseValue", () => {
  it("reads JSON: numbers, booleans, null, quoted strings, arrays and objects", () => {
    assert.equal(parseValue("10"), 10);
    assert.equal(parseValue("-1.5e3"), -1500);
    assert.equal(parseValue("true"), true);
    assert.equal(parseValue("null"), null);
    assert.equal(parseValue('"10"'), "10");
    assert.deepEqual(parseValue('{"a":[1,2]}'), { a: [1, 2] });
  });

  it("refuses what is not JSON, naming the argument and pointing at quoting and --raw", () => {
    assert.throws(() => parseValue("views", 2), isUsageError(/^argument 2 \("views"\) is not JSON: .*\nQuote a string as JSON \('"views"' in a shell\), or pass --raw/));
    assert.throws(() => parseValue("[1,2"), isUsageError(/^argument 1 \("\[1,2"\) is not JSON/));
    assert.throws(() => parseValue("{a:1}"), isUsageError(/is not JSON/));
    assert.throws(() => parseValue(""), isUsageError(/^argument 1 \(""\) is not JSON/));
  });
});

describe("rawValue", () => {
  it("takes the text as typed, a negative number included", () => {
    assert.equal(rawValue("hello world"), "hello world");
    assert.equal(rawValue("[1,2"), "[1,2");
    const { positionals } = parseCommandLine("call", ["-5"], { ...COMMON_OPTIONS });
    assert.equal(rawValue(positionals[0]!), "-5");
  });
});

describe("parseCommandLine", () => {
  const options = { ...COMMON_OPTIONS, ...AUTHKEY_OPTION, timeout: { type: "string" } } as const;

  it("keeps negative numbers as positionals, never as options", () => {
    const { positionals } = parseCommandLine("call", ["url", "counter.add", '"views"', "-5", "-0.5"], options);
    assert.deepEqual(positionals.slice(2).map((text) => parseValue(text)), ["views", -5, -0.5]);
  });

  it("reads options anywhere on the line", () => {
    const { values, positionals } = parseCommandLine("call", ["--authkey", "k", "url", "get", "--timeout", "50", "a"], options);
    assert.deepEqual({ ...values }, { authkey: "k", timeout: "50" });
    assert.deepEqual(positionals, ["url", "get", "a"]);
  });

  it("an unknown option is a usage error pointing at the command's --help", () => {
    assert.throws(() => parseCommandLine("call", ["-x"], options), isUsageError(/Unknown option '-x'[\s\S]*farcall call --help/));
  });
});

describe("resolveAuthkey", () => {
  it("--authkey wins over FARCALL_AUTHKEY", () => {
    assert.equal(resolveAuthkey("a", { FARCALL_AUTHKEY: "b" }), "a");
  });

  it("FARCALL_AUTHKEY is used when there is no --authkey", () => {
    assert.equal(resolveAuthkey(undefined, { FARCALL_AUTHKEY: "b" }), "b");
  });

  it("an empty key counts as none", () => {
    assert.equal(resolveAuthkey(undefined, { FARCALL_AUTHKEY: "" }), undefined);
    assert.equal(resolveAuthkey(undefined, {}), undefined);
  });
});

describe("parseTimeout", () => {
  it("reads whole milliseconds, 0 included; no option is undefined", () => {
    assert.equal(parseTimeout("250"), 250);
    assert.equal(parseTimeout("0"), 0);
    assert.equal(parseTimeout(undefined), undefined);
  });

  for (const text of ["", "soon", "1.5", "-5", "1e400"]) {
    it(`${JSON.stringify(text)} is a usage error`, () => {
      assert.throws(() => parseTimeout(text), isUsageError(/--timeout must be a whole number of milliseconds/));
    });
  }
});
