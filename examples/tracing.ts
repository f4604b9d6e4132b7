// OpenTelemetry: one trace across two services and two protocols. A client calls service A
// over farcall/1 (TCP); A's handler calls service B twice over JSON-RPC (HTTP). Each side
// uses farcall's interceptors from "farcall/otel"; the OpenTelemetry SDK (set up here as an
// application would) prints every finished span to the console. The trace context travels
// in each call's metadata as a W3C traceparent, so all the spans share the client's trace id.
import { context, propagation, trace } from "@opentelemetry/api";
import { AsyncLocalStorageContextManager } from "@opentelemetry/context-async-hooks";
import { W3CTraceContextPropagator } from "@opentelemetry/core";
import { BasicTracerProvider, ConsoleSpanExporter, SimpleSpanProcessor } from "@opentelemetry/sdk-trace-base";
import { close, connect, serve } from "../src/index.js";
import { otelClient, otelServer } from "../src/otel/index.js";

// The SDK, registered globally: farcall's interceptors find it through @opentelemetry/api.
trace.setGlobalTracerProvider(new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(new ConsoleSpanExporter())] }));
context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
propagation.setGlobalPropagator(new W3CTraceContextPropagator());

// Service B, over JSON-RPC on HTTP.
const b = await serve({ double: (n: number) => n * 2 }, { listen: "http://127.0.0.1:0", logger: false, use: [otelServer()] });
const toB = await connect<{ double(n: number): number }>(b.addresses[0]!, { use: [otelClient({ system: "jsonrpc" })] });

// Service A, over farcall/1 on TCP: its handler calls B.
const a = await serve({ quadruple: async (n: number) => toB.double(await toB.double(n)) }, { listen: "tcp://127.0.0.1:0", logger: false, use: [otelServer()] });
const toA = await connect<{ quadruple(n: number): number }>(a.addresses[0]!, { use: [otelClient()] });

// The client's own span is the root of the trace.
const tracer = trace.getTracer("example");
await tracer.startActiveSpan("client work", async (root) => {
  const result = await toA.quadruple(3);
  root.end();
  console.log(`quadruple(3) = ${result} in trace ${root.spanContext().traceId}`);
});

await close(toA);
await a.close();
await close(toB);
await b.close();
