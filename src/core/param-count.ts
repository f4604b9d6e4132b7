/**
 * How many arguments a plain JavaScript function declares, read once from its source text
 * when the method table is built. `fn.length` alone cannot tell `(a, b)` from
 * `(a, b, ...rest)`, nor see parameters after the first default, so the parameter list is
 * scanned: its top-level commas give the count, a `...` makes it variadic, the first `=` ends
 * the required ones. Whatever the scan cannot be sure of (native or bound functions, a body
 * that reads `arguments`, a regular expression or template literal in the parameter list,
 * a computed method name) answers "unknown", and an unknown count is never checked.
 */

/** The arguments a function accepts: at least `min`, at most `max`. */
export interface ParamCount {
  readonly min: number;
  readonly max: number;
}

const ARROW_WITHOUT_PARENS = /^(?:async\s+)?[A-Za-z_$][\w$]*\s*=>/;
const READS_ARGUMENTS = /\barguments\b/;

/** The count `fn` declares, or undefined when its source does not say for sure. */
export function declaredParamCount(fn: Function): ParamCount | undefined {
  let source: string;
  try {
    source = Function.prototype.toString.call(fn);
  } catch {
    // A Proxy around a function has no source; its count is unknown.
    return undefined;
  }
  if (source.includes("[native code]") || READS_ARGUMENTS.test(source) || source.startsWith("class") || source.startsWith("[")) return undefined;
  if (ARROW_WITHOUT_PARENS.test(source)) return { min: 1, max: 1 };
  const open = source.indexOf("(");
  if (open < 0) return undefined;
  return scanParams(source, open);
}

/** Scans the parameter list starting at `source[open] === "("`. */
function scanParams(source: string, open: number): ParamCount | undefined {
  let depth = 0;
  let params = 0;
  let current = false; // the parameter being read has a character other than white space
  let firstDefault = -1;
  for (let i = open; i < source.length; i++) {
    const c = source[i]!;
    if (c === "/" && (source[i + 1] === "/" || source[i + 1] === "*")) {
      const end = source[i + 1] === "/" ? source.indexOf("\n", i) : source.indexOf("*/", i + 2) + 1;
      if (end <= 0) return undefined;
      i = end;
      continue;
    }
    if (c === "/" || c === "`") return undefined; // a regular expression or template: not scanned
    if (c === '"' || c === "'") {
      i = skipString(source, i);
      if (i < 0) return undefined;
      current = true;
      continue;
    }
    if (c === "(" || c === "[" || c === "{") {
      depth++;
      if (depth > 1) current = true;
      continue;
    }
    if (c === ")" || c === "]" || c === "}") {
      depth--;
      if (depth === 0) {
        if (current) params++;
        return { min: firstDefault < 0 ? params : firstDefault, max: params };
      }
      continue;
    }
    if (depth !== 1) continue;
    if (c === ",") {
      if (current) params++;
      current = false;
    } else if (c === "." && source.startsWith("...", i)) {
      return { min: firstDefault < 0 ? params : firstDefault, max: Number.POSITIVE_INFINITY };
    } else if (c === "=") {
      if (firstDefault < 0) firstDefault = params;
    } else if (c !== " " && c !== "\n" && c !== "\t" && c !== "\r") {
      current = true;
    }
  }
  return undefined;
}

/** The index of the quote closing the string that opens at `start`, or -1. */
function skipString(source: string, start: number): number {
  const quote = source[start];
  for (let i = start + 1; i < source.length; i++) {
    if (source[i] === "\\") i++;
    else if (source[i] === quote) return i;
  }
  return -1;
}
