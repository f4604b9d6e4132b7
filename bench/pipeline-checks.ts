/**
 * CPU per call that argument checks, declared errors and OpenTelemetry add to the call pipeline, measured in
 * one process with no transport: each variant dispatches the same two-number `add` through
 * a CallPipeline, and the figure is process CPU time (user + system) over the calls. What a
 * variant adds is its figure minus its baseline's, measured in the same run.
 *
 *   node --import tsx bench/pipeline-checks.ts [calls per round, default 200000]
 */
import { MeterProvider, MetricReader } from "@opentelemetry/sdk-metrics";
import { BasicTracerProvider, SimpleSpanProcessor, type SpanExporter } from "@opentelemetry/sdk-trace-base";
import { z } from "zod";
import "../src/runtime-node.js"; // context() on AsyncLocalStorage, as in a served process
import { Dispatcher } from "../src/core/dispatcher.js";
import { RpcError } from "../src/core/errors.js";
import { IncomingCall } from "../src/core/incoming-call.js";
import { silentLogger } from "../src/core/logger.js";
import { describeMethod } from "../src/core/method-doc.js";
import { CallPipeline, type CallSink, type Interceptor } from "../src/core/pipeline.js";
import { close, connect, serve } from "../src/index.js";
import { otelClient, otelServer } from "../src/otel/index.js";

const CALLS = Number(process.argv[2] ?? 200_000);
const ROUNDS = 5;
const peer = { transport: "tcp", address: "127.0.0.1", port: 40000, authenticated: false };

const add = (a: number, b: number) => a + b;
const apis = {
  unchecked: { add: describeMethod((a: number, b: number) => a + b, { variadic: true }) },
  counted: { add },
  schemas: { add: describeMethod((a: number, b: number) => a + b, { input: [z.number(), z.number()] }) },
  declared: { add: describeMethod((a: number, b: number) => a + b, { errors: { OVERFLOW: z.object({ limit: z.number() }) } }) },
  throws: { add: (a: number, b: number): number => { throw new RpcError("OVERFLOW", "too big", { limit: a + b }); } },
  throwsDeclared: {
    add: describeMethod((a: number, b: number): number => { throw new RpcError("OVERFLOW", "too big", { limit: a + b }); }, { errors: { OVERFLOW: z.object({ limit: z.number() }) } }),
  },
};

/** A span exporter that drops everything: the SDK's own cost, without I/O. */
const dropAll: SpanExporter = { export: (_spans, done) => done({ code: 0 }), shutdown: async () => {} };
class IdleReader extends MetricReader {
  protected async onForceFlush(): Promise<void> {}
  protected async onShutdown(): Promise<void> {}
}
const sdk = { tracerProvider: new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(dropAll)] }), meterProvider: new MeterProvider({ readers: [new IdleReader()] }) };
const passThrough: Interceptor = (_call, next) => next();

function pipeline(api: object, use?: Interceptor[]): CallPipeline {
  return new CallPipeline({ dispatcher: new Dispatcher(api), logger: silentLogger, ...(use ? { use } : {}) });
}

const sink: CallSink = { inFlight: 0, maxInFlight: Infinity, scope: "bench", settled: () => {} };

/** µs of CPU per call for synchronous dispatch (the handler answers in the same turn). */
function syncRound(p: CallPipeline): number {
  const start = process.cpuUsage();
  for (let i = 0; i < CALLS; i++) p.dispatch(new IncomingCall("farcall/1", i, "add", [i, 1], peer, undefined, undefined), sink);
  const used = process.cpuUsage(start);
  return (used.user + used.system) / CALLS;
}

/** µs of CPU per call when each call is awaited (interceptors make calls asynchronous). */
async function asyncRound(p: CallPipeline): Promise<number> {
  const n = CALLS / 4;
  const start = process.cpuUsage();
  for (let i = 0; i < n; i++) await p.invoke(new IncomingCall("farcall/1", i, "add", [i, 1], peer, undefined, undefined));
  const used = process.cpuUsage(start);
  return (used.user + used.system) / n;
}

const variants: [string, () => number | Promise<number>][] = [
  ["sync: no check (variadic)", () => syncRound(pipeline(apis.unchecked))],
  ["sync: argument count", () => syncRound(pipeline(apis.counted))],
  ["sync: zod schemas [number, number]", () => syncRound(pipeline(apis.schemas))],
  ["sync: errors declared, call succeeds", () => syncRound(pipeline(apis.declared))],
  ["sync: throws RpcError, nothing declared", () => syncRound(pipeline(apis.throws))],
  ["sync: throws a declared code, zod data checked", () => syncRound(pipeline(apis.throwsDeclared))],
  ["async: pass-through interceptor", () => asyncRound(pipeline(apis.unchecked, [passThrough]))],
  ["async: otelServer(), no SDK", () => asyncRound(pipeline(apis.unchecked, [otelServer()]))],
  ["async: otelServer(), SDK, dropping exporter", () => asyncRound(pipeline(apis.unchecked, [otelServer(sdk)]))],
];

const best = new Map<string, number>();
for (let round = 0; round < ROUNDS; round++) {
  for (const [name, run] of variants) {
    const us = await run();
    if (round > 0) best.set(name, Math.min(best.get(name) ?? Infinity, us)); // round 0 warms up
  }
}
for (const [name] of variants) console.log(`${name.padEnd(46)} ${best.get(name)!.toFixed(3)} µs CPU/call`);

/**
 * The same over farcall/1 on loopback TCP, client and server in this process, one call at a
 * time (W1's shape): CPU of both sides per call, so it includes framing, codec and sockets.
 */
async function tcpRound(api: object, serverUse: Interceptor[], clientUse: Parameters<typeof otelClient>[0] | undefined): Promise<number> {
  const server = await serve(api, { listen: "tcp://127.0.0.1:0", logger: false, use: serverUse });
  const remote = await connect<{ add(a: number, b: number): number }>(server.addresses[0]!, clientUse ? { use: [otelClient(clientUse)] } : {});
  const n = CALLS / 20;
  for (let i = 0; i < 1000; i++) await remote.add(i, 1);
  const start = process.cpuUsage();
  for (let i = 0; i < n; i++) await remote.add(i, 1);
  const used = process.cpuUsage(start);
  await close(remote);
  await server.close();
  return (used.user + used.system) / n;
}

const tcpVariants: [string, () => Promise<number>][] = [
  ["tcp: no check, no interceptor", () => tcpRound(apis.unchecked, [], undefined)],
  ["tcp: zod schemas [number, number]", () => tcpRound(apis.schemas, [], undefined)],
  ["tcp: otelServer() + otelClient(), no SDK", () => tcpRound(apis.unchecked, [otelServer()], {})],
  ["tcp: otelServer() + otelClient(), SDK", () => tcpRound(apis.unchecked, [otelServer(sdk)], sdk)],
];
const tcpBest = new Map<string, number>();
for (let round = 0; round < ROUNDS; round++) {
  for (const [name, run] of tcpVariants) {
    const us = await run();
    if (round > 0) tcpBest.set(name, Math.min(tcpBest.get(name) ?? Infinity, us));
  }
}
for (const [name] of tcpVariants) console.log(`${name.padEnd(46)} ${tcpBest.get(name)!.toFixed(2)} µs CPU/call (both sides)`);
