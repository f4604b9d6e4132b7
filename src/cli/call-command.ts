/**
 * `farcall call URL METHOD [ARGS...]`: one call from the shell, its result as JSON on stdout.
 */
import { parseCommandLine, parseValue, rawValue } from "./arguments.js";
import { TLS_USAGE } from "./tls-files.js";
import { CliError } from "./cli-error.js";
import { CLIENT_OPTIONS, clientFlags, withRemote } from "./connect-remote.js";
import { renderJson } from "./render-json.js";

const CALL_OPTIONS = { ...CLIENT_OPTIONS, raw: { type: "boolean" } } as const;

/** `farcall call --help`. */
export const CALL_USAGE = `Usage: farcall call URL METHOD [ARG...] [options]

Calls METHOD (a dotted path such as counter.inc) on the server at URL and prints the
result as JSON on stdout.

Each ARG is JSON (10, true, null, "10", [1,2], {"a":1}); an ARG that is not JSON is
refused, naming it. A string is quoted as JSON, or --raw takes every ARG as a plain string,
so these are the same call:
  farcall call tcp://127.0.0.1:4343 put '"greeting"' '"hello"'
  farcall call tcp://127.0.0.1:4343 put greeting hello --raw
More ARGs than the method declares are refused by the server (INVALID_PARAMS).
URL is tcp://, tls://, unix://, http(s):// (JSON-RPC), xmlrpc+http(s):// (XML-RPC),
pymanager:// or nats://.

Values JSON cannot hold are printed as: BigInt as a decimal string, Map as an object
(or [key, value] entries when a key is not a string), Set as an array, Uint8Array as
base64, Date as ISO 8601, NaN and Infinity as strings, undefined as null.

Options:
  --authkey KEY    the server's shared secret (default: $FARCALL_AUTHKEY; prefer the
                   variable: command lines are visible to other users in ps)
  --timeout MS     give up on the call after MS milliseconds (exit 1, DEADLINE_EXCEEDED);
                   connecting is bounded on its own (10 s, exit 2)
  --raw            take every ARG as a plain string, not JSON
${TLS_USAGE.client}
  -h, --help       show this help

Exit status, the same for every URL scheme: 0 with the result on stdout; 1 when the
method failed ("CODE: message" on stderr, then "data: JSON" when the error carries data);
2 for bad usage (an ARG that is not JSON included), or when the server cannot be reached,
refuses the key, or is not an RPC endpoint.`;

/** Runs `farcall call` with the arguments after "call". */
export async function callCommand(argv: string[]): Promise<void> {
  const { values, positionals } = parseCommandLine("call", argv, CALL_OPTIONS);
  if (values.help) {
    process.stdout.write(`${CALL_USAGE}\n`);
    return;
  }
  const [url, method, ...rawArgs] = positionals;
  if (url === undefined || method === undefined) throw new CliError('call needs a URL and a METHOD\nRun "farcall call --help" for usage.');
  if (method === "" || method.split(".").includes("")) throw new CliError(`invalid method name ${JSON.stringify(method)}: expected a dotted path such as counter.inc`);
  const args = values.raw ? rawArgs.map(rawValue) : rawArgs.map((text, i) => parseValue(text, i + 1));
  const flags = clientFlags(values);

  const result = await withRemote(url, flags, (remote) => {
    let fn: unknown = remote;
    for (const part of method.split(".")) fn = (fn as Record<string, unknown>)[part];
    return (fn as (...a: unknown[]) => Promise<unknown>)(...args);
  });
  process.stdout.write(`${renderJson(result)}\n`);
}
