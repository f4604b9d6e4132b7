/**
 * The one error class of farcall, its closed set of framework codes, and the table
 * that maps them to JSON-RPC numbers. Callers branch on `code`, never on message text.
 */

/** Error codes raised by farcall itself. See docs/errors.md for each one. */
export type ErrorCode =
  | "PARSE_ERROR"
  | "INVALID_REQUEST"
  | "METHOD_NOT_FOUND"
  | "INVALID_PARAMS"
  | "INTERNAL"
  | "UNAUTHENTICATED"
  | "PERMISSION_DENIED"
  | "DEADLINE_EXCEEDED"
  | "CANCELLED"
  | "RESOURCE_EXHAUSTED"
  | "UNAVAILABLE"
  | "RELEASED";

/** Framework codes mapped to JSON-RPC 2.0 error numbers (spec codes, then -32000..-32099). */
/**
 * The JSON-RPC error number (and XML-RPC fault code) that carries an application code the
 * protocol has no number for; the code itself travels beside it.
 */
export const APPLICATION_ERROR_CODE = -32000;

export const JSON_RPC_CODES: Readonly<Record<ErrorCode, number>> = Object.freeze({
  PARSE_ERROR: -32700,
  INVALID_REQUEST: -32600,
  METHOD_NOT_FOUND: -32601,
  INVALID_PARAMS: -32602,
  INTERNAL: -32603,
  UNAUTHENTICATED: -32001,
  PERMISSION_DENIED: -32002,
  DEADLINE_EXCEEDED: -32003,
  CANCELLED: -32004,
  RESOURCE_EXHAUSTED: -32005,
  UNAVAILABLE: -32006,
  RELEASED: -32007,
});

const FRAMEWORK_CODES: ReadonlySet<string> = new Set(Object.keys(JSON_RPC_CODES));

/** True when `code` is one of farcall's own codes rather than an application code. */
export function isFrameworkCode(code: unknown): code is ErrorCode {
  return typeof code === "string" && FRAMEWORK_CODES.has(code);
}

// A registry symbol, so two copies of farcall in one process still recognise each other's errors.
const BRAND = Symbol.for("farcall.RpcError");

/** The plain form of an error as it travels inside a message. */
export interface ErrorPayload {
  code: string | number;
  message: string;
  data?: unknown;
  stack?: string;
}

/**
 * An error with a code a program can branch on. Throw it from a handler to send a
 * deliberate error to the caller; callers receive every remote failure as an RpcError.
 *
 * @example throw new RpcError("NOT_FOUND", `no account ${id}`, { id })
 */
export class RpcError extends Error {
  /** A framework {@link ErrorCode}, or an application code chosen by the thrower. */
  readonly code: ErrorCode | (string & {}) | number;
  /** Extra structured detail, sent to the caller as is. */
  declare readonly data?: unknown;

  constructor(code: ErrorCode | (string & {}) | number, message: string, data?: unknown, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "RpcError";
    this.code = code;
    if (data !== undefined) this.data = data;
    Object.defineProperty(this, BRAND, { value: true });
  }

  /** True for any RpcError, including one made by another copy of farcall. */
  static is(value: unknown): value is RpcError {
    return typeof value === "object" && value !== null && (value as Record<symbol, unknown>)[BRAND] === true;
  }

  /** `value` as an RpcError: itself when it is one, otherwise INTERNAL with its message. */
  static from(value: unknown): RpcError {
    if (RpcError.is(value)) return value;
    const message = value instanceof Error ? value.message : String(value);
    return new RpcError("INTERNAL", message, undefined, { cause: value });
  }

  /** Rebuilds an error received in a message. */
  static fromPayload(payload: unknown): RpcError {
    if (typeof payload !== "object" || payload === null) {
      return new RpcError("INTERNAL", "malformed error from peer");
    }
    const p = payload as Partial<ErrorPayload>;
    const code = typeof p.code === "string" || typeof p.code === "number" ? p.code : "INTERNAL";
    const err = new RpcError(code, typeof p.message === "string" ? p.message : "", p.data);
    if (typeof p.stack === "string") err.stack = p.stack;
    return err;
  }

  /** The wire form. Stacks are included only when the sender opts in. */
  toPayload(withStack = false): ErrorPayload {
    const out: ErrorPayload = { code: this.code, message: this.message };
    if (this.data !== undefined) out.data = this.data;
    if (withStack && this.stack) out.stack = this.stack;
    return out;
  }
}

/** The wire form of any thrown value: RpcErrors keep their code, anything else is INTERNAL. */
export function toErrorPayload(value: unknown, withStack: boolean): ErrorPayload {
  const err = RpcError.from(value);
  const payload = err.toPayload(false);
  if (withStack) {
    const stack = value instanceof Error ? value.stack : err.stack;
    if (stack) payload.stack = stack;
  }
  return payload;
}
