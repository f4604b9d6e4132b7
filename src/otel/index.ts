/**
 * `farcall/otel`: OpenTelemetry tracing and metrics for farcall's calls. A subpath of its own
 * so that `@opentelemetry/api`, an optional peer dependency, is loaded only by programs that
 * import it.
 */
export { otelClient, otelServer, type OtelClientOptions, type OtelOptions } from "./interceptors.js";
export { observeServer } from "./server-gauges.js";
