/**
 * `farcall list URL`: what a server exposes, one line per method: `name(arity)`, or
 * `name(param, ...)  description` for a method described with describeMethod(), with the
 * JSON Schema type of each parameter and of the result where it has Standard Schemas.
 */
import { listMethods, natsInstances, RpcError, type InstanceHealth, type MethodInfo } from "../index.js";
import { typeNameOf, type JsonSchema } from "../core/json-schema.js";
import { isNatsUrl } from "../nats/address.js";
import { parseCommandLine } from "./arguments.js";
import { TLS_USAGE } from "./tls-files.js";
import { CliError } from "./cli-error.js";
import { CLIENT_OPTIONS, clientFlags, withRemote } from "./connect-remote.js";

/** `farcall list --help`. */
export const LIST_USAGE = `Usage: farcall list URL [options]

Prints the methods the server at URL exposes, sorted, one per line with the number of
parameters each declares: counter.inc(1), or with the names, types and description given
by describeMethod, followed by one "! CODE {data}" line per error code the method declares.
For a service on NATS (nats://HOST:PORT/SERVICE), both come from NATS's Services API
($SRV.INFO, $SRV.STATS), which then gives how many instances answer, one line per instance:
its id, version, host and process, uptime, calls served, failed and in flight.

Options:
  --authkey KEY    the server's shared secret (default: $FARCALL_AUTHKEY)
  --timeout MS     give up on the listing call after MS milliseconds;
                   connecting is bounded on its own (10 s, exit 2)
${TLS_USAGE.client}
  -h, --help       show this help

Exit status, the same for every URL scheme: 0 with the list on stdout; 2 for bad usage,
when the server cannot be reached, refuses the key or is not an RPC endpoint, or cannot
list (Python's own manager server).`;

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
  const { methods, instances } = await withRemote(url, flags, async (remote) => (isNatsUrl(url) ? fromServiceApi(url, await natsInstances(remote)) : { methods: await listedBy(remote), instances: undefined }));
  process.stdout.write(methods.map((m) => `${signatureOf(m)}${m.description ? `  ${m.description}` : ""}\n${errorLines(m)}`).join(""));
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

/** One indented line per declared error: `  ! INSUFFICIENT_FUNDS {balance: number}  description`. */
function errorLines(m: MethodInfo): string {
  return (m.errors ?? []).map((e) => `  ! ${e.code}${e.dataSchema ? ` ${dataShape(e.dataSchema)}` : ""}${e.description ? `  ${e.description}` : ""}\n`).join("");
}

/** `{balance: number, needed: number}` for an object schema, else its type name. */
function dataShape(schema: JsonSchema): string {
  const props = schema.properties;
  if (schema.type === "object" && typeof props === "object" && props !== null) {
    return `{${Object.entries(props as Record<string, JsonSchema>).map(([k, v]) => `${k}: ${typeNameOf(v) ?? "any"}`).join(", ")}}`;
  }
  return typeNameOf(schema) ?? "any";
}

/** listMethods(), where a server that cannot list (Python's manager server) is a question it has no answer to, not a remote failure. */
async function listedBy(remote: unknown): Promise<MethodInfo[]> {
  return listMethods(remote).catch((err: unknown) => {
    throw RpcError.is(err) && err.code === "METHOD_NOT_FOUND" ? new CliError(err.message) : err;
  });
}

/** The methods of a NATS service's instances (each once, by name), and the instances. */
function fromServiceApi(url: string, instances: InstanceHealth[]): { methods: MethodInfo[]; instances: InstanceHealth[] } {
  if (instances.length === 0) throw new RpcError("UNAVAILABLE", `no instance of ${url} answers NATS's Services API ($SRV.INFO)`);
  const byName = new Map<string, MethodInfo>();
  for (const i of instances) for (const m of i.methods) if (!byName.has(m.name)) byName.set(m.name, m);
  return { methods: [...byName.values()].sort((a, b) => (a.name < b.name ? -1 : 1)), instances };
}

/** "3 instances answer:" and one line per instance. */
function instanceLines(instances: InstanceHealth[]): string[] {
  const head = `${instances.length} instance${instances.length === 1 ? "" : "s"} answer${instances.length === 1 ? "s" : ""}${instances.length > 0 ? ":" : ""}\n`;
  return [
    head,
    ...instances.map(
      (i) => `  ${i.instance} v${i.version} ${i.host} pid ${i.pid}: up ${(i.uptimeMs / 1000).toFixed(1)} s, ${i.callsServed} calls served, ${i.callsFailed} failed, ${i.callsInFlight} in flight\n`,
    ),
  ];
}
