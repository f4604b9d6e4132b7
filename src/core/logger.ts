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

/** The logger an options object asks for. */
export function resolveLogger(option: Logger | false | undefined): Logger {
  return option === false ? silentLogger : option ?? consoleLogger;
}
