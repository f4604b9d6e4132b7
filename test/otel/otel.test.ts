/**
 * OpenTelemetry (src/otel/): spans and metrics for calls, exported by the real SDK to its
 * in-memory exporters, with trace context carried in call metadata across protocols.
 */
import assert from "node:assert/strict";
import { once } from "node:events";
import { connect as netConnect } from "node:net";
import { after, before, describe, it } from "node:test";
import { context, propagation, SpanKind, SpanStatusCode, trace } from "@opentelemetry/api";
import { AsyncLocalStorageContextManager } from "@opentelemetry/context-async-hooks";
import { W3CTraceContextPropagator } from "@opentelemetry/core";
import { MeterProvider, MetricReader, type DataPoint, type Histogram } from "@opentelemetry/sdk-metrics";
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan } from "@opentelemetry/sdk-trace-base";
import { close, connect, context as callContext, RpcError, serve } from "../../src/index.js";
import { observeServer, otelClient, otelServer } from "../../src/otel/index.js";
import { until } from "../helpers/bounded.js";

const spans = new InMemorySpanExporter();
const tracerProvider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(spans)] });

/** A reader the test collects from when it asks, instead of on a timer. */
class OnDemandReader extends MetricReader {
  protected async onForceFlush(): Promise<void> {}
  protected async onShutdown(): Promise<void> {}
}
const reader = new OnDemandReader();
const meterProvider = new MeterProvider({ readers: [reader] });
const options = { tracerProvider, meterProvider };

before(() => {
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
});
after(() => {
  context.disable();
  propagation.disable();
});

const api = {
  add: (a: number, b: number) => a + b,
  fail: () => {
    throw new RpcError("TEAPOT", "short and stout");
  },
  traceparent: () => callContext().meta.traceparent,
};

/** The finished spans named `name`, exactly one expected. */
function only(name: string, kind: SpanKind): ReadableSpan {
  const found = spans.getFinishedSpans().filter((s) => s.name === name && s.kind === kind);
  assert.equal(found.length, 1, `one ${SpanKind[kind]} span ${name}; spans: ${spans.getFinishedSpans().map((s) => `${SpanKind[s.kind]} ${s.name}`).join(", ")}`);
  return found[0]!;
}

function parentOf(span: ReadableSpan): string | undefined {
  return span.parentSpanContext?.spanId;
}

/** A server with otelServer() on tcp and http, and a farcall/1 client with otelClient(). */
async function fixture(t: { after(fn: () => Promise<void>): void }, served: object = api) {
  const server = await serve(served, { listen: ["tcp://127.0.0.1:0", "http://127.0.0.1:0"], logger: false, use: [otelServer(options)] });
  const remote = await connect<typeof api>(server.addresses[0]!, { use: [otelClient(options)] });
  t.after(async () => {
    await close(remote);
    await server.close();
  });
  spans.reset();
  return { server, remote };
}

describe("spans", () => {
  it("a call makes a CLIENT span and a SERVER span, its child in the same trace, both named by the method", async (t) => {
    const { remote } = await fixture(t);
    assert.equal(await remote.add(1, 2), 3);
    const client = only("add", SpanKind.CLIENT);
    const server = only("add", SpanKind.SERVER);
    assert.equal(server.spanContext().traceId, client.spanContext().traceId);
    assert.equal(parentOf(server), client.spanContext().spanId);
    assert.equal(client.status.code, SpanStatusCode.UNSET);
  });

  it("spans carry the RPC semantic conventions' attributes: rpc.system, rpc.method and the peer", async (t) => {
    const { remote } = await fixture(t);
    await remote.add(1, 2);
    const server = only("add", SpanKind.SERVER);
    assert.equal(server.attributes["rpc.system"], "farcall");
    assert.equal(server.attributes["rpc.method"], "add");
    assert.equal(server.attributes["network.transport"], "tcp");
    assert.equal(server.attributes["network.peer.address"], "127.0.0.1");
    assert.equal(typeof server.attributes["network.peer.port"], "number");
    assert.deepEqual(only("add", SpanKind.CLIENT).attributes, { "rpc.system": "farcall", "rpc.method": "add" });
  });

  it("a failed call sets both spans' status to ERROR and error.type to its code", async (t) => {
    const { remote } = await fixture(t);
    await assert.rejects(remote.fail(), (e: unknown) => RpcError.is(e) && e.code === "TEAPOT");
    await assert.rejects((remote.add as (...args: number[]) => Promise<number>)(1, 2, 3), (e: unknown) => RpcError.is(e) && e.code === "INVALID_PARAMS");
    for (const kind of [SpanKind.CLIENT, SpanKind.SERVER]) {
      const fail = only("fail", kind);
      assert.equal(fail.status.code, SpanStatusCode.ERROR);
      assert.equal(fail.status.message, "short and stout");
      assert.equal(fail.attributes["error.type"], "TEAPOT");
      assert.equal(only("add", kind).attributes["error.type"], "INVALID_PARAMS");
    }
  });

  it("the handler sees the caller's W3C traceparent in context().meta", async (t) => {
    const { remote } = await fixture(t);
    const seen = await remote.traceparent();
    const client = only("traceparent", SpanKind.CLIENT).spanContext();
    assert.equal(seen, `00-${client.traceId}-${client.spanId}-01`);
  });

  it("three hops across two protocols are one trace: client -> A over farcall/1 tcp, A -> B over JSON-RPC http", async (t) => {
    const b = await serve({ double: (n: number) => n * 2 }, { listen: "http://127.0.0.1:0", logger: false, use: [otelServer(options)] });
    const toB = await connect<{ double(n: number): number }>(b.addresses[0]!, { use: [otelClient({ ...options, system: "jsonrpc" })] });
    t.after(async () => {
      await close(toB);
      await b.close();
    });
    const { remote } = await fixture(t, { quadruple: async (n: number) => toB.double(await toB.double(n)) });
    const root = tracerProvider.getTracer("test").startSpan("test");
    const result = await context.with(trace.setSpan(context.active(), root), () => (remote as unknown as { quadruple(n: number): Promise<number> }).quadruple(3));
    root.end();
    assert.equal(result, 12);
    const clientToA = only("quadruple", SpanKind.CLIENT);
    const atA = only("quadruple", SpanKind.SERVER);
    const toBSpans = spans.getFinishedSpans().filter((s) => s.name === "double" && s.kind === SpanKind.CLIENT);
    const atB = spans.getFinishedSpans().filter((s) => s.name === "double" && s.kind === SpanKind.SERVER);
    assert.equal(toBSpans.length, 2);
    assert.equal(atB.length, 2);
    const traceId = root.spanContext().traceId;
    for (const span of [clientToA, atA, ...toBSpans, ...atB]) assert.equal(span.spanContext().traceId, traceId, `${SpanKind[span.kind]} ${span.name} is in the trace`);
    assert.equal(parentOf(clientToA), root.spanContext().spanId);
    assert.equal(parentOf(atA), clientToA.spanContext().spanId);
    for (const s of toBSpans) assert.equal(parentOf(s), atA.spanContext().spanId, "A's calls to B are children of A's server span");
    assert.deepEqual(atB.map(parentOf).sort(), toBSpans.map((s) => s.spanContext().spanId).sort(), "each call at B is the child of one call from A");
    assert.equal(atA.attributes["rpc.system"], "farcall");
    for (const s of atB) assert.equal(s.attributes["rpc.system"], "jsonrpc");
    for (const s of toBSpans) assert.equal(s.attributes["rpc.system"], "jsonrpc");
  });
});

describe("every protocol", () => {
  it("an XML-RPC call carries the trace context: the server span, rpc.system xmlrpc, is the client span's child", async (t) => {
    const server = await serve(api, { listen: "http://127.0.0.1:0", logger: false, use: [otelServer(options)] });
    const remote = await connect<typeof api>(server.addresses[0]!.replace(/^http:/, "xmlrpc+http:"), { use: [otelClient({ ...options, system: "xmlrpc" })] });
    t.after(async () => {
      await close(remote);
      await server.close();
    });
    spans.reset();
    assert.equal(await remote.add(2, 2), 4);
    const client = only("add", SpanKind.CLIENT);
    const served = only("add", SpanKind.SERVER);
    assert.equal(served.attributes["rpc.system"], "xmlrpc");
    assert.equal(parentOf(served), client.spanContext().spanId);
  });

  it("JSON-RPC over WebSocket and over raw TCP get a server span each, rpc.system jsonrpc, named by the method", async (t) => {
    const server = await serve(api, { listen: "tcp://127.0.0.1:0", logger: false, use: [otelServer(options)] });
    const wsRemote = await connect<typeof api>(server.addresses[0]!.replace(/^tcp:/, "jsonrpc+ws:"));
    t.after(async () => {
      await close(wsRemote);
      await server.close();
    });
    spans.reset();
    assert.equal(await wsRemote.add(1, 1), 2);
    const overWs = only("add", SpanKind.SERVER);
    assert.equal(overWs.attributes["rpc.system"], "jsonrpc");
    assert.equal(overWs.attributes["rpc.method"], "add");

    spans.reset();
    const socket = netConnect(Number(new URL(server.addresses[0]!).port), "127.0.0.1");
    t.after(() => socket.destroy());
    socket.write('{"jsonrpc":"2.0","id":1,"method":"add","params":[2,2]}\n');
    const [line] = (await once(socket, "data")) as [Buffer];
    assert.deepEqual(JSON.parse(line.toString()), { jsonrpc: "2.0", id: 1, result: 4 });
    const overTcp = only("add", SpanKind.SERVER);
    assert.equal(overTcp.attributes["rpc.system"], "jsonrpc");
    assert.equal(overTcp.attributes["network.transport"], "tcp");
  });

  it("a call over Python's manager protocol, which has no metadata, gets a server span that starts its own trace", async (t) => {
    const server = await serve(api, { listen: "pymanager://127.0.0.1:0", logger: false, authkey: "k", use: [otelServer(options)] });
    const remote = await connect<typeof api>(server.addresses[0]!, { authkey: "k" });
    t.after(async () => {
      await close(remote);
      await server.close();
    });
    spans.reset();
    assert.equal(await remote.add(2, 3), 5);
    const served = only("add", SpanKind.SERVER);
    assert.equal(served.attributes["rpc.system"], "pymanager");
    assert.equal(parentOf(served), undefined);
  });
});

describe("metrics", () => {
  /** The data points of `name` after a collection. */
  async function points(name: string): Promise<DataPoint<unknown>[]> {
    const { resourceMetrics } = await reader.collect();
    const metric = resourceMetrics.scopeMetrics.flatMap((s) => s.metrics).find((m) => m.descriptor.name === name);
    return (metric?.dataPoints ?? []) as DataPoint<unknown>[];
  }
  const of = (list: DataPoint<unknown>[], attrs: Record<string, unknown>) => list.filter((p) => Object.entries(attrs).every(([k, v]) => p.attributes[k] === v) && (attrs["error.type"] !== undefined || p.attributes["error.type"] === undefined));

  it("counts calls and errors by code, records durations, and calls in flight return to zero", async (t) => {
    const { remote } = await fixture(t);
    const addsBefore = (of(await points("farcall.server.calls"), { "rpc.method": "add" })[0]?.value as number | undefined) ?? 0;
    await remote.add(1, 2);
    await remote.add(3, 4);
    await assert.rejects(remote.fail());
    const calls = await points("farcall.server.calls");
    const addOk = of(calls, { "rpc.method": "add", "rpc.system": "farcall", "network.transport": "tcp" });
    assert.equal(addOk.length, 1, "one series per method and outcome, whatever the caller's port");
    assert.equal(addOk[0]!.value, addsBefore + 2);
    const errors = await points("farcall.server.errors");
    assert.ok((of(errors, { "rpc.method": "fail", "error.type": "TEAPOT" })[0]?.value as number) >= 1);
    assert.deepEqual(of(errors, { "rpc.method": "add" }), [], "a call that succeeded is no error");
    const durations = await points("rpc.server.call.duration");
    const addDuration = of(durations, { "rpc.method": "add" })[0]!.value as Histogram;
    assert.ok(addDuration.count >= 2);
    assert.ok(addDuration.sum! >= 0);
    for (const p of await points("farcall.server.calls_in_flight")) assert.equal(p.value, 0);
    assert.ok(((await points("farcall.client.calls")).length) > 0, "the client counts its calls too");
  });

  it("observeServer reports the connections, sessions, references and streams a server holds open, and zero once they close", async (t) => {
    const held: Array<() => void> = [];
    const server = await serve({
      /** Keeps the caller's callback: a reference the server holds. */
      subscribe: (cb: () => void) => {
        held.push(cb);
      },
      /** A stream left open: the client reads one item and stops there. */
      async *ticks() {
        for (let i = 0; ; i++) yield i;
      },
    }, { listen: "tcp://127.0.0.1:0", logger: false });
    const stop = observeServer(server, options);
    t.after(async () => {
      stop();
      await server.close();
    });
    const remote = await connect<{ subscribe(cb: () => void): Promise<void>; ticks(): Promise<AsyncIterable<number>> }>(server.addresses[0]!);
    await remote.subscribe(() => {});
    const iterator = (await remote.ticks())[Symbol.asyncIterator]();
    assert.deepEqual(await iterator.next(), { value: 0, done: false });
    const gauge = async (name: string) => (await points(name))[0]?.value;
    assert.equal(await gauge("farcall.server.connections"), 1);
    assert.equal(await gauge("farcall.server.sessions"), 1);
    assert.equal(await gauge("farcall.server.references"), 1, "the callback the server holds");
    assert.equal(await gauge("farcall.server.streams"), 1, "the stream the client has not finished");
    assert.deepEqual(server.stats(), { connections: 1, sessions: 1, references: 1, streams: 1, readBufferBytes: 0 });
    await close(remote);
    await until(5000, "the server seeing the client go", () => server.connections === 0);
    for (const name of ["connections", "sessions", "references", "streams", "read_buffer.usage"]) assert.equal(await gauge(`farcall.server.${name}`), 0, name);
  });

  it("observeServer reports the bytes held for large frames still arriving, as server.stats() counts them", async (t) => {
    const stats = { connections: 2, sessions: 2, references: 0, streams: 0, readBufferBytes: 262_144 };
    const stop = observeServer({ stats: () => stats }, options);
    t.after(stop);
    const gauge = async (name: string) => (await points(name))[0]?.value;
    assert.equal(await gauge("farcall.server.read_buffer.usage"), 262_144);
    stats.readBufferBytes = 0;
    assert.equal(await gauge("farcall.server.read_buffer.usage"), 0, "read again at each collection");
  });

  it("calls in flight count a call while its handler runs", async (t) => {
    let release!: () => void;
    let entered!: () => void;
    const running = new Promise<void>((resolve) => (entered = resolve));
    const gate = new Promise<void>((resolve) => (release = resolve));
    const { remote } = await fixture(t, {
      hold: async () => {
        entered();
        await gate;
      },
    });
    const call = (remote as unknown as { hold(): Promise<void> }).hold();
    await running;
    assert.equal(of(await points("farcall.server.calls_in_flight"), { "rpc.method": "hold" })[0]?.value, 1);
    release();
    await call;
    assert.equal(of(await points("farcall.server.calls_in_flight"), { "rpc.method": "hold" })[0]?.value, 0);
  });
});

