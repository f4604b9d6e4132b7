/**
 * What a running server holds open, as `Server.stats()` reports it: a type of its own here
 * so that monitoring layers (`farcall/otel`) can name it without importing the server.
 */
export interface ServerStats {
  /** Connections open, of every protocol, including those still in their handshake. */
  connections: number;
  /** farcall/1 sessions (over tcp://, tls://, unix:// and WebSocket). */
  sessions: number;
  /** References alive in those sessions, both directions: functions and `ref()`'d objects. */
  references: number;
  /** Streams open in those sessions, both directions. */
  streams: number;
  /** Bytes held for large farcall/1 frames still arriving, counted against maxServerReadBufferBytes. */
  readBufferBytes: number;
}
