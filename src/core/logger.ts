import { unrefTimer } from "./runtime.js";

/** Where farcall reports what happened to connections: one line per event. */
export interface Logger {
  /**
   * Routine events nobody needs to act on (a client reconnected). Optional, and absent from
   * the default logger, so they are off unless a logger that has it is passed in.
   */
  debug?(message: string): void;
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
 * The logger an options object asks for: the default (stderr) or the one passed in, rate-
 * limited either way (at the defaults, unless it came from {@link rateLimited} already), so a flood of refusals cannot fill a terminal, a disk or a log service.
 * `error` lines, which mean the server itself failed, all get through.
 */
export function resolveLogger(option: Logger | false | undefined): Logger {
  if (option === false) return silentLogger;
  // One made by rateLimited() keeps the budget its owner chose.
  return option !== undefined && limitedLoggers.has(option) ? option : rateLimited(option ?? consoleLogger);
}

/** The loggers rateLimited() made. */
const limitedLoggers = new WeakSet<Logger>();

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
 * `logger`, with `debug`, `info` and `warn` written at most `limit.lines` times per interval: a flood
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
      // A late summary timer (a busy event loop) must not count the next window's drops as this one's.
      if (summary !== undefined) {
        clearTimeout(summary);
        flush();
      }
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
  const limited: Logger = {
    info: (m) => admit() && logger.info(m),
    warn: (m) => admit() && logger.warn(m),
    error: (m) => logger.error(m),
  };
  if (logger.debug) limited.debug = (m) => admit() && logger.debug!(m);
  limitedLoggers.add(limited);
  return limited;
}
