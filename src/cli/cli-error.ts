/**
 * The one error the CLI raises on purpose. It carries the exit status, so every command
 * fails the same way: a message on stderr and a documented exit code.
 */

/** Exit statuses of the `farcall` command. */
export const EXIT = Object.freeze({
  /** The command did what was asked. */
  OK: 0,
  /** The remote method threw: its error code and message are on stderr. */
  REMOTE_ERROR: 1,
  /** Bad usage, a module that cannot be loaded, an address that cannot be reached or bound. */
  USAGE: 2,
  /** serve was stopped by a second signal, or could not close cleanly (128 + SIGINT). */
  INTERRUPTED: 130,
});

/** One of the {@link EXIT} statuses. */
export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** A failure of the command itself, reported as `farcall: message` with `exitCode`. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: ExitCode = EXIT.USAGE,
  ) {
    super(message);
    this.name = "CliError";
  }
}
