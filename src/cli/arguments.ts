/**
 * Command-line parsing shared by every command: node's util.parseArgs with farcall's rules
 * (bad usage exits 2 and points at --help), and the reading of call arguments (JSON, or --raw strings).
 */
import { parseArgs, type ParseArgsConfig } from "node:util";
import { CliError } from "./cli-error.js";

type Options = NonNullable<ParseArgsConfig["options"]>;

/** The options every command accepts. */
export const COMMON_OPTIONS = {
  help: { type: "boolean", short: "h" },
} as const satisfies Options;

/** Options of the commands that need the server's key. */
export const AUTHKEY_OPTION = {
  authkey: { type: "string" },
} as const satisfies Options;

/** What parseArgs makes of a command line with `options`. */
export type CommandLine<O extends Options> = ReturnType<typeof parseArgs<{ args: string[]; options: O; allowPositionals: true; strict: true }>>;

// A JSON number: "-5" or "-1.5e3" must reach `call` as an argument, not as an unknown option.
const NEGATIVE_NUMBER = /^-(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?$/;

/**
 * parseArgs over `argv` for command `command`; usage errors become CliError (exit 2).
 * Negative numbers are kept as positionals: they are never option names here.
 */
export function parseCommandLine<O extends Options>(command: string, argv: string[], options: O): CommandLine<O> {
  // A leading space keeps parseArgs from reading "-5" as an option, and JSON.parse skips it.
  const args = argv.map((arg) => (NEGATIVE_NUMBER.test(arg) ? ` ${arg}` : arg));
  try {
    return parseArgs({ args, options, allowPositionals: true, strict: true });
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    throw new CliError(`${message}\nRun "farcall ${command} --help" for usage.`);
  }
}

/**
 * Call argument number `position` (from 1) read as JSON (`10`, `true`, `null`, `"10"`,
 * `[1,2]`, `{"a":1}`). Text that is not JSON is refused rather than taken as a string: a
 * typo such as `[1,2` or `{a:1}` would otherwise reach the method as text, silently.
 */
export function parseValue(text: string, position = 1): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    const shown = text.length > 40 ? `${text.slice(0, 40)}…` : text;
    throw new CliError(
      `argument ${position} (${JSON.stringify(shown)}) is not JSON: ${(err as Error).message}\n` +
        `Quote a string as JSON (${text.includes("'") || text.length > 40 ? `'"views"'` : `'${JSON.stringify(text)}'`} in a shell), or pass --raw to take every argument as a plain string.`,
    );
  }
}

/** A call argument taken as the plain string typed (`--raw`). */
export function rawValue(text: string): string {
  // parseCommandLine put a space before a negative number to keep it from parseArgs.
  return text.startsWith(" ") && NEGATIVE_NUMBER.test(text.slice(1)) ? text.slice(1) : text;
}

/** The authkey: `--authkey`, else FARCALL_AUTHKEY; an empty value counts as none. */
export function resolveAuthkey(option: string | undefined, env: NodeJS.ProcessEnv = process.env): string | undefined {
  const key = option ?? env.FARCALL_AUTHKEY;
  return key === undefined || key === "" ? undefined : key;
}

/** `--timeout MS`: a whole number of milliseconds, 0 for none. */
export function parseTimeout(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const ms = Number(text.trim());
  if (text.trim() === "" || !Number.isSafeInteger(ms) || ms < 0) {
    throw new CliError(`--timeout must be a whole number of milliseconds (0 for none), got ${JSON.stringify(text.trim())}`);
  }
  return ms;
}
