/**
 * Typed errors in a method's contract. describeMethod's `errors` names the application codes a
 * method may throw and the Standard Schema of each code's `data`; the declaration rides on the
 * function's type as a phantom member, so `Remote<T>` carries it to the caller, where
 * {@link isRpcError} narrows a caught error's `code` and `data` from the method it came from.
 * The same code may carry different data in two methods, which is why the narrowing names the
 * method rather than consulting one global table.
 */
import type { StandardSchemaV1 } from "@standard-schema/spec";
import { RpcError, type ErrorCode } from "./errors.js";
import { isStandardSchema } from "./method-doc.js";

/**
 * What a method declares about one application error code: a Standard Schema for its
 * `data`; `true`, or a description, when it carries no data; or both as an object.
 */
export type ErrorDeclaration = StandardSchemaV1 | true | string | { readonly description?: string; readonly data?: StandardSchemaV1 };

/** The `errors` of a described method: application code to declaration. */
export type ErrorDeclarations = Readonly<Record<string, ErrorDeclaration>>;

/** The `data` type a declaration promises: its schema's output, or undefined. */
export type DeclaredData<D> = D extends StandardSchemaV1
  ? StandardSchemaV1.InferOutput<D>
  : D extends { readonly data: infer S extends StandardSchemaV1 }
    ? StandardSchemaV1.InferOutput<S>
    : undefined;

/** Declarations as the map from code to data type that a function's type carries. */
export type DeclaredErrors<E> = { readonly [C in keyof E & string]: DeclaredData<E[C]> };

declare const ERRORS: unique symbol;

/**
 * The phantom member describeMethod adds to a function's type (never present at run time):
 * the codes it declares and the type of each one's data.
 */
export interface DeclaresErrors<E> {
  readonly [ERRORS]?: E;
}

/** The declared codes of a (remote or local) method and their data types; `{}` for none. */
export type ErrorsOf<M> = M extends { readonly [ERRORS]?: infer E } ? (unknown extends E ? {} : NonNullable<E>) : {};

/** An RpcError whose code is `C` and whose data is `D`. */
export type TypedRpcError<C extends string | number, D = unknown> = RpcError & { readonly code: C; readonly data: D };

/** Any error `M` declares, as a union over its codes. */
export type DeclaredError<M> = { [C in keyof ErrorsOf<M> & string]: TypedRpcError<C, ErrorsOf<M>[C]> }[keyof ErrorsOf<M> & string];

/**
 * True when `value` is an RpcError, with the given code if one is named. Naming the method
 * the error came from narrows `data` to what that method declares for the code.
 * @example
 * try { await remote.account.withdraw(500); }
 * catch (e) { if (isRpcError(e, remote.account.withdraw, "INSUFFICIENT_FUNDS")) console.log(e.data.balance); }
 */
export function isRpcError(value: unknown): value is RpcError;
export function isRpcError<const C extends ErrorCode | (string & {}) | number>(value: unknown, code: C): value is TypedRpcError<C>;
export function isRpcError<M, const C extends (keyof ErrorsOf<M> & string) | ErrorCode>(
  value: unknown,
  method: M,
  code: C,
): value is TypedRpcError<C, C extends keyof ErrorsOf<M> ? ErrorsOf<M>[C] : unknown>;
export function isRpcError(value: unknown, codeOrMethod?: unknown, code?: unknown): boolean {
  if (!RpcError.is(value)) return false;
  const wanted = code ?? codeOrMethod;
  return typeof wanted === "string" || typeof wanted === "number" ? value.code === wanted : true;
}

/** The schema of a declaration's data, if it has one. */
export function dataSchemaOf(decl: ErrorDeclaration): StandardSchemaV1 | undefined {
  if (isStandardSchema(decl)) return decl;
  return typeof decl === "object" ? decl.data : undefined;
}

/** The description of a declaration, if it has one. */
export function descriptionOf(decl: ErrorDeclaration): string | undefined {
  if (typeof decl === "string") return decl;
  return typeof decl === "object" && !isStandardSchema(decl) ? decl.description : undefined;
}
