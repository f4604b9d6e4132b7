/**
 * What a server holds open, as OpenTelemetry observable gauges: connections, farcall/1
 * sessions, references, streams and the bytes of large frames still arriving. Read from `server.stats()` when the SDK collects (the
 * numbers exist already; nothing is counted per call), so observing costs nothing between
 * collections.
 */
import { metrics, type BatchObservableCallback, type Meter, type ObservableUpDownCounter } from "@opentelemetry/api";
import type { ServerStats } from "../core/server-stats.js";
import { SCOPE } from "./attributes.js";
import type { OtelOptions } from "./interceptors.js";

/** The gauges' names and what each counts, by the ServerStats field it reads. */
const GAUGES: readonly (readonly [keyof ServerStats, string, string, string])[] = [
  ["connections", "farcall.server.connections", "Connections open, of every protocol, handshakes included.", "{connection}"],
  ["sessions", "farcall.server.sessions", "farcall/1 sessions open (tcp, tls, unix, WebSocket).", "{session}"],
  ["references", "farcall.server.references", "References alive in farcall/1 sessions, both directions (functions and ref()'d objects).", "{reference}"],
  ["streams", "farcall.server.streams", "Streams open in farcall/1 sessions, both directions.", "{stream}"],
  ["readBufferBytes", "farcall.server.read_buffer.usage", "Bytes held for large farcall/1 frames still arriving, counted against maxServerReadBufferBytes.", "By"],
];

/**
 * Reports `server`'s open connections, sessions, references and streams and the bytes held
 * for frames still arriving as observable gauges (`farcall.server.connections`, `.sessions`,
 * `.references`, `.streams`, `.read_buffer.usage`) to the
 * meter provider of `options` (the global one by default). Returns a function that stops
 * reporting: call it when the server is closed.
 *
 * @example const stop = observeServer(server); ... await server.close(); stop();
 */
export function observeServer(server: { stats(): ServerStats }, options: OtelOptions = {}): () => void {
  const meter: Meter = (options.meterProvider ?? metrics.getMeterProvider()).getMeter(SCOPE);
  const gauges = GAUGES.map(([field, name, description, unit]) => [field, meter.createObservableUpDownCounter(name, { description, unit })] as const);
  const observe: BatchObservableCallback = (result) => {
    const stats = server.stats();
    for (const [field, gauge] of gauges) result.observe(gauge, stats[field]);
  };
  const observables: ObservableUpDownCounter[] = gauges.map(([, gauge]) => gauge);
  meter.addBatchObservableCallback(observe, observables);
  return () => meter.removeBatchObservableCallback(observe, observables);
}
