/**
 * OpenTelemetry for farcall, through `@opentelemetry/api` alone: a server interceptor and a
 * client interceptor that make one span per call (named by its method, with the RPC
 * semantic conventions' attributes) and record the call metrics (./metrics.ts). They are
 * opt-in, given to `use` like any interceptor, because an interceptor takes a synchronous
 * handler off its same-turn path; with no SDK registered the API hands out no-op tracers
 * and meters, so they cost a few allocations per call and export nothing.
 *
 * Trace context: the client interceptor writes the W3C `traceparent` of its span into the
 * call's metadata with the registered propagator; the server interceptor reads it, so the
 * server span is the client span's child, and runs the handler inside its span, so calls the
 * handler makes (through a client with this interceptor) are the server span's children.
 * The handler's context is carried by the registered context manager (AsyncLocalStorage on
 * Node: `@opentelemetry/context-async-hooks`).
 */
import { context, metrics, propagation, ROOT_CONTEXT, SpanKind, SpanStatusCode, trace, type Attributes, type MeterProvider, type Span, type TracerProvider } from "@opentelemetry/api";
import type { ClientInterceptor } from "../core/client-interceptor.js";
import type { Interceptor } from "../core/pipeline.js";
import { errorTypeOf, metaGetter, metaSetter, SCOPE, serverAttributes, systemOf } from "./attributes.js";
import { CallMetrics } from "./metrics.js";

/** Where the interceptors get their tracer and meter. */
export interface OtelOptions {
  /** @default the globally registered one (`trace.getTracerProvider()`) */
  tracerProvider?: TracerProvider;
  /** @default the globally registered one (`metrics.getMeterProvider()`) */
  meterProvider?: MeterProvider;
}

/** What {@link otelClient} says about its calls, beyond {@link OtelOptions}. */
export interface OtelClientOptions extends OtelOptions {
  /**
   * `rpc.system` of the calls: a client interceptor does not see the protocol, so say it
   * when the remote is not farcall/1 ("jsonrpc", "xmlrpc", "pymanager").
   * @default "farcall"
   */
  system?: string;
}

/**
 * The server interceptor: a SERVER span per call, child of the caller's span when the call
 * carries trace context, and the server call metrics. Put it first in `use` so its span
 * covers the other interceptors.
 * @example await serve(api, { listen: "tcp://127.0.0.1:4343", use: [otelServer()] });
 */
export function otelServer(options: OtelOptions = {}): Interceptor {
  const tracer = (options.tracerProvider ?? trace.getTracerProvider()).getTracer(SCOPE);
  const measure = new CallMetrics((options.meterProvider ?? metrics.getMeterProvider()).getMeter(SCOPE), "server");
  return (call, next) => {
    // Metrics get the low-cardinality attributes only: a peer's address and port would make a series per connection.
    const attributes: Attributes = { "rpc.system": systemOf(call.protocol), "rpc.method": call.method, "network.transport": call.peer.transport };
    const parent = propagation.extract(ROOT_CONTEXT, call.meta, metaGetter);
    const spanAttributes = serverAttributes(attributes, call.peer, call.notification);
    const span = tracer.startSpan(call.method, { kind: SpanKind.SERVER, attributes: spanAttributes }, parent);
    const started = measure.started(attributes);
    return settled(context.with(trace.setSpan(parent, span), next), span, measure, attributes, started);
  };
}

/**
 * The client interceptor: a CLIENT span per call, child of the active span, whose trace
 * context the call carries in its metadata; and the client call metrics.
 * @example const remote = await connect<Api>("http://127.0.0.1:4380", { use: [otelClient({ system: "jsonrpc" })] });
 */
export function otelClient(options: OtelClientOptions = {}): ClientInterceptor {
  const tracer = (options.tracerProvider ?? trace.getTracerProvider()).getTracer(SCOPE);
  const measure = new CallMetrics((options.meterProvider ?? metrics.getMeterProvider()).getMeter(SCOPE), "client");
  const system = options.system ?? "farcall";
  return (call, next) => {
    const attributes: Attributes = { "rpc.system": system, "rpc.method": call.method };
    const parent = context.active();
    const span = tracer.startSpan(call.method, { kind: SpanKind.CLIENT, attributes }, parent);
    const active = trace.setSpan(parent, span);
    const meta: Record<string, unknown> = { ...call.options.meta };
    propagation.inject(active, meta, metaSetter);
    call.options = { ...call.options, meta };
    const started = measure.started(attributes);
    return settled(context.with(active, next), span, measure, attributes, started);
  };
}

/** `running`, with its span ended and its metrics written when it settles, either way. */
function settled(running: Promise<unknown>, span: Span, measure: CallMetrics, attributes: Attributes, started: number): Promise<unknown> {
  return running.then(
    (value) => {
      ended(span, undefined);
      measure.ended(attributes, started, undefined);
      return value;
    },
    (error: unknown) => {
      const type = errorTypeOf(error);
      ended(span, type, error);
      measure.ended(attributes, started, type);
      throw error;
    },
  );
}

function ended(span: Span, errorType: string | undefined, error?: unknown): void {
  if (errorType !== undefined) {
    span.setAttribute("error.type", errorType);
    span.setStatus({ code: SpanStatusCode.ERROR, message: error instanceof Error ? error.message : String(error) });
  }
  span.end();
}
