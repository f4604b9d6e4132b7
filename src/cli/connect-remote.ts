/**
 * The client side of `call` and `list`: one connection for one command, and the rule that
 * a failure to connect is a usage problem (exit 2) while a failing call is the remote's
 * answer (exit 1).
 */
import { close, connect, RpcError, type ClientTlsOptions, type Remote } from "../index.js";
import { AUTHKEY_OPTION, COMMON_OPTIONS, parseTimeout, resolveAuthkey } from "./arguments.js";
import { CliError, EXIT } from "./cli-error.js";
import { clientTls, TLS_OPTIONS } from "./tls-files.js";
import { renderJson } from "./render-json.js";

/** What `call` and `list` read from their command line to connect. */
export interface ClientFlags {
  authkey: string | undefined;
  /**
   * The call's timeout in ms; undefined for none. It bounds the call only: connecting keeps
   * the client's own bound (connectTimeoutMs, 10 s), so a slow start of this process or of
   * the dial is never reported as the call being too slow, and an endpoint that cannot be
   * reached stays exit 2 (UNAVAILABLE), a call that ran out of time exit 1 (DEADLINE_EXCEEDED).
   */
  timeout: number | undefined;
  /** TLS options for tls:// URLs, from the --tls-* files. */
  tls?: ClientTlsOptions | undefined;
}

/** The command-line options of every command that connects (`call`, `list`). */
export const CLIENT_OPTIONS = {
  ...COMMON_OPTIONS,
  ...AUTHKEY_OPTION,
  timeout: { type: "string" },
  ...TLS_OPTIONS,
} as const;

/** The connection flags from what parseArgs made of CLIENT_OPTIONS. */
export function clientFlags(values: { authkey?: string | undefined; timeout?: string | undefined; "tls-cert"?: string | undefined; "tls-key"?: string | undefined; "tls-ca"?: string | undefined }): ClientFlags {
  return { authkey: resolveAuthkey(values.authkey), timeout: parseTimeout(values.timeout), tls: clientTls(values) };
}

/**
 * Connects to `url`, runs `use` on the remote and always closes it.
 * @throws CliError exit 2 when the connection fails (bad URL, unreachable, wrong key);
 *   exit 1 when `use` rejects with an RpcError.
 */
export async function withRemote<R>(url: string, flags: ClientFlags, use: (remote: Remote<unknown>) => Promise<R>): Promise<R> {
  let remote: Remote<unknown>;
  try {
    remote = await connect<unknown>(url, {
      ...(flags.authkey !== undefined ? { authkey: flags.authkey } : {}),
      ...(flags.timeout ? { timeout: flags.timeout } : {}),
      ...(flags.tls ? { tls: flags.tls } : {}),
      // One command, one attempt: retrying would only delay the error the user needs to see.
      reconnect: false,
      // Failures reach the user as this command's own message; connection chatter would not help.
      logger: false,
    });
  } catch (err) {
    // The core's messages already name the address: "UNAVAILABLE: cannot connect to tcp://…".
    throw new CliError(RpcError.is(err) ? `${err.code}: ${err.message}` : err instanceof Error ? err.message : String(err));
  }
  try {
    return await use(remote);
  } catch (err) {
    if (!RpcError.is(err)) throw err;
    throw new CliError(formatRemoteError(err), EXIT.REMOTE_ERROR);
  } finally {
    await close(remote);
  }
}

/** `CODE: message`, then the error's data as JSON on a line of its own when there is any. */
export function formatRemoteError(err: RpcError): string {
  const head = `${err.code}: ${err.message}`;
  return err.data === undefined ? head : `${head}\ndata: ${renderJson(err.data, 0)}`;
}
