/**
 * The authkey challenge of multiprocessing.connection (`deliver_challenge` and
 * `answer_challenge`) in both of its forms: Python 3.11 and older send 20 random bytes and
 * expect a raw HMAC-MD5; 3.12+ send `{sha256}` + 40 random bytes and accept either a raw
 * HMAC-MD5 over the whole message or `{digest}` + HMAC-digest over it. We challenge in the
 * 3.12+ form (every version from 2.7 on answers it, the old ones with raw MD5) and answer
 * by the 3.12+ rules, so each pairing picks what its peer understands.
 */
import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";

export const CHALLENGE = Buffer.from("#CHALLENGE#", "latin1");
export const WELCOME = Buffer.from("#WELCOME#", "latin1");
export const FAILURE = Buffer.from("#FAILURE#", "latin1");

/** Python reads every handshake frame with this limit (connection.py `maxlength=256`). */
export const HANDSHAKE_FRAME_BYTES = 256;

/** Random bytes after the `{sha256}` prefix, as 3.12+ sends (connection.py `_MESSAGE_LENGTH`). */
const CHALLENGE_RANDOM_BYTES = 40;
/** 3.12+ refuses shorter challenges; exactly this many means the legacy MD5 form. */
const LEGACY_CHALLENGE_BYTES = 20;
const MD5_BYTES = 16;
/** The `}` of a digest prefix must come within this many bytes (connection.py). */
const MAX_PREFIX_BYTES = 10;

/** Python's digest names mapped to Node's: the only ones 3.12+ accepts. */
const DIGESTS: Readonly<Record<string, string>> = Object.freeze({
  md5: "md5", sha256: "sha256", sha384: "sha384", sha3_256: "sha3-256", sha3_384: "sha3-384",
});

function hmac(digest: string, key: Uint8Array, message: Uint8Array): Buffer {
  return createHmac(digest, key).update(message).digest();
}

/** The `#CHALLENGE#{sha256}…` frame body a challenger sends, and the message it signs. */
export function makeChallenge(): { frame: Buffer; message: Buffer } {
  const message = Buffer.concat([Buffer.from("{sha256}", "latin1"), randomBytes(CHALLENGE_RANDOM_BYTES)]);
  return { frame: Buffer.concat([CHALLENGE, message]), message };
}

/** The digest name of a `{name}` prefix, or undefined when `bytes` has none. */
function digestPrefix(bytes: Uint8Array): string | undefined {
  if (bytes[0] !== 0x7b /* { */) return undefined;
  const close = bytes.indexOf(0x7d /* } */);
  if (close < 0 || close >= MAX_PREFIX_BYTES) return undefined;
  return Buffer.from(bytes.subarray(1, close)).toString("latin1");
}

/** True when `response` proves the key for `message`, in either form; comparison is timing-safe. */
export function verifyResponse(key: Uint8Array, message: Uint8Array, response: Uint8Array): boolean {
  let expected: Buffer;
  if (response.length === MD5_BYTES) {
    expected = hmac("md5", key, message);
  } else {
    const name = digestPrefix(response);
    const digest = name === undefined ? undefined : DIGESTS[name];
    if (digest === undefined) return false;
    expected = Buffer.concat([Buffer.from(`{${name}}`, "latin1"), hmac(digest, key, message)]);
  }
  return expected.length === response.length && timingSafeEqual(expected, response);
}

/**
 * The answer to a peer's challenge frame, or undefined when the frame is not one we may
 * answer (no `#CHALLENGE#`, too short, an unknown digest).
 */
export function answerChallenge(key: Uint8Array, frame: Uint8Array): Buffer | undefined {
  if (frame.length < CHALLENGE.length || !CHALLENGE.equals(frame.subarray(0, CHALLENGE.length))) return undefined;
  const message = frame.subarray(CHALLENGE.length);
  if (message.length < LEGACY_CHALLENGE_BYTES) return undefined;
  if (message.length === LEGACY_CHALLENGE_BYTES) return hmac("md5", key, message);
  const name = digestPrefix(message);
  const digest = name === undefined ? undefined : DIGESTS[name];
  if (digest === undefined) return undefined;
  return Buffer.concat([Buffer.from(`{${name}}`, "latin1"), hmac(digest, key, message)]);
}

/** True for a `#WELCOME#` verdict. */
export function isWelcome(frame: Uint8Array): boolean {
  return WELCOME.equals(frame);
}
