/**
 * What the server can tell of a client's Python, to refuse what that Python could not read
 * back: 2.7 writes pickle protocol 2, and every Python before 3.12 answers the handshake
 * with a bare HMAC-MD5 (3.12 and later name their digest). Nothing tells 3.12 from 3.13.
 */
import { RpcError } from "../core/errors.js";
import { pyTypeOf } from "./repr.js";
import { ARRAY_TYPECODES } from "./shared/array.js";

/** The connection facts the checks read. */
export interface ClientEra {
  readonly replyProtocol?: 2 | 3 | 4;
  /** True when the client answered the handshake with a bare HMAC-MD5: Python 2.7 to 3.11. */
  readonly before312?: boolean;
}

/** Python 2.7's typecodes, in the order its "bad typecode" message lists them: `c`, and no `q`, `Q` or `w`. */
const TYPECODES_27 = ["c", "b", "B", "u", "h", "H", "i", "I", "l", "L", "f", "d"];
/** Python 3's, as its message lists them: no `c`; no `w` either (3.13's message does not list it). */
const TYPECODES_3 = ARRAY_TYPECODES.filter((c) => c !== "w");

function badTypecode(codes: readonly string[]): RpcError {
  return new RpcError("ValueError", `bad typecode (must be ${codes.slice(0, -1).join(", ")} or ${codes.at(-1)})`);
}

/**
 * Refuses `create('Array', typecode, sequence)` as the client's own Python refuses
 * `array.array(typecode, sequence)`, in the order its array module checks, with its words:
 * a typecode that is not one character, then (Python 3) a str initializer for a typecode whose
 * items are not characters, then a typecode that Python has not (`c` on 3; `q`, `Q` and `w` on
 * 2.7; `w` before 3.12, which could store items but never read the array back whole). A 3.12
 * client is served `w` as 3.13 is: the handshake cannot tell them apart.
 */
export function checkArrayTypecode(conn: ClientEra, args: readonly unknown[]): void {
  if (args[0] !== "Array") return;
  const [, typecode, sequence] = args;
  const py2 = conn.replyProtocol === 2;
  if (typeof typecode !== "string" || [...typecode].length !== 1) {
    const got = pyTypeOf(typecode);
    throw new RpcError("TypeError", py2 ? `array() argument 1 or typecode must be char (string or ascii-unicode with length 1), not ${got}` : `array() argument 1 must be a unicode character, not ${got}`);
  }
  if (py2) {
    if (!TYPECODES_27.includes(typecode)) throw badTypecode(TYPECODES_27);
    return;
  }
  const w = conn.before312 !== true;
  if (typeof sequence === "string" && !(typecode === "u" || (typecode === "w" && w))) throw new RpcError("TypeError", `cannot use a str to initialize an array with typecode '${typecode}'`);
  if (!(TYPECODES_3.includes(typecode) || (typecode === "w" && w))) throw badTypecode(TYPECODES_3);
}
