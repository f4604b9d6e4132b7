#!/usr/bin/env node
/**
 * The `farcall` command: serve a module, call a method, list what a server exposes.
 * Every failure ends here: a message on stderr and a documented exit status (see EXIT).
 */
import "../runtime-node.js";
import { readFileSync } from "node:fs";
import { CliError, EXIT } from "./cli-error.js";

const USAGE = `Usage: farcall <command> [options]

Commands:
  serve [module]            serve a module's exports (no module: the demo service)
  call URL METHOD [ARG...]  call a method and print its result as JSON
  list URL                  list the methods a server exposes

Options:
  -h, --help                show this help ("farcall <command> --help" for a command's)
  -v, --version             print farcall's version

The authkey comes from --authkey or the FARCALL_AUTHKEY environment variable.
Exit status: 0 success, 1 the remote method failed, 2 bad usage or no connection.

Quick start:
  farcall serve                                              # the demo service on tcp://127.0.0.1:4343
  farcall call tcp://127.0.0.1:4343 counter.inc '"views"'    # in another terminal (ARGs are JSON)`;

/**
 * Each command is imported when it runs: `farcall call` starts without loading the server,
 * the demo service and their families, which `farcall serve` needs.
 */
const COMMANDS: Readonly<Record<string, (argv: string[]) => Promise<void>>> = {
  serve: async (argv) => (await import("./serve-command.js")).serveCommand(argv),
  call: async (argv) => (await import("./call-command.js")).callCommand(argv),
  list: async (argv) => (await import("./list-command.js")).listCommand(argv),
};

async function main(argv: string[]): Promise<void> {
  const [first, ...rest] = argv;
  if (first === "-h" || first === "--help" || (first === "help" && rest.length === 0)) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  if (first === "-v" || first === "--version") {
    process.stdout.write(`${version()}\n`);
    return;
  }
  // "farcall help serve" is "farcall serve --help".
  const [name, args] = first === "help" ? [rest[0], ["--help"]] : [first, rest];
  if (name === undefined) throw new CliError(`no command given\n\n${USAGE}`);
  if (!Object.hasOwn(COMMANDS, name)) throw new CliError(`unknown command ${JSON.stringify(name)}\n\n${USAGE}`);
  await COMMANDS[name]!(args);
}

function version(): string {
  // package.json is two levels up from both src/cli/ and dist/cli/.
  const pkg = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as { version: string };
  return pkg.version;
}

main(process.argv.slice(2)).catch((err: unknown) => {
  if (err instanceof CliError) {
    // A remote error is the server's answer, printed as is; anything else is farcall's.
    process.stderr.write(err.exitCode === EXIT.REMOTE_ERROR ? `${err.message}\n` : `farcall: ${err.message}\n`);
    process.exitCode = err.exitCode;
    return;
  }
  process.stderr.write(`farcall: unexpected error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exitCode = EXIT.USAGE;
});
