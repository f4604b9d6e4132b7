/**
 * Python's values (the stdlib classes a shared object holds and the values JavaScript keeps
 * with a Python type mark) returned by a handler to Python's real xmlrpc.client: each comes
 * as the XML-RPC value Python's own server would send for it, or as a fault naming the type
 * and where it sits, as Python's own server refuses it ("cannot marshal"). Never a silent
 * change: no deque arrives as a list, no date as a midnight datetime.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { PyComplex, PyDecimal, PyFraction, PyTime, PyUUID, serve, tuple } from "../../src/index.js";
import { FixedOffset, markPython, Timedelta } from "../../src/core/python-types.js";
import { findPython3, runPython } from "../fixtures/pymanager/python-run.js";

const python = findPython3("XML-RPC with Python's values");
const RUN_MS = 20_000;

const ist = new FixedOffset(new Timedelta(0, 19_800, 0), "IST");
const VALUES: Record<string, () => unknown> = {
  tuple: () => tuple(1, "a", tuple(2.5)),
  bytearray: () => markPython(new Uint8Array([97, 0, 255]), "bytearray"),
  datetime_naive: () => markPython(new Date(Date.UTC(2024, 1, 29, 23, 59, 58, 123)), { kind: "datetime", microsecond: 123_456, utcOffset: null }),
  datetime_aware: () => markPython(new Date(Date.UTC(1999, 11, 31, 18, 29, 59)), { kind: "datetime", microsecond: 0, utcOffset: ist }),
  date: () => markPython(new Date(Date.UTC(2024, 1, 29)), "date"),
  frozenset: () => [1, markPython(new Set([1, 2]), "frozenset")],
  ordered_dict: () => ({ o: markPython(new Map([["a", 1]]), "OrderedDict") }),
  counter: () => markPython(new Map([["x", 3]]), "Counter"),
  deque: () => markPython([1, 2], { kind: "deque", maxlen: 5 }),
  decimal: () => new PyDecimal("2.50"),
  fraction: () => new PyFraction(1, 3),
  complex: () => new PyComplex(3, -4),
  uuid: () => new PyUUID(9n),
  time: () => new PyTime(4, 5, 6),
  timedelta: () => new Timedelta(1, 2, 3),
};

/** What Python's xmlrpc.client (use_builtin_types=True) prints for each: its value, or the fault. */
const EXPECTED: Record<string, string> = {
  tuple: "list [1, 'a', [2.5]]",
  bytearray: "bytes b'a\\x00\\xff'",
  datetime_naive: "datetime datetime.datetime(2024, 2, 29, 23, 59, 58)",
  datetime_aware: "datetime datetime.datetime(1999, 12, 31, 18, 29, 59)",
  date: "Fault the result cannot be sent: XML-RPC cannot carry a Python datetime.date, which has no XML-RPC type (Python's xmlrpc.client cannot marshal it either) (at result)",
  frozenset: "Fault the result cannot be sent: XML-RPC cannot carry a Python frozenset, which has no XML-RPC type (Python's xmlrpc.client cannot marshal it either) (at result[1])",
  ordered_dict: "Fault the result cannot be sent: XML-RPC cannot carry a Python collections.OrderedDict, which has no XML-RPC type (Python's xmlrpc.client cannot marshal it either) (at result.o)",
  counter: "Fault the result cannot be sent: XML-RPC cannot carry a Python collections.Counter, which has no XML-RPC type (Python's xmlrpc.client cannot marshal it either) (at result)",
  deque: "Fault the result cannot be sent: XML-RPC cannot carry a Python collections.deque, which has no XML-RPC type (Python's xmlrpc.client cannot marshal it either) (at result)",
  decimal: "Fault the result cannot be sent: XML-RPC cannot carry a PyDecimal (at result)",
  fraction: "Fault the result cannot be sent: XML-RPC cannot carry a PyFraction (at result)",
  complex: "Fault the result cannot be sent: XML-RPC cannot carry a PyComplex (at result)",
  uuid: "Fault the result cannot be sent: XML-RPC cannot carry a PyUUID (at result)",
  time: "Fault the result cannot be sent: XML-RPC cannot carry a PyTime (at result)",
  timedelta: "Fault the result cannot be sent: XML-RPC cannot carry a Timedelta (at result)",
};

const CLIENT = `
import sys, xmlrpc.client
proxy = xmlrpc.client.ServerProxy(sys.argv[1], allow_none=True, use_builtin_types=True)
for name in sys.argv[2:]:
    try:
        v = proxy.value(name)
        print("%s: %s %r" % (name, type(v).__name__, v))
    except xmlrpc.client.Fault as f:
        print("%s: Fault %s" % (name, f.faultString))
`;

describe("XML-RPC and Python's values", { skip: python === undefined }, () => {
  it("Python's xmlrpc.client gets a tuple as a list, a bytearray as bytes, a datetime to the second; a fault naming the type and where it sits for the rest", async (t) => {
    const server = await serve({ value: (name: string) => VALUES[name]!() }, { listen: "http://127.0.0.1:0/RPC2", logger: false });
    t.after(() => server.close());
    const names = Object.keys(VALUES);
    const run = await runPython(python!, ["-c", CLIENT, server.addresses[0]!, ...names], RUN_MS);
    assert.equal(run.code, 0, run.stderr);
    assert.deepEqual(run.stdout.trimEnd().split("\n"), names.map((name) => `${name}: ${EXPECTED[name]}`));
  });
});
