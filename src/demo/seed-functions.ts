/**
 * The functions of the origin programs (test/fixtures/seed-examples/, and the JSON-RPC example
 * of seed 002), so that each of their clients runs unchanged against `npm start`: XML-RPC
 * arithmetic, JSON-RPC `echo` and `search` with named parameters, and the manager seeds'
 * `get_uname`. The key-value `get`/`put`/`inc` live in service.ts, over the demo's store.
 */
import os from "node:os";
import { RpcError } from "../core/errors.js";
import { describe } from "./validate.js";

/** `value` as a finite number: arithmetic on anything else would answer NaN or a string. */
function requireNumber(value: unknown, what: string): number {
  if (typeof value !== "number" || !Number.isFinite(value)) {
    throw new RpcError("INVALID_PARAMS", `${what} must be a finite number, got ${describe(value)}`);
  }
  return value;
}

/** A result past the double range is refused rather than answered as Infinity. */
function finite(result: number, what: string): number {
  if (!Number.isFinite(result)) throw new RpcError("INVALID_PARAMS", `${what} is ${result}, outside the double range`);
  return result;
}

/** x + y, as xmlrpc_server.py's `add`. */
export function add(x: number, y: number): number {
  return finite(requireNumber(x, "x") + requireNumber(y, "y"), `add(${x}, ${y})`);
}

/** x - y. */
export function subtract(x: number, y: number): number {
  return finite(requireNumber(x, "x") - requireNumber(y, "y"), `subtract(${x}, ${y})`);
}

/** x * y. */
export function multiply(x: number, y: number): number {
  return finite(requireNumber(x, "x") * requireNumber(y, "y"), `multiply(${x}, ${y})`);
}

/**
 * x / y, a double as Python 3's `/` answers (7 / 3 is 2.333…). Division by zero is a fault
 * (Python's ZeroDivisionError), never Infinity or NaN.
 */
export function divide(x: number, y: number): number {
  requireNumber(x, "x");
  if (requireNumber(y, "y") === 0) throw new RpcError("INVALID_PARAMS", `divide(${x}, 0): division by zero`);
  return finite(x / y, `divide(${x}, ${y})`);
}

/** One row of the table `search` reads: seed 002's `mytable`. */
export interface Person {
  id: number;
  last_name: string;
  first_name: string;
  number: string;
}

/** The small in-memory table of seed 002's `search` (its SQL table, without a database). */
const PEOPLE: readonly Readonly<Person>[] = Object.freeze([
  { id: 1, last_name: "Python", first_name: "Guido", number: "555-0100" },
  { id: 2, last_name: "Lovelace", first_name: "Ada", number: "555-0101" },
  { id: 3, last_name: "Hopper", first_name: "Grace", number: "555-0102" },
  { id: 4, last_name: "Python", first_name: "Monty", number: "555-0103" },
].map((p) => Object.freeze(p)));

/** The criteria of `search`, by name: each one given must match. */
export interface SearchCriteria {
  number?: string | null;
  last_name?: string | null;
  first_name?: string | null;
}

const CRITERIA = ["number", "last_name", "first_name"] as const;

/**
 * The rows matching every criterion given, as seed 002's `search(number=None, last_name=None,
 * first_name=None)`: positionally (`search(null, "Python")`) or by name, where a JSON-RPC
 * `params` object reaches a handler as one object argument (`{"last_name": "Python"}`).
 * No criterion lists the whole table. Rows are fresh copies, so a caller cannot change it.
 */
export function search(number?: string | null | SearchCriteria, last_name?: string | null, first_name?: string | null): Person[] {
  const byName = typeof number === "object" && number !== null;
  if (byName) {
    for (const key of Object.keys(number)) {
      if (!(CRITERIA as readonly string[]).includes(key)) throw new RpcError("INVALID_PARAMS", `search has no parameter ${JSON.stringify(key)}; it takes ${CRITERIA.join(", ")}`);
    }
  }
  const given: SearchCriteria = byName ? number : { number, last_name, first_name };
  for (const key of CRITERIA) {
    const v = given[key];
    if (v !== undefined && v !== null && typeof v !== "string") throw new RpcError("INVALID_PARAMS", `search: ${key} must be a string, got ${describe(v)}`);
  }
  return PEOPLE.filter((p) => CRITERIA.every((key) => given[key] == null || p[key] === given[key])).map((p) => ({ ...p }));
}

/**
 * `str(os.uname())` as Python prints it on this machine, which manager_kv_client.py prints
 * (it tells Linux from macOS).
 */
export function get_uname(): string {
  return `posix.uname_result(sysname='${os.type()}', nodename='${os.hostname()}', release='${os.release()}', version='${os.version()}', machine='${os.machine()}')`;
}
