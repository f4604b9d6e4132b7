/**
 * NATS's own Services API (ADR-32, `@nats-io/services`): every instance of a `nats://`
 * service registers with it, so `$SRV.PING`, `$SRV.INFO` and `$SRV.STATS` (for all services,
 * for one by name, for one instance by name and id) answer as for any NATS micro-service, and
 * NATS's tooling (`nats micro ls/info/stats`) lists farcall's instances; natsInstances() and
 * `farcall list nats://...` read the same answers.
 *
 * How farcall's methods map onto endpoints: one endpoint per method, named after its path
 * (characters the API does not allow in a name become `_`) on the subject the method is
 * called on (`<service>.<path>`) in queue group `<service>`: exactly where the instance's one
 * wildcard subscription (`<service>.>`) takes it. The package serves its endpoints through a
 * subscription per endpoint and counts only a handler's synchronous time and throws; farcall's
 * calls are asynchronous, answer errors rather than throw them, and keep their one
 * subscription so a call costs what it did. So the package registers the service (its id,
 * the nine `$SRV` subscriptions, the answers' formats, draining them on stop) and the
 * instance supplies the endpoints of INFO and the figures of STATS from its own counts
 * (call-stats.ts). An endpoint's metadata holds the method's description and parameter
 * names, and JSON Schemas as JSON text (ADR-32 metadata is string to string).
 */
import { hostname } from "node:os";
import type { NatsConnection } from "@nats-io/transport-node";
import type { EndpointInfo, NamedEndpointStats, Service, ServiceClient, ServiceInfo, ServiceStats } from "@nats-io/services";
import type { MethodInfo } from "../core/dispatcher.js";
import { RpcError } from "../core/errors.js";
import type { JsonSchema } from "../core/json-schema.js";
import { NATS_SESSION } from "./address.js";
import { errorLine, type CallStats } from "./call-stats.js";
import { loadNatsServices } from "./loader.js";

/** Service metadata key holding the farcall service name (the API's name allows no dots). */
const SERVICE_KEY = "farcall.service";
/** The endpoint of `$session`, which opens sessions pinned to the instance. */
const SESSION_ENDPOINT = "farcall-session";
const NS_PER_MS = 1e6;

/** What one instance says about itself, read from `$SRV.INFO` and `$SRV.STATS`. */
export interface InstanceHealth {
  /** The service name. */
  service: string;
  /** This instance's id: its Services API id, also in every reply's `Farcall-Instance` header. */
  instance: string;
  /** The version it announces (`nats.version`). */
  version: string;
  host: string;
  pid: number;
  /** Time since the instance started listening, ms. */
  uptimeMs: number;
  /** One-shot calls answered (or notifications run) since it started. */
  callsServed: number;
  /** Of those, the ones that failed. */
  callsFailed: number;
  /** One-shot calls running now. */
  callsInFlight: number;
  /** Sessions (callbacks, references, streams) pinned to this instance now. */
  sessions: number;
  /** The methods it serves, as its `$SRV.INFO` endpoints describe them. */
  methods: MethodInfo[];
}

/** What the instance tells the Services API about itself. */
export interface ServiceApiSource {
  /** The farcall service name: subject prefix and queue group. */
  service: string;
  /** Semantic version announced. */
  version: string;
  methods: readonly MethodInfo[];
  stats: CallStats;
  /** Sessions opened since start, and open now. */
  sessions(): { opened: number; open: number };
}

/** The name the Services API knows `service` by: its own rule allows letters, digits, `-` and `_`. */
export function serviceApiName(service: string): string {
  return service.replace(/[^-\w]/g, "_");
}

/** Registers the instance with NATS's Services API; the Service's id is the instance's id. */
export async function registerServiceApi(nc: NatsConnection, source: ServiceApiSource): Promise<Service> {
  const { Svcm } = await loadNatsServices();
  const { service } = source;
  let svc: Service;
  try {
    // The package is built on its own copy of the NATS core; the connection is the same protocol.
    svc = await new Svcm(nc as never).add({
      name: serviceApiName(service),
      version: source.version,
      description: `farcall service ${service}`,
      metadata: { [SERVICE_KEY]: service, host: hostname(), pid: String(process.pid) },
    });
  } catch (err) {
    throw new TypeError(`NATS Services API refused service ${JSON.stringify(service)} version ${JSON.stringify(source.version)}: ${(err as Error).message}`, { cause: err });
  }
  const endpoints: EndpointInfo[] = source.methods.map((m) => ({ name: serviceApiName(m.name), subject: `${service}.${m.name}`, queue_group: service, metadata: methodMetadata(m) }));
  endpoints.push({ name: SESSION_ENDPOINT, subject: `${service}.${NATS_SESSION}`, queue_group: service, metadata: { description: "opens a session pinned to this instance (callbacks, references, streams)" } });
  const baseInfo = svc.info.bind(svc);
  const baseStats = svc.stats.bind(svc);
  svc.info = (): ServiceInfo => ({ ...baseInfo(), endpoints });
  svc.stats = async (): Promise<ServiceStats> => ({ ...(await baseStats()), endpoints: endpointStats(source) });
  return svc;
}

function methodMetadata(m: MethodInfo): Record<string, string> {
  const out: Record<string, string> = { arity: String(m.arity) };
  if (m.description !== undefined) out.description = m.description;
  if (m.params !== undefined) out.params = JSON.stringify(m.params);
  if (m.paramSchemas !== undefined) out.param_schemas = JSON.stringify(m.paramSchemas);
  if (m.resultSchema !== undefined) out.result_schema = JSON.stringify(m.resultSchema);
  return out;
}

function endpointStats(source: ServiceApiSource): NamedEndpointStats[] {
  const { service } = source;
  const out: NamedEndpointStats[] = [];
  for (const s of source.stats.all()) {
    const processing = Math.round(s.processingMs * NS_PER_MS);
    out.push({
      name: serviceApiName(s.method),
      subject: `${service}.${s.method}`,
      queue_group: service,
      num_requests: s.requests,
      num_errors: s.errors,
      ...(s.errors > 0 ? { last_error: errorLine(s.lastError) } : {}),
      processing_time: processing,
      average_processing_time: s.requests > 0 ? Math.round(processing / s.requests) : 0,
      data: { in_flight: s.inFlight },
    } as NamedEndpointStats);
  }
  const sessions = source.sessions();
  out.push({ name: SESSION_ENDPOINT, subject: `${service}.${NATS_SESSION}`, queue_group: service, num_requests: sessions.opened, num_errors: 0, processing_time: 0, average_processing_time: 0, data: { open: sessions.open } } as NamedEndpointStats);
  return out;
}

/** The instances of `service` that answer both `$SRV.INFO` and `$SRV.STATS` within `windowMs`, sorted by id. */
export async function readServiceApi(nc: NatsConnection, service: string, windowMs: number): Promise<InstanceHealth[]> {
  const { Svcm } = await loadNatsServices();
  const client: ServiceClient = new Svcm(nc as never).client({ strategy: "timer", maxWait: windowMs });
  const name = serviceApiName(service);
  const [infos, stats] = await Promise.all([collect(client.info(name)), collect(client.stats(name))]);
  const infoById = new Map<string, ServiceInfo>();
  for (const i of infos) if (i.metadata?.[SERVICE_KEY] === service) infoById.set(i.id, i);
  const out: InstanceHealth[] = [];
  for (const s of stats) {
    const info = infoById.get(s.id);
    if (info !== undefined) out.push(healthOf(service, info, s));
  }
  return out.sort((a, b) => (a.instance < b.instance ? -1 : 1));
}

/** Every answer of one Services API request; none when nobody answers (no responders). */
async function collect<T>(request: Promise<AsyncIterable<T>>): Promise<T[]> {
  const out: T[] = [];
  try {
    for await (const answer of await request) out.push(answer);
  } catch (err) {
    if (!isNoResponders(err)) throw new RpcError("UNAVAILABLE", `NATS Services API request failed: ${(err as Error).message}`, undefined, { cause: err });
  }
  return out;
}

function isNoResponders(err: unknown): boolean {
  const e = err as { name?: unknown; isNoResponders?: () => boolean; cause?: unknown };
  return e?.name === "NoRespondersError" || (typeof e?.isNoResponders === "function" && e.isNoResponders()) || (e?.cause !== undefined && isNoResponders(e.cause));
}

function healthOf(service: string, info: ServiceInfo, stats: ServiceStats): InstanceHealth {
  const prefix = `${service}.`;
  const methods: MethodInfo[] = [];
  for (const e of info.endpoints) {
    if (e.name === SESSION_ENDPOINT || !e.subject.startsWith(prefix)) continue;
    methods.push(methodOf(e.subject.slice(prefix.length), e.metadata ?? {}));
  }
  let callsServed = 0;
  let callsFailed = 0;
  let callsInFlight = 0;
  let sessions = 0;
  for (const e of stats.endpoints ?? []) {
    const data = (e.data ?? {}) as { in_flight?: unknown; open?: unknown };
    if (e.name === SESSION_ENDPOINT) {
      sessions = Number(data.open ?? 0);
      continue;
    }
    callsServed += e.num_requests;
    callsFailed += e.num_errors;
    callsInFlight += Number(data.in_flight ?? 0);
  }
  const meta = info.metadata ?? {};
  return {
    service,
    instance: info.id,
    version: info.version,
    host: meta.host ?? "",
    pid: Number(meta.pid ?? 0),
    uptimeMs: Math.max(0, Date.now() - Date.parse(stats.started)),
    callsServed,
    callsFailed,
    callsInFlight,
    sessions,
    methods: methods.sort((a, b) => (a.name < b.name ? -1 : 1)),
  };
}

/** A method as an endpoint's metadata describes it; metadata that does not parse is left out. */
function methodOf(name: string, meta: Record<string, string>): MethodInfo {
  const m: MethodInfo = { name, arity: Number(meta.arity ?? 0) };
  if (meta.description !== undefined) m.description = meta.description;
  const params = parsed<string[]>(meta.params);
  if (params !== undefined) m.params = params;
  const paramSchemas = parsed<JsonSchema[]>(meta.param_schemas);
  if (paramSchemas !== undefined) m.paramSchemas = paramSchemas;
  const resultSchema = parsed<JsonSchema>(meta.result_schema);
  if (resultSchema !== undefined) m.resultSchema = resultSchema;
  return m;
}

function parsed<T>(text: string | undefined): T | undefined {
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text) as T;
  } catch {
    // Another tool's metadata under the same key: not ours to describe.
    return undefined;
  }
}
