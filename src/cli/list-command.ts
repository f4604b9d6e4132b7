/**
 * `farcall list URL`: what a server exposes, one `name(arity)` line per method.
 */
import { listMethods } from "../index.js";
import { parseCommandLine } from "./arguments.js";
import { TLS_USAGE } from "./tls-files.js";
import { CliError } from "./cli-error.js";
import { CLIENT_OPTIONS, clientFlags, withRemote } from "./connect-remote.js";

/** `farcall list --help`. */
export const LIST_USAGE = `Usage: farcall list URL [options]

Prints the methods the server at URL exposes, sorted, one per line with the number of
parameters each declares: counter.inc(1).

Options:
  --authkey KEY    the server's shared secret (default: $FARCALL_AUTHKEY)
  --timeout MS     give up after MS milliseconds
${TLS_USAGE.client}
  -h, --help       show this help

Exit status: 0 with the list on stdout; 2 for bad usage or when the server cannot be
reached or refuses the key.`;

/** Runs `farcall list` with the arguments after "list". */
export async function listCommand(argv: string[]): Promise<void> {
  const { values, positionals } = parseCommandLine("list", argv, CLIENT_OPTIONS);
  if (values.help) {
    process.stdout.write(`${LIST_USAGE}\n`);
    return;
  }
  if (positionals.length !== 1) throw new CliError('list needs exactly one URL\nRun "farcall list --help" for usage.');
  const [url] = positionals as [string];
  const flags = clientFlags(values);
  const methods = await withRemote(url, flags, (remote) => listMethods(remote));
  process.stdout.write(methods.map((m) => `${m.name}(${m.arity})\n`).join(""));
}
