/**
 * What a method accepts, checked before its handler runs: the declared argument count
 * (too many or missing required arguments are INVALID_PARAMS, as Python's servers answer
 * TypeError) and the Standard Schemas given to describeMethod(). Built once per method when
 * the method table is built; a method with nothing to check gets no CallCheck, so its calls
 * pay nothing.
 *
 * The check runs innermost in the pipeline, after the interceptors and just before the
 * handler: an interceptor that refuses a caller (auth) answers before the arguments are
 * looked at, one that rewrites arguments has its output checked, and every interceptor (the
 * call log, tracing) sees an invalid call as a call that failed INVALID_PARAMS.
 *
 * A method that declares its errors has what it throws checked too: a declared code whose
 * data its schema refuses becomes INTERNAL (the handler broke its contract); any other
 * error passes unchanged (the pipeline logs an undeclared application code).
 *
 * Synchronous schemas keep a synchronous handler synchronous; a schema whose validate()
 * answers a Promise makes the call asynchronous.
 */
import type { StandardSchemaV1 } from "@standard-schema/spec";
import { isThenable } from "./call-meta.js";
import { dataSchemaOf } from "./error-contract.js";
import { isFrameworkCode, RpcError } from "./errors.js";
import { methodDoc, type MethodDoc } from "./method-doc.js";
import { declaredParamCount, type ParamCount } from "./param-count.js";

/** One problem with an argument: where it sits (argument index first, for positional schemas) and what is wrong. */
export interface ParamIssue {
  path: (string | number)[];
  message: string;
}

/** The `data` of an INVALID_PARAMS answer from a schema. */
export interface InvalidParamsData {
  issues: ParamIssue[];
}

/** Most issues listed in one error's message (all of them are in its data). */
const MAX_ISSUES_IN_MESSAGE = 5;

interface Handler {
  readonly fn: (...args: unknown[]) => unknown;
  readonly self: unknown;
}

/** The checks of one method; {@link run} is called instead of the handler. */
export class CallCheck {
  constructor(
    readonly method: string,
    /** The argument count, or undefined when not checked. */
    readonly count: ParamCount | undefined,
    /** Positional schemas, or one schema for the one argument. */
    readonly input: readonly StandardSchemaV1[] | undefined,
    /** True when `input` is the one schema of a method taking one argument (named params). */
    readonly single: boolean,
    readonly output: StandardSchemaV1 | undefined,
    /** Declared application codes and the schema of each one's data (undefined: no data checked). */
    readonly errors: ReadonlyMap<string, StandardSchemaV1 | undefined> | undefined,
  ) {}

  /** Checks `params`, runs the handler with what the schemas output, checks its result and what it throws. */
  run(handler: Handler, params: unknown[]): unknown {
    if (this.errors === undefined) return this.runChecked(handler, params);
    let result: unknown;
    try {
      result = this.runChecked(handler, params);
    } catch (err) {
      const checked = this.thrown(err);
      if (isThenable(checked)) return checked;
      throw checked;
    }
    return isThenable(result) ? result.then(undefined, (err: unknown) => this.rejection(err)) : result;
  }

  /** True when `err` carries an application code this method does not declare. */
  undeclared(err: unknown): boolean {
    return this.errors !== undefined && RpcError.is(err) && !isFrameworkCode(err.code) && !this.errors.has(String(err.code));
  }

  private rejection(err: unknown): Promise<never> {
    const checked = this.thrown(err);
    return isThenable(checked) ? (checked as Promise<never>) : Promise.reject(checked);
  }

  /** What the handler threw, its data checked against its code's schema: the error, or a Promise rejecting with it. */
  private thrown(err: unknown): unknown {
    const schema = RpcError.is(err) ? this.errors!.get(String(err.code)) : undefined;
    if (schema === undefined) return err;
    const error = err as RpcError;
    const outcome = schema["~standard"].validate(error.data);
    if (isThenable(outcome)) return outcome.then((r) => Promise.reject(this.errorOf(error, r)));
    return this.errorOf(error, outcome);
  }

  private errorOf(error: RpcError, result: StandardSchemaV1.Result<unknown>): RpcError {
    if (!result.issues) {
      // The caller gets what the schema outputs, as a handler gets its input schema's output.
      // Set in place: a new RpcError would capture a second stack, doubling the cost of the throw.
      if (result.value === error.data) return error;
      if (Object.isFrozen(error)) return new RpcError(error.code, error.message, result.value, { cause: error });
      Object.defineProperty(error, "data", { value: result.value, enumerable: true, configurable: true, writable: true });
      return error;
    }
    const issues = result.issues.map((issue) => ({ path: pathOf(issue), message: issue.message }));
    return new RpcError("INTERNAL", `the data of ${error.code} thrown by ${this.method} does not match its declared schema: ${issueText(issues)}`, { issues } satisfies InvalidParamsData, { cause: error });
  }

  private runChecked(handler: Handler, params: unknown[]): unknown {
    if (this.count !== undefined) this.checkCount(params.length);
    if (this.input === undefined) return this.checked(handler.fn.apply(handler.self, params));
    // A missing argument is checked as undefined: an optional schema accepts it.
    const results = this.input.map((schema, i) => schema["~standard"].validate(params[i]));
    if (results.some(isThenable)) {
      return Promise.all(results).then((settled) => this.checked(handler.fn.apply(handler.self, this.argsOf(settled, params))));
    }
    return this.checked(handler.fn.apply(handler.self, this.argsOf(results as StandardSchemaV1.Result<unknown>[], params)));
  }

  private checkCount(given: number): void {
    const { min, max } = this.count!;
    // An unbounded max is left out of data: JSON has no Infinity.
    const data = max === Number.POSITIVE_INFINITY ? { given, min } : { given, min, max };
    if (given > max) throw new RpcError("INVALID_PARAMS", `${this.method} takes ${countText(this.count!)}, ${given} given`, data);
    if (given < min) throw new RpcError("INVALID_PARAMS", `${this.method} is missing ${min - given} required argument${min - given === 1 ? "" : "s"}: takes ${countText(this.count!)}, ${given} given`, data);
  }

  /** The handler's arguments: each schema's output, or the INVALID_PARAMS error listing every issue. */
  private argsOf(results: readonly StandardSchemaV1.Result<unknown>[], params: unknown[]): unknown[] {
    const issues: ParamIssue[] = [];
    const args = params.slice();
    results.forEach((result, i) => {
      if (result.issues) {
        for (const issue of result.issues) issues.push({ path: this.single ? pathOf(issue) : [i, ...pathOf(issue)], message: issue.message });
      } else if (i < params.length || result.value !== undefined) {
        args[i] = result.value;
      }
    });
    if (issues.length > 0) throw new RpcError("INVALID_PARAMS", `invalid arguments for ${this.method}: ${issueText(issues)}`, { issues } satisfies InvalidParamsData);
    return args;
  }

  /** The result, checked against the output schema when there is one. */
  private checked(result: unknown): unknown {
    if (this.output === undefined) return result;
    if (isThenable(result)) return result.then((value) => this.checkOutput(value));
    return this.checkOutput(result);
  }

  private checkOutput(value: unknown): unknown {
    const outcome = this.output!["~standard"].validate(value);
    if (isThenable(outcome)) return outcome.then((r) => this.outputOf(r));
    return this.outputOf(outcome);
  }

  private outputOf(result: StandardSchemaV1.Result<unknown>): unknown {
    if (!result.issues) return result.value;
    const issues = result.issues.map((issue) => ({ path: pathOf(issue), message: issue.message }));
    // The handler broke its own contract: that is the server's fault, not the caller's.
    throw new RpcError("INTERNAL", `the result of ${this.method} does not match its output schema: ${issueText(issues)}`, { issues } satisfies InvalidParamsData);
  }
}

/**
 * The check for a method, or undefined when nothing is checked. The count comes from, in
 * order: the input schemas (an array: at most one argument per schema; one schema: one
 * argument), describeMethod's `params` (trailing `optional` ones may be left out), the
 * function's own parameter list (core/param-count.ts). `variadic: true` turns the count off.
 */
export function callCheckFor(method: string, fn: Function): CallCheck | undefined {
  const doc = methodDoc(fn);
  const count = doc?.variadic ? undefined : countOf(doc, fn);
  const single = doc?.input !== undefined && !Array.isArray(doc.input);
  const input = doc?.input === undefined ? undefined : single ? [doc.input as StandardSchemaV1] : (doc.input as readonly StandardSchemaV1[]);
  const errors = doc?.errors === undefined ? undefined : new Map(Object.entries(doc.errors).map(([code, decl]) => [code, dataSchemaOf(decl)]));
  if (count === undefined && input === undefined && doc?.output === undefined && errors === undefined) return undefined;
  return new CallCheck(method, count, input, single, doc?.output, errors);
}

function countOf(doc: Readonly<MethodDoc> | undefined, fn: Function): ParamCount | undefined {
  if (doc?.input !== undefined) {
    const n = Array.isArray(doc.input) ? doc.input.length : 1;
    // Missing arguments are left to the schemas: an optional schema accepts undefined.
    return { min: 0, max: n };
  }
  if (doc?.params !== undefined) {
    let min = doc.params.length;
    while (min > 0 && doc.params[min - 1]!.optional) min--;
    return { min, max: doc.params.length };
  }
  return declaredParamCount(fn);
}

function countText({ min, max }: ParamCount): string {
  const n = min === max ? `${max}` : max === Number.POSITIVE_INFINITY ? `at least ${min}` : `${min} to ${max}`;
  return `${n} argument${n === "1" || n === "at least 1" ? "" : "s"}`;
}

function pathOf(issue: StandardSchemaV1.Issue): (string | number)[] {
  return (issue.path ?? []).map((segment) => {
    const key = typeof segment === "object" ? segment.key : segment;
    return typeof key === "symbol" ? String(key) : key;
  });
}

/** `[1].name: Expected string`, for the message a plain client (XML-RPC, Python) reads. */
function issueText(issues: readonly ParamIssue[]): string {
  const shown = issues.slice(0, MAX_ISSUES_IN_MESSAGE).map((i) => `${i.path.length > 0 ? `${pathText(i.path)}: ` : ""}${i.message}`);
  if (issues.length > MAX_ISSUES_IN_MESSAGE) shown.push(`and ${issues.length - MAX_ISSUES_IN_MESSAGE} more`);
  return shown.join("; ");
}

function pathText(path: readonly (string | number)[]): string {
  return path.map((p, i) => (typeof p === "number" ? `[${p}]` : `${i === 0 ? "" : "."}${p}`)).join("");
}
