/**
 * The bounds of the demo service's in-memory state. The default service answers anyone who
 * can reach it (often without an authkey), so no caller may choose how much memory it holds.
 */

/** Longest key or counter name, in UTF-16 code units: names are labels, not payloads. */
export const MAX_NAME_LENGTH = 1024;

/** Most keys in the key-value store, and most named counters, each. */
export const MAX_ENTRIES = 100_000;

/** Longest `sleep(ms)`: one hour, so a forgotten call cannot pin a connection for days. */
export const MAX_SLEEP_MS = 3_600_000;
