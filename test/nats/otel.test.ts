/**
 * OpenTelemetry over NATS (farcall/otel): a call over nats:// makes a CLIENT span and a
 * SERVER span in one trace, the trace context crossing NATS in the call's headers. The real
 * SDK's in-memory exporter, a real nats-server.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { context, propagation, SpanKind, SpanStatusCode, trace } from "@opentelemetry/api";
import { AsyncLocalStorageContextManager } from "@opentelemetry/context-async-hooks";
import { W3CTraceContextPropagator } from "@opentelemetry/core";
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan } from "@opentelemetry/sdk-trace-base";
import { close, connect, RpcError, serve, type Remote, type Server } from "../../src/index.js";
import { otelClient, otelServer } from "../../src/otel/index.js";
import { natsServerMissing, startNatsServer, type NatsServer } from "../helpers/nats.js";

const skip = natsServerMissing("NATS OpenTelemetry tests");
const spans = new InMemorySpanExporter();
const tracerProvider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(spans)] });

const api = {
  add: (a: number, b: number) => a + b,
  fail: () => {
    throw new RpcError("TEAPOT", "short and stout");
  },
};

/** The finished span named `name` of `kind`, exactly one expected. */
function only(name: string, kind: SpanKind): ReadableSpan {
  const found = spans.getFinishedSpans().filter((s) => s.name === name && s.kind === kind);
  assert.equal(found.length, 1, `one ${SpanKind[kind]} span ${name}; spans: ${spans.getFinishedSpans().map((s) => `${SpanKind[s.kind]} ${s.name}`).join(", ")}`);
  return found[0]!;
}

describe("OpenTelemetry spans over NATS", { skip: skip !== undefined }, () => {
  let nats: NatsServer;
  let server: Server;
  let remote: Remote<typeof api>;

  before(async () => {
    context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
    propagation.setGlobalPropagator(new W3CTraceContextPropagator());
    nats = await startNatsServer({ jetstream: false });
    const url = `${nats.url}/traced`;
    server = await serve(api, { listen: url, logger: false, use: [otelServer({ tracerProvider })] });
    remote = await connect<typeof api>(url, { logger: false, use: [otelClient({ tracerProvider })] });
  });

  after(async () => {
    await close(remote);
    await server?.close();
    await nats?.stop();
    context.disable();
    propagation.disable();
  });

  it("a call over nats:// makes a CLIENT span and a SERVER span, its child, in one trace under the caller's span", async () => {
    spans.reset();
    const root = tracerProvider.getTracer("test").startSpan("test");
    assert.equal(await context.with(trace.setSpan(context.active(), root), () => remote.add(2, 3)), 5);
    root.end();
    const client = only("add", SpanKind.CLIENT);
    const served = only("add", SpanKind.SERVER);
    const traceId = root.spanContext().traceId;
    assert.equal(client.spanContext().traceId, traceId);
    assert.equal(served.spanContext().traceId, traceId);
    assert.equal(client.parentSpanContext?.spanId, root.spanContext().spanId);
    assert.equal(served.parentSpanContext?.spanId, client.spanContext().spanId);
    assert.equal(served.attributes["rpc.system"], "farcall");
    assert.equal(served.attributes["rpc.method"], "add");
    assert.match(String(served.attributes["network.peer.address"]), /^_INBOX\./, "the caller as NATS shows it: its reply inbox");
  });

  it("a call that fails over nats:// sets both spans' status to ERROR with its code", async () => {
    spans.reset();
    await assert.rejects(remote.fail(), (err: unknown) => RpcError.is(err) && err.code === "TEAPOT");
    for (const kind of [SpanKind.CLIENT, SpanKind.SERVER]) {
      const span = only("fail", kind);
      assert.equal(span.status.code, SpanStatusCode.ERROR, SpanKind[kind]);
      assert.equal(span.attributes["error.type"], "TEAPOT", SpanKind[kind]);
    }
  });
});
