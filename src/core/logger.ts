import { unrefTimer } from "./runtime.js";

/** Where farcall reports what happened to connections: one line per event. */
export interface Logger {
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

/** Writes to stderr with a `farcall:` prefix. */
export const consoleLogger: Logger = {
  info: (m) => console.error(`farcall: ${m}`),
  warn: (m) => console.error(`farcall: warning: ${m}`),
  error: (m) => console.error(`farcall: error: ${m}`),
};

const noop = (): void => {};
/** Discards everything (`logger: false`). */
export const silentLogger: Logger = { info: noop, warn: noop, error: noop };

/**
 * The logger an options object asks for. The default (stderr) is rate-limited, so a flood of
 * refusals cannot fill a terminal or a disk; a logger passed in gets every line (wrap it in
 * {@link rateLimited} for the same protection).
 */
export function resolveLogger(option: Logger | false | undefined): Logger {
  return option === false ? silentLogger : option ?? rateLimited(consoleLogger);
}

/** How many lines a rate-limited logger writes per interval before it only counts. */
export interface LogLimit {
  /** Lines written per interval; the rest are counted. @default 20 */
  lines: number;
  /** The interval, ms. @default 10000 */
  intervalMs: number;
}

/** Defaults of {@link LogLimit}. */
export const LOG_LIMIT_DEFAULTS: Readonly<LogLimit> = Object.freeze({ lines: 20, intervalMs: 10_000 });

/**
 * `logger`, with `info` and `warn` written at most `limit.lines` times per interval: a flood
 * of refusals (thousands of idle sockets, a peer sending bad frames in a loop) becomes one
 * summary line per interval counting what was dropped, so logs cannot be used to fill a
 * disk. `error` lines, which mean the server itself failed, are never dropped.
 */
export function rateLimited(logger: Logger, limit: LogLimit = LOG_LIMIT_DEFAULTS): Logger {
  if (logger === silentLogger) return logger;
  let windowStart = 0;
  let written = 0;
  let dropped = 0;
  let summary: ReturnType<typeof setTimeout> | undefined;
  const flush = (): void => {
    summary = undefined;
    if (dropped > 0) logger.warn(`${dropped} more log lines dropped in ${limit.intervalMs} ms (at most ${limit.lines} per interval)`);
    dropped = 0;
  };
  const admit = (): boolean => {
    const now = Date.now();
    if (now - windowStart >= limit.intervalMs) {
      windowStart = now;
      written = 0;
    }
    if (written < limit.lines) {
      written++;
      return true;
    }
    dropped++;
    if (summary === undefined) {
      summary = setTimeout(flush, limit.intervalMs - (now - windowStart));
      unrefTimer(summary);
    }
    return false;
  };
  return {
    info: (m) => admit() && logger.info(m),
    warn: (m) => admit() && logger.warn(m),
    error: (m) => logger.error(m),
  };
}
