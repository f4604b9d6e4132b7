/**
 * `farcall list URL`: what a server exposes, one line per method: `name(arity)`, or
 * `name(param, ...)  description` for a method described with describeMethod(), with the
 * JSON Schema type of each parameter and of the result where it has Standard Schemas.
 */
import { listMethods, natsInstances, RpcError, type InstanceHealth, type MethodInfo } from "../index.js";
import { typeNameOf } from "../core/json-schema.js";
import { isNatsUrl } from "../nats/address.js";
import { parseCommandLine } from "./arguments.js";
import { TLS_USAGE } from "./tls-files.js";
import { CliError } from "./cli-error.js";
import { CLIENT_OPTIONS, clientFlags, withRemote } from "./connect-remote.js";

/** `farcall list --help`. */
export const LIST_USAGE = `Usage: farcall list URL [options]

Prints the methods the server at URL exposes, sorted, one per line with the number of
parameters each declares: counter.inc(1). For a service on NATS (nats://HOST:PORT/SERVICE),
then prints how many instances answer a health request, one line per instance: its id,
host and process, uptime, calls served and calls in flight.

Options:
  --authkey KEY    the server's shared secret (default: $FARCALL_AUTHKEY)
  --timeout MS     give up after MS milliseconds
${TLS_USAGE.client}
  -h, --help       show this help

Exit status: 0 with the list on stdout; 2 for bad usage, when the server cannot be
reached or refuses the key, or cannot list (Python's own manager server).`;

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
  const { methods, instances } = await withRemote(url, flags, async (remote) => ({
    methods: await listMethods(remote).catch((err: unknown) => {
      // A server that cannot list (Python's manager server) is not a remote failure but a question it has no answer to.
      throw RpcError.is(err) && err.code === "METHOD_NOT_FOUND" ? new CliError(err.message) : err;
    }),
    instances: isNatsUrl(url) ? await natsInstances(remote) : undefined,
  }));
  process.stdout.write(methods.map((m) => `${signatureOf(m)}${m.description ? `  ${m.description}` : ""}\n`).join(""));
  if (instances) process.stdout.write(instanceLines(instances).join(""));
}

/**
 * `add(a, b)`, `add(a: number, b: integer) -> number` where the method has schemas,
 * `add(number, integer)` with schemas but no names, `add(2)` with neither.
 */
function signatureOf(m: MethodInfo): string {
  const result = m.resultSchema ? ` -> ${typeNameOf(m.resultSchema) ?? "any"}` : "";
  if (!m.params && !m.paramSchemas) return `${m.name}(${m.arity})${result}`;
  const count = m.params?.length ?? m.paramSchemas!.length;
  const params = Array.from({ length: count }, (_, i) => {
    const type = m.paramSchemas ? (typeNameOf(m.paramSchemas[i]) ?? "any") : undefined;
    const name = m.params?.[i];
    return name !== undefined && type !== undefined ? `${name}: ${type}` : (name ?? type);
  });
  return `${m.name}(${params.join(", ")})${result}`;
}

/** "3 instances answer:" and one line per instance. */
function instanceLines(instances: InstanceHealth[]): string[] {
  const head = `${instances.length} instance${instances.length === 1 ? "" : "s"} answer${instances.length === 1 ? "s" : ""}${instances.length > 0 ? ":" : ""}\n`;
  return [
    head,
    ...instances.map(
      (i) => `  ${i.instance} ${i.host} pid ${i.pid}: up ${(i.uptimeMs / 1000).toFixed(1)} s, ${i.callsServed} calls served, ${i.callsInFlight} in flight${i.draining ? ", draining" : ""}\n`,
    ),
  ];
}
