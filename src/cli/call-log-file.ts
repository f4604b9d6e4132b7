/**
 * `farcall serve --log FILE`: the call log appended to a file as JSON lines, one per call,
 * each with the time it was written (the seed's server kept such a log).
 */
import { closeSync, createWriteStream, openSync, type WriteStream } from "node:fs";
import type { CallLog } from "../index.js";
import { CliError } from "./cli-error.js";

export interface CallLogFile {
  /** The serve() option writing to the file. */
  readonly log: CallLog;
  /** Flushes what is queued and closes the file. */
  close(): Promise<void>;
}

/**
 * Opens `path` for appending (created if missing) now, so a path that cannot be written
 * fails at startup with exit 2 rather than at the first call.
 */
export function openCallLogFile(path: string): CallLogFile {
  let fd: number;
  try {
    fd = openSync(path, "a");
  } catch (err) {
    throw new CliError(`cannot open the call log ${path}: ${(err as Error).message}`);
  }
  let stream: WriteStream;
  try {
    stream = createWriteStream(path, { fd, flags: "a" });
  } catch (err) {
    closeSync(fd);
    throw err;
  }
  let failed = false;
  stream.on("error", (err) => {
    // Calls go on; the log says once that it stopped.
    if (!failed) process.stderr.write(`farcall: error: the call log ${path} cannot be written: ${err.message}\n`);
    failed = true;
  });
  return {
    log: (entry) => {
      if (!failed) stream.write(`${JSON.stringify({ time: new Date().toISOString(), ...entry })}\n`);
    },
    close: () => new Promise<void>((resolve) => (failed ? resolve() : stream.end(resolve))),
  };
}
