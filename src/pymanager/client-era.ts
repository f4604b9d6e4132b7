/**
 * What the server can tell of a client's Python, to refuse what that Python could not read
 * back: 2.7 writes pickle protocol 2, and every Python before 3.12 answers the handshake
 * with a bare HMAC-MD5 (3.12 and later name their digest). Nothing tells 3.12 from 3.13.
 */
import { RpcError } from "../core/errors.js";
import { ARRAY_TYPECODES } from "./shared/array.js";

/** The connection facts the checks read. */
export interface ClientEra {
  readonly replyProtocol?: 2 | 3 | 4;
  /** True when the client answered the handshake with a bare HMAC-MD5: Python 2.7 to 3.11. */
  readonly before312?: boolean;
}

/**
 * Refuses `create('Array', 'w', ...)` from a client that is known to predate 3.13, whose
 * `array` module has no `w`: it could store items but never read the array back whole. The
 * message is the one Python's own server of that version raises.
 */
export function checkArrayTypecode(conn: ClientEra, args: readonly unknown[]): void {
  if (args[0] !== "Array" || args[1] !== "w" || !(conn.replyProtocol === 2 || conn.before312 === true)) return;
  const codes = ARRAY_TYPECODES.filter((c) => c !== "w");
  throw new RpcError("ValueError", `bad typecode (must be ${codes.slice(0, -1).join(", ")} or ${codes.at(-1)})`);
}
