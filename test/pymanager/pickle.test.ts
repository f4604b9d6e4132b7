import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  decodePickle, encodePickle, MAX_INT_DIGITS, MAX_LONG_BYTES, PickleGlobal, PickleGlobalRef, pickleTuple,
  type PickleGlobals,
} from "../../src/pymanager/pickle/pickle.js";
import { RpcError } from "../../src/core/errors.js";
import { FixedOffset, isTuple, markPython, pythonTypeOf, Timedelta, tuple } from "../../src/pymanager/pickle/python-types.js";
import { Prng } from "../fixtures/hostile/prng.js";
import {
  hex, MANAGER_GLOBALS, mutate, p, protoKeyed, richDecoded, richValue, TEXT_PICKLE, throwsRpc,
} from "../fixtures/pickle/samples.js";

describe("decodePickle: scalars", () => {
  it("reads None, True and False in their protocol 0 and protocol 2 spellings", () => {
    assert.equal(decodePickle(p("N.")), null);
    assert.equal(decodePickle(p("\x80\x02\x88.")), true);
    assert.equal(decodePickle(p("\x80\x02\x89.")), false);
    assert.equal(decodePickle(p("I01\n.")), true);
    assert.equal(decodePickle(p("I00\n.")), false);
  });

  it("reads every binary int opcode", () => {
    assert.equal(decodePickle(p("K\xff.")), 255);
    assert.equal(decodePickle(p("M\x34\x12.")), 0x1234);
    assert.equal(decodePickle(p("J\xff\xff\xff\xff.")), -1);
    assert.equal(decodePickle(p("J\x00\x00\x00\x80.")), -(2 ** 31));
    assert.equal(decodePickle(p("\x8a\x00.")), 0);
    assert.equal(decodePickle(p("\x8a\x05\x00\x00\x00\x80\x00.")), 2 ** 31);
    assert.equal(decodePickle(p("\x8a\x01\x80.")), -128);
    assert.equal(decodePickle(p("\x8a\x09", [0, 0, 0, 0, 0, 0, 0, 0, 0x40], ".")), 2n ** 70n);
    assert.equal(decodePickle(p("\x8b\x02\x00\x00\x00\xff\x7f.")), 0x7fff);
  });

  it("reads the text ints of protocol 0, with or without LONG's trailing L", () => {
    assert.equal(decodePickle(p("I42\n.")), 42);
    assert.equal(decodePickle(p("I-1099511627776\n.")), -1099511627776);
    assert.equal(decodePickle(p("L5L\n.")), 5);
    assert.equal(decodePickle(p("L1180591620717411303424L\n.")), 2n ** 70n);
    assert.equal(decodePickle(p("L-5\n.")), -5);
    assert.ok(Object.is(decodePickle(p("I-0\n.")), 0), "Python ints have no -0");
  });

  it("gives a number for a safe integer and a BigInt beyond", () => {
    const long1 = (n: bigint): Uint8Array => encodePickle(n);
    assert.equal(decodePickle(long1(2n ** 53n - 1n)), Number.MAX_SAFE_INTEGER);
    assert.equal(decodePickle(long1(-(2n ** 53n) + 1n)), Number.MIN_SAFE_INTEGER);
    assert.equal(decodePickle(long1(2n ** 53n)), 2n ** 53n);
    assert.equal(decodePickle(long1(-(2n ** 53n))), -(2n ** 53n));
  });

  it("reads binary floats (big-endian) and the text floats Python writes", () => {
    assert.equal(decodePickle(p("G\x3f\xf8\x00\x00\x00\x00\x00\x00.")), 1.5);
    assert.ok(Object.is(decodePickle(p("G\x80\x00\x00\x00\x00\x00\x00\x00.")), -0));
    assert.equal(decodePickle(p("F1.5\n.")), 1.5);
    assert.equal(decodePickle(p("F1e+300\n.")), 1e300);
    assert.equal(decodePickle(p("F0.10000000000000001\n.")), 0.1);
    assert.equal(decodePickle(p("Finf\n.")), Infinity);
    assert.equal(decodePickle(p("F-inf\n.")), -Infinity);
    assert.ok(Number.isNaN(decodePickle(p("Fnan\n."))));
    throwsRpc("PARSE_ERROR", () => decodePickle(p("F1.5x\n.")), /FLOAT/);
  });

  it("reads str from every unicode opcode", () => {
    assert.equal(decodePickle(p("\x8c\x03abc.")), "abc");
    assert.equal(decodePickle(p("X\x02\x00\x00\x00\xc3\xa9.")), "é");
    assert.equal(decodePickle(p("\x8d\x04\x00\x00\x00\x00\x00\x00\x00\xf0\x9f\x98\x80.")), "😀");
    assert.equal(decodePickle(p("V\xe9\\u000a\\u005c\\U0001f600\n.")), "é\n\\😀");
  });

  it("applies raw-unicode-escape only after an odd run of backslashes", () => {
    assert.equal(decodePickle(p("V\\\\u0041\n.")), "\\\\u0041");
    assert.equal(decodePickle(p("V\\\\\\u0041\n.")), "\\\\A");
    assert.equal(decodePickle(p("V\\x\n.")), "\\x");
    throwsRpc("PARSE_ERROR", () => decodePickle(p("V\\u12\n.")), /truncated/);
    throwsRpc("PARSE_ERROR", () => decodePickle(p("V\\U00110000\n.")), /out of range/);
  });

  it("keeps lone surrogates (surrogatepass) and a leading byte-order mark", () => {
    assert.equal(decodePickle(p("\x8c\x03\xed\xa0\x80.")), "\ud800");
    assert.equal(decodePickle(p("\x8c\x06\xef\xbb\xbfbom.")), "\ufeffbom");
  });

  it("refuses str bytes that are not UTF-8", () => {
    for (const bad of ["\xff", "\xc0\x80", "\xe0\x80\x80", "\xf4\x90\x80\x80", "\xc3", "a\x80"]) {
      throwsRpc("PARSE_ERROR", () => decodePickle(p(`\x8c${String.fromCharCode(bad.length)}${bad}.`)), /UTF-8/);
    }
  });

  it("reads Python 2 str as text when it is UTF-8, else as bytes", () => {
    assert.equal(decodePickle(p("U\x03abc.")), "abc");
    assert.equal(decodePickle(p("T\x02\x00\x00\x00\xc3\xa9.")), "é");
    assert.deepEqual(decodePickle(p("U\x03ab\xff.")), new Uint8Array([0x61, 0x62, 0xff]));
    assert.equal(decodePickle(p("S'abc'\n.")), "abc");
    assert.equal(decodePickle(p("S\"a\\nb'c\\\\\\x41\\101\\q\"\n.")), "a\nb'c\\AA\\q");
    assert.deepEqual(decodePickle(p("S'ab\\xff'\n.")), new Uint8Array([0x61, 0x62, 0xff]));
    throwsRpc("PARSE_ERROR", () => decodePickle(p("Sabc\n.")), /quoted/);
    throwsRpc("PARSE_ERROR", () => decodePickle(p("S'\\x4'\n.")), /\\x/);
    throwsRpc("PARSE_ERROR", () => decodePickle(p("T\xff\xff\xff\xff.")), /negative/);
  });

  it("reads bytes and bytearray from every opcode, as Uint8Array copies", () => {
    const source = p("C\x02\x01\x02.");
    const decoded = decodePickle(source) as Uint8Array;
    assert.deepEqual(decoded, new Uint8Array([1, 2]));
    assert.notEqual(decoded.buffer, source.buffer, "a copy, not a view of the input");
    assert.equal(Object.getPrototypeOf(decoded), Uint8Array.prototype);
    assert.deepEqual(decodePickle(p("B\x01\x00\x00\x00\x07.")), new Uint8Array([7]));
    assert.deepEqual(decodePickle(p("\x8e\x01\x00\x00\x00\x00\x00\x00\x00\x07.")), new Uint8Array([7]));
    assert.deepEqual(decodePickle(p("\x96\x02\x00\x00\x00\x00\x00\x00\x00\x07\x08.")), new Uint8Array([7, 8]));
  });

  it("reads protocol 0-2 bytes and bytearray spelled as allowed global calls", () => {
    // CPython 3.11, protocol 2: b'ab\xff', b'', bytearray(b'x\x00'); 2.7: bytearray(b'x\x00').
    assert.deepEqual(decodePickle(p("\x80\x02c_codecs\nencode\nq\x00X\x04\x00\x00\x00ab\xc3\xbfq\x01X\x06\x00\x00\x00latin1q\x02\x86q\x03Rq\x04.")), new Uint8Array([0x61, 0x62, 0xff]));
    assert.deepEqual(decodePickle(p("\x80\x02c__builtin__\nbytes\nq\x00)Rq\x01.")), new Uint8Array(0));
    assert.deepEqual(decodePickle(p("\x80\x02c__builtin__\nbytearray\nq\x00c_codecs\nencode\nq\x01X\x02\x00\x00\x00x\x00q\x02X\x06\x00\x00\x00latin1q\x03\x86q\x04Rq\x05\x85q\x06Rq\x07.")), new Uint8Array([0x78, 0]));
    assert.deepEqual(decodePickle(p("\x80\x02c__builtin__\nbytearray\nq\x00X\x02\x00\x00\x00x\x00q\x01U\x07latin-1q\x02\x86q\x03Rq\x04.")), new Uint8Array([0x78, 0]));
    assert.deepEqual(decodePickle(p("\x80\x04\x8c\x08builtins\x94\x8c\x09bytearray\x94\x93\x94)R\x94.")), new Uint8Array(0));
  });
});

describe("decodePickle: containers", () => {
  it("reads tuples from every tuple opcode, as arrays", () => {
    assert.deepEqual(decodePickle(p(").")), []);
    assert.deepEqual(decodePickle(p("K\x01\x85.")), [1]);
    assert.deepEqual(decodePickle(p("K\x01K\x02\x86.")), [1, 2]);
    assert.deepEqual(decodePickle(p("K\x01K\x02K\x03\x87.")), [1, 2, 3]);
    assert.deepEqual(decodePickle(p("(K\x01K\x02K\x03K\x04t.")), [1, 2, 3, 4]);
    assert.deepEqual(decodePickle(p("(t.")), []);
  });

  it("reads lists from EMPTY_LIST, LIST, APPEND and APPENDS", () => {
    assert.deepEqual(decodePickle(p("].")), []);
    assert.deepEqual(decodePickle(p("]K\x01a.")), [1]);
    assert.deepEqual(decodePickle(p("](K\x01K\x02eK\x03a.")), [1, 2, 3]);
    assert.deepEqual(decodePickle(p("(lp0\nI1\naI2\na.")), [1, 2]);
    assert.deepEqual(decodePickle(p("(K\x01K\x02l.")), [1, 2]);
  });

  it("reads a dict with str keys as a plain object", () => {
    const value = decodePickle(p("}(\x8c\x01aK\x01\x8c\x01b]K\x02au\x8c\x01cNs."));
    assert.deepEqual(value, { a: 1, b: [2], c: null });
    assert.equal(Object.getPrototypeOf(value), Object.prototype);
    assert.deepEqual(decodePickle(p("(dp0\nS'a'\np1\nI1\ns.")), { a: 1 });
    assert.deepEqual(decodePickle(p("(\x8c\x01aK\x01d.")), { a: 1 });
  });

  it("reads a dict with any key that is not a str as a Map, in insertion order", () => {
    const value = decodePickle(p("}(\x8c\x01kNK\x01\x8c\x03one\x8c\x01zK\x02u.")) as Map<unknown, unknown>;
    assert.ok(value instanceof Map);
    assert.deepEqual([...value], [["k", null], [1, "one"], ["z", 2]]);
    const tupleKey = decodePickle(p("}K\x01K\x02\x86\x8c\x01ts.")) as Map<unknown, unknown>;
    assert.deepEqual([...tupleKey], [[[1, 2], "t"]]);
  });

  it("keeps a __proto__ key as an own property and never changes a prototype", () => {
    const value = decodePickle(p("}\x8c\x09__proto__}\x8c\x08polluted\x88ss.")) as Record<string, unknown>;
    assert.equal(Object.getPrototypeOf(value), Object.prototype);
    assert.deepEqual(value, protoKeyed({ polluted: true }));
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
  });

  it("reads sets and frozensets as Sets, including protocol 2's set([...]) calls", () => {
    assert.deepEqual(decodePickle(p("\x8f.")), new Set());
    assert.deepEqual(decodePickle(p("\x8f(K\x01K\x02\x90(K\x03\x90.")), new Set([1, 2, 3]));
    assert.deepEqual(decodePickle(p("(\x8c\x01a\x91.")), new Set(["a"]));
    assert.deepEqual(decodePickle(p("\x80\x02c__builtin__\nset\nq\x00]q\x01(K\x01K\x02e\x85q\x02Rq\x03.")), new Set([1, 2]));
    assert.deepEqual(decodePickle(p("c__builtin__\nfrozenset\np0\n((lp1\ntp2\nRp3\n.")), new Set());
  });

  it("refuses container opcodes on the wrong kind of value", () => {
    throwsRpc("PARSE_ERROR", () => decodePickle(p(")K\x01a.")), /APPEND on a list or tuple/);
    throwsRpc("PARSE_ERROR", () => decodePickle(p("(K\x01\x91(K\x02\x90.")), /ADDITEMS on a set/);
    throwsRpc("PARSE_ERROR", () => decodePickle(p("]K\x01K\x02s.")), /SETITEM on a list/);
    throwsRpc("PARSE_ERROR", () => decodePickle(p("}(K\x01u.")), /odd number/);
    throwsRpc("PARSE_ERROR", () => decodePickle(p("}Nb.")), /BUILD on a dict/);
  });
});

describe("decodePickle: stack and memo", () => {
  it("runs MARK, POP, POP_MARK and DUP as CPython does", () => {
    assert.equal(decodePickle(p("K\x01K\x020.")), 1);
    assert.equal(decodePickle(p("(K\x01K\x021K\x03.")), 3);
    assert.equal(decodePickle(p("K\x03(0.")), 3, "POP with nothing above a MARK pops the MARK");
    assert.deepEqual(decodePickle(p("]2K\x01a0.")), [1]);
  });

  it("stores and fetches memo entries with every memo opcode", () => {
    assert.deepEqual(decodePickle(p("(\x8c\x01a\x94h\x00j\x00\x00\x00\x00t.")), ["a", "a", "a"]);
    assert.deepEqual(decodePickle(p("(K\x07q\x05h\x05K\x08r\x00\x01\x00\x00j\x00\x01\x00\x00t.")), [7, 7, 8, 8]);
    assert.deepEqual(decodePickle(p("(I1\np12\ng12\nt.")), [1, 1]);
    assert.deepEqual(decodePickle(p("(K\x09r\xff\xff\xff\xffj\xff\xff\xff\xfft.")), [9, 9], "a sparse index works");
    throwsRpc("PARSE_ERROR", () => decodePickle(p("h\x00.")), /memo has no entry 0/);
    throwsRpc("PARSE_ERROR", () => decodePickle(p("K\x01p-1\n.")), /PUT/);
  });

  it("keeps shared references shared and cycles cyclic", () => {
    const shared = decodePickle(p("](]\x94K\x01ah\x00e.")) as unknown[][];
    assert.deepEqual(shared, [[1], [1]]);
    assert.equal(shared[0], shared[1]);
    const cyclic = decodePickle(p("]\x94h\x00a.")) as unknown[];
    assert.equal(cyclic[0], cyclic);
  });

  it("swaps every reference to a dict that became a Map, cycles included", () => {
    // d = {}; d[1] = d; [d, d]
    const value = decodePickle(p("](}\x94K\x01h\x00sh\x00e.")) as Array<Map<unknown, unknown>>;
    assert.ok(value[0] instanceof Map);
    assert.equal(value[0], value[1]);
    assert.equal(value[0].get(1), value[0]);
  });

  it("skips FRAME and accepts protocols 0 to 5 only", () => {
    assert.equal(decodePickle(p("\x80\x04\x95\x02\x00\x00\x00\x00\x00\x00\x00K\x07.")), 7);
    assert.equal(decodePickle(p("\x80\x05K\x07.")), 7);
    throwsRpc("PARSE_ERROR", () => decodePickle(p("\x80\x06K\x07.")), /unsupported protocol 6/);
    throwsRpc("PARSE_ERROR", () => decodePickle(p("\x80\x04\x95\x09\x00\x00\x00\x00\x00\x00\x00K\x07.")), /FRAME/);
  });
});

describe("decodePickle: allowed globals", () => {
  // CPython 3.11, protocol 4: Token('get', ('127.0.0.1', 5000), '7f12') and RemoteError('x\n').
  const TOKEN = hex("8004954a000000000000008c186d756c746970726f63657373696e672e6d616e6167657273948c05546f6b656e9493942981948c03676574948c093132372e302e302e31944d881386948c0437663132948794622e");
  const REMOTE_ERROR = hex("80049535000000000000008c186d756c746970726f63657373696e672e6d616e6167657273948c0b52656d6f74654572726f729493948c02780a94859452942e");

  it("builds a record for a Token from NEWOBJ and BUILD", () => {
    assert.deepEqual(decodePickle(TOKEN, { globals: MANAGER_GLOBALS }), {
      __class__: "multiprocessing.managers.Token", args: [], state: ["get", ["127.0.0.1", 5000], "7f12"],
    });
  });

  it("builds a record for a RemoteError from REDUCE", () => {
    assert.deepEqual(decodePickle(REMOTE_ERROR, { globals: MANAGER_GLOBALS }), {
      __class__: "multiprocessing.managers.RemoteError", args: ["x\n"],
    });
  });

  it("refuses the same pickles when the caller did not allow those globals", () => {
    throwsRpc("PARSE_ERROR", () => decodePickle(TOKEN), /^pickle refused: global multiprocessing\.managers\.Token is not allowed$/);
    throwsRpc("PARSE_ERROR", () => decodePickle(REMOTE_ERROR), /RemoteError is not allowed/);
  });

  it("looks up Python 2's __builtin__ and exceptions modules as builtins", () => {
    const keyError = { __class__: "builtins.KeyError", args: ["a"] };
    assert.deepEqual(decodePickle(p("\x80\x02cexceptions\nKeyError\nq\x00X\x01\x00\x00\x00aq\x01\x85q\x02Rq\x03."), { globals: MANAGER_GLOBALS }), keyError);
    assert.deepEqual(decodePickle(p("c__builtin__\nKeyError\n(S'a'\ntR."), { globals: MANAGER_GLOBALS }), keyError);
  });

  it("applies allowed globals through INST and OBJ too", () => {
    const keyError = { __class__: "builtins.KeyError", args: ["a"] };
    assert.deepEqual(decodePickle(p("(S'a'\nibuiltins\nKeyError\n."), { globals: MANAGER_GLOBALS }), keyError);
    assert.deepEqual(decodePickle(p("(cbuiltins\nKeyError\nS'a'\no."), { globals: MANAGER_GLOBALS }), keyError);
  });

  it("passes the argument tuple to a caller's factory and uses what it returns", () => {
    const seen: unknown[][] = [];
    const globals: PickleGlobals = { "my.mod": { Point: (args) => (seen.push(args), { x: args[0], y: args[1] }) } };
    assert.deepEqual(decodePickle(p("\x8c\x06my.mod\x8c\x05Point\x93K\x01K\x02\x86R."), { globals }), { x: 1, y: 2 });
    assert.deepEqual(seen, [[1, 2]]);
  });

  it("refuses a pickle whose factory rejects its arguments", () => {
    const globals: PickleGlobals = {
      m: {
        plain: () => { throw new Error("bad shape"); },
        coded: () => { throw new RpcError("INVALID_PARAMS", "no"); },
        frozen: () => Object.freeze({}),
      },
    };
    throwsRpc("PARSE_ERROR", () => decodePickle(p("cm\nplain\n)R."), { globals }), /^pickle refused: m\.plain rejected its arguments: bad shape$/);
    throwsRpc("INVALID_PARAMS", () => decodePickle(p("cm\ncoded\n)R."), { globals }), /^no$/);
    throwsRpc("PARSE_ERROR", () => decodePickle(p("cm\nfrozen\n)R}b."), { globals }), /cannot take state/);
  });

  it("decodes a global that is named but never called as an inert PickleGlobalRef", () => {
    const ref = decodePickle(p("c__builtin__\nset\n."));
    assert.ok(ref instanceof PickleGlobalRef);
    assert.equal(ref.name, "builtins.set");
    assert.ok(Object.isFrozen(ref));
  });

  it("accepts the data globals only with the argument shapes CPython writes", () => {
    throwsRpc("PARSE_ERROR", () => decodePickle(p("c_codecs\nencode\n\x8c\x03abc\x8c\x05rot13\x86R.")), /refused: _codecs\.encode/);
    throwsRpc("PARSE_ERROR", () => decodePickle(p("c_codecs\nencode\n\x8c\x02\xc4\x80\x8c\x06latin1\x86R.")), /not Latin-1/);
    throwsRpc("PARSE_ERROR", () => decodePickle(p("c__builtin__\nbytearray\nJ\x00\xca\x9a\x3b\x85R.")), /refused: builtins\.bytearray/);
    throwsRpc("PARSE_ERROR", () => decodePickle(p("c__builtin__\nbytes\nK\x05\x85R.")), /refused: builtins\.bytes/);
    throwsRpc("PARSE_ERROR", () => decodePickle(p("c__builtin__\nset\n\x8c\x03abc\x85R.")), /refused: builtins\.set/);
  });

  it("checks a caller's table once, by own properties only", () => {
    assert.throws(() => decodePickle(p("N."), { globals: { m: { f: 5 as never } } }), TypeError);
    const globals: PickleGlobals = { m: { f: () => 1 } };
    throwsRpc("PARSE_ERROR", () => decodePickle(p("cm\nconstructor\n)R."), { globals }), /global m\.constructor is not allowed/);
    throwsRpc("PARSE_ERROR", () => decodePickle(p("c__proto__\nf\n)R."), { globals }), /global __proto__\.f is not allowed/);
  });
});

describe("decodePickle: refusals", () => {
  const DANGEROUS: Array<[string, string]> = [
    ["os", "system"], ["posix", "system"], ["nt", "system"], ["builtins", "eval"], ["builtins", "exec"],
    ["__builtin__", "eval"], ["builtins", "getattr"], ["builtins", "__import__"], ["builtins", "open"],
    ["builtins", "compile"], ["builtins", "globals"], ["subprocess", "Popen"], ["subprocess", "check_output"],
    ["copyreg", "_reconstructor"], ["copy_reg", "_reconstructor"], ["functools", "partial"],
    ["operator", "attrgetter"], ["pickle", "loads"], ["marshal", "loads"], ["importlib", "import_module"],
    ["ctypes", "CDLL"], ["socket", "socket"], ["sys", "exit"], ["types", "FunctionType"],
    ["multiprocessing.managers", "RebuildProxy"], ["multiprocessing.managers", "AutoProxy"],
    ["multiprocessing.reduction", "rebuild_pipe_connection"], ["_codecs", "decode"], ["os.path", "join"],
  ];

  it("refuses every dangerous global by GLOBAL, STACK_GLOBAL and INST, before calling anything", () => {
    let calls = 0;
    const globals: PickleGlobals = { "multiprocessing.managers": { Token: () => (calls++, {}) } };
    for (const [module, name] of DANGEROUS) {
      const message = new RegExp(`^pickle refused: global ${module.replace(/\./g, "\\.")}\\.${name} is not allowed$`);
      throwsRpc("PARSE_ERROR", () => decodePickle(p(`c${module}\n${name}\n(S'touch /tmp/x'\ntR.`), { globals }), message);
      const stacked = p("\x80\x04\x8c", [module.length], module, "\x8c", [name.length], name, "\x93\x8c\x01x\x85R.");
      throwsRpc("PARSE_ERROR", () => decodePickle(stacked, { globals }), message);
      throwsRpc("PARSE_ERROR", () => decodePickle(p(`(S'x'\ni${module}\n${name}\n.`), { globals }), message);
    }
    assert.equal(calls, 0);
  });

  it("refuses persistent ids, the extension registry, NEWOBJ_EX and out-of-band buffers", () => {
    const cases: Array<[string, Uint8Array]> = [
      ["PERSID", p("Pabc\n.")], ["BINPERSID", p("\x8c\x01aQ.")], ["EXT1", p("\x80\x02\x82\x01.")],
      ["EXT2", p("\x80\x02\x83\x01\x00.")], ["EXT4", p("\x80\x02\x84\x01\x00\x00\x00.")],
      ["NEWOBJ_EX", p("\x80\x04N)}\x92.")], ["NEXT_BUFFER", p("\x80\x05\x97.")], ["READONLY_BUFFER", p("\x80\x05\x98.")],
    ];
    for (const [name, bytes] of cases) throwsRpc("PARSE_ERROR", () => decodePickle(bytes), new RegExp(`^pickle refused: ${name} `));
  });

  it("refuses REDUCE of a value that is not an allowed global, or with a list of arguments", () => {
    throwsRpc("PARSE_ERROR", () => decodePickle(p("\x8c\x02os)R.")), /REDUCE applies a str/);
    throwsRpc("PARSE_ERROR", () => decodePickle(p("c__builtin__\nset\n]R.")), /argument tuple/);
    throwsRpc("PARSE_ERROR", () => decodePickle(p("K\x01)\x81.")), /NEWOBJ applies a number/);
  });

  it("refuses unknown opcodes, naming the byte", () => {
    for (const code of [0x00, 0x5a, 0x99, 0xff]) {
      throwsRpc("PARSE_ERROR", () => decodePickle(p("\x80\x04", [code], ".")), new RegExp(`unknown opcode 0x${code.toString(16).padStart(2, "0")} at byte 2`));
    }
  });

  it("refuses stack underflow, an unbalanced STOP and bytes after STOP", () => {
    for (const bad of ["a.", "t.", "0.", "1.", "2.", "R.", "\x85.", "K\x01\x86.", "s.", "(K\x01\x93.", "."]) {
      throwsRpc("PARSE_ERROR", () => decodePickle(p(bad)), undefined);
    }
    throwsRpc("PARSE_ERROR", () => decodePickle(p("K\x01K\x02.")), /2 values on the stack/);
    throwsRpc("PARSE_ERROR", () => decodePickle(p("(K\x01.")), /MARK\(s\) open/);
    throwsRpc("PARSE_ERROR", () => decodePickle(p("N.N")), /1 bytes after STOP/);
    throwsRpc("PARSE_ERROR", () => decodePickle(new Uint8Array(0)), /truncated/);
  });

  it("refuses every truncation of a valid pickle", () => {
    const samples = [
      ...[2, 3, 4].map((protocol) => encodePickle(richValue(), { protocol: protocol as 2 | 3 | 4 })),
      TEXT_PICKLE,
    ];
    for (const sample of samples) {
      decodePickle(sample);
      for (let n = 0; n < sample.length; n++) {
        throwsRpc("PARSE_ERROR", () => decodePickle(sample.subarray(0, n)), undefined);
      }
    }
  });
});

describe("decodePickle: limits", () => {
  /** `n` lists nested by EMPTY_LIST ... APPEND: depth n. */
  const nestedLists = (n: number): Uint8Array => p("]".repeat(n), "a".repeat(n - 1), ".");

  it("accepts nesting to maxDepth and refuses one level more", () => {
    assert.doesNotThrow(() => decodePickle(nestedLists(64)));
    throwsRpc("RESOURCE_EXHAUSTED", () => decodePickle(nestedLists(65)), /maxDepth 64/);
    assert.doesNotThrow(() => decodePickle(nestedLists(10), { maxDepth: 10 }));
    throwsRpc("RESOURCE_EXHAUSTED", () => decodePickle(nestedLists(11), { maxDepth: 10 }));
    throwsRpc("RESOURCE_EXHAUSTED", () => decodePickle(p("(".repeat(65), "t".repeat(65), ".")), /maxDepth/);
    throwsRpc("RESOURCE_EXHAUSTED", () => decodePickle(p("N", "\x85".repeat(65), ".")), /maxDepth/);
    const nestedDicts = (n: number): Uint8Array => p("}\x8c\x01a".repeat(n - 1), "}", "s".repeat(n - 1), ".");
    assert.doesNotThrow(() => decodePickle(nestedDicts(64)));
    throwsRpc("RESOURCE_EXHAUSTED", () => decodePickle(nestedDicts(65)), /maxDepth 64/);
  });

  it("an options object passed again is held to its current settings, even after they changed", () => {
    const options: { maxDepth: number; maxMemo?: number } = { maxDepth: 10 };
    assert.doesNotThrow(() => decodePickle(nestedLists(10), options));
    throwsRpc("RESOURCE_EXHAUSTED", () => decodePickle(nestedLists(11), options), /maxDepth 10/);
    options.maxDepth = 5;
    throwsRpc("RESOURCE_EXHAUSTED", () => decodePickle(nestedLists(6), options), /maxDepth 5/);
    options.maxDepth = 20;
    assert.doesNotThrow(() => decodePickle(nestedLists(20), options));
    options.maxMemo = 0;
    assert.throws(() => decodePickle(nestedLists(2), options), /maxMemo must be a positive integer, got 0/);
    // Two objects used in turn (a process that is both a manager server and a client) keep their own limits.
    const shallow = { maxDepth: 3 };
    const deep = { maxDepth: 30 };
    for (let i = 0; i < 3; i++) {
      throwsRpc("RESOURCE_EXHAUSTED", () => decodePickle(nestedLists(4), shallow), /maxDepth 3/);
      assert.doesNotThrow(() => decodePickle(nestedLists(30), deep));
    }
  });

  it("measures the depth of a graph that grew after its parts were nested", () => {
    // A = [] (memo 0), nested 40 deep; then A grows 40 lists deeper through the memo.
    const crafted = p("]\x940", "]".repeat(40), "h\x00a", "a".repeat(39), "h\x00", "]".repeat(40), "a".repeat(40), "0.");
    throwsRpc("RESOURCE_EXHAUSTED", () => decodePickle(crafted), /maxDepth 64/);
    const shallow = p("]\x940", "]".repeat(10), "h\x00a", "a".repeat(9), "h\x00", "]".repeat(10), "a".repeat(10), "0.");
    assert.doesNotThrow(() => decodePickle(shallow));
  });

  it("bounds the memo, counting only new indices", () => {
    throwsRpc("RESOURCE_EXHAUSTED", () => decodePickle(p("(K\x01q\x00q\x01q\x02t."), { maxMemo: 2 }), /maxMemo 2/);
    assert.deepEqual(decodePickle(p("(K\x01q\x00q\x01q\x00q\x01t."), { maxMemo: 2 }), [1]);
  });

  it("bounds the stack", () => {
    throwsRpc("RESOURCE_EXHAUSTED", () => decodePickle(p("(", "N".repeat(11), "t."), { maxStack: 10 }), /maxStack 10/);
    assert.equal((decodePickle(p("(", "N".repeat(10), "t."), { maxStack: 10 }) as unknown[]).length, 10);
  });

  it("bounds integer length before parsing", () => {
    const long4 = (n: number): Uint8Array => p("\x8b", [n & 0xff, n >> 8, 0, 0], new Uint8Array(n), ".");
    assert.equal(decodePickle(long4(MAX_LONG_BYTES)), 0);
    throwsRpc("RESOURCE_EXHAUSTED", () => decodePickle(long4(MAX_LONG_BYTES + 1)), /LONG4 of 1025 bytes/);
    assert.equal(typeof decodePickle(p("L", "9".repeat(MAX_INT_DIGITS), "L\n.")), "bigint");
    throwsRpc("RESOURCE_EXHAUSTED", () => decodePickle(p("L", "9".repeat(MAX_INT_DIGITS + 1), "L\n.")), /2501 digits/);
    throwsRpc("RESOURCE_EXHAUSTED", () => decodePickle(p("I-", "9".repeat(MAX_INT_DIGITS + 1), "\n.")), /INT/);
  });

  it("checks every length against the bytes left before allocating", () => {
    for (const header of ["X\xff\xff\xff\xff", "B\xff\xff\xff\xff", "\x8d\xff\xff\xff\xff\xff\xff\xff\x7f", "\x8e\x00\x00\x00\x00\x00\x00\x00\x80", "\x96\xff\xff\xff\xff\x00\x00\x00\x00", "T\xff\xff\xff\x7f", "\x8b\xff\x03\x00\x00"]) {
      throwsRpc("PARSE_ERROR", () => decodePickle(p(header, "abc.")), /truncated/);
    }
  });

  it("refuses bad options at once", () => {
    for (const bad of [0, -1, 1.5, NaN]) {
      assert.throws(() => decodePickle(p("N."), { maxDepth: bad }), RangeError);
      assert.throws(() => decodePickle(p("N."), { maxMemo: bad }), RangeError);
      assert.throws(() => decodePickle(p("N."), { maxStack: bad }), RangeError);
    }
    assert.throws(() => decodePickle(p("N."), { maxDepth: 1001 }), /at most 1000/);
  });
});

describe("encodePickle", () => {
  it("leaves headroom zero bytes before the pickle when asked, and none on the next call", () => {
    const value = pickleTuple("#RETURN", [1, "two", null]);
    const plain = encodePickle(value);
    const roomy = encodePickle(value, { headroom: 4 });
    assert.deepEqual(roomy, new Uint8Array([0, 0, 0, 0, ...plain]));
    assert.deepEqual(encodePickle(value), plain);
    assert.throws(() => encodePickle(value, { headroom: 65 }), /headroom must be an integer from 0 to 64, got 65/);
    assert.throws(() => encodePickle(value, { headroom: -1 }), /headroom must be an integer from 0 to 64, got -1/);
  });

  it("asciiAsNativeStr writes all-ASCII text as Python 2's str at protocol 2 only; other text stays unicode", () => {
    const native = Buffer.from(encodePickle(["abc", "été"], { protocol: 2, asciiAsNativeStr: true }));
    assert.ok(native.includes(Buffer.from([0x55, 3, ...Buffer.from("abc")])), "SHORT_BINSTRING 'abc'");
    assert.ok(native.includes(Buffer.from([0x58, 5, 0, 0, 0, ...Buffer.from("été")])), "BINUNICODE u'été'");
    assert.deepEqual(decodePickle(native), ["abc", "été"]);
    const plain = Buffer.from(encodePickle(["abc"], { protocol: 2 }));
    assert.ok(plain.includes(Buffer.from([0x58, 3, 0, 0, 0, ...Buffer.from("abc")])), "without the option, BINUNICODE");
    const p4 = Buffer.from(encodePickle(["abc"], { protocol: 4, asciiAsNativeStr: true }));
    assert.ok(p4.includes(Buffer.from([0x8c, 3, ...Buffer.from("abc")])), "protocol 4 ignores the option: SHORT_BINUNICODE");
  });

  it("writes the manager protocol's reply in CPython's own opcodes", () => {
    assert.deepEqual(encodePickle(pickleTuple("#RETURN", 10)), hex("8004 8c07 2352455455524e 4b0a 86 2e"));
  });

  it("writes ints with the smallest opcode, and other numbers as floats", () => {
    assert.deepEqual(encodePickle(255, { protocol: 2 }), p("\x80\x02K\xff."));
    assert.deepEqual(encodePickle(256, { protocol: 2 }), p("\x80\x02M\x00\x01."));
    assert.deepEqual(encodePickle(-1, { protocol: 2 }), p("\x80\x02J\xff\xff\xff\xff."));
    assert.deepEqual(encodePickle(2 ** 31, { protocol: 2 }), p("\x80\x02\x8a\x05\x00\x00\x00\x80\x00."));
    assert.deepEqual(encodePickle(-129n, { protocol: 2 }), p("\x80\x02J\x7f\xff\xff\xff."));
    assert.deepEqual(encodePickle(-(2n ** 40n), { protocol: 2 }), p("\x80\x02\x8a\x06\x00\x00\x00\x00\x00\xff."));
    assert.deepEqual(encodePickle(5n, { protocol: 2 }), p("\x80\x02K\x05."));
    assert.deepEqual(encodePickle(-0, { protocol: 2 }), p("\x80\x02G\x80\x00\x00\x00\x00\x00\x00\x00."));
    assert.deepEqual(encodePickle(1.5, { protocol: 2 }), p("\x80\x02G\x3f\xf8\x00\x00\x00\x00\x00\x00."));
    assert.equal(decodePickle(encodePickle(2 ** 53)), 2 ** 53, "2^53 is not a safe integer: a float");
    assert.equal(encodePickle(2n ** 2100n)[2], 0x8b, "LONG4 past 255 bytes");
  });

  it("writes a Date as an aware datetime in UTC (naive UTC at protocol 2, for Python 2.7), and undefined as None", () => {
    const back = decodePickle(encodePickle(new Date(1700000000123))) as Date;
    assert.equal(back.getTime(), 1700000000123);
    assert.deepEqual(pythonTypeOf(back), { kind: "datetime", microsecond: 123000, utcOffset: new FixedOffset(new Timedelta(0, 0, 0)) });
    const py2 = decodePickle(encodePickle(new Date(1700000000123), { protocol: 2 })) as Date;
    assert.equal(py2.getTime(), 1700000000123);
    assert.equal((pythonTypeOf(py2) as { utcOffset: unknown }).utcOffset, null);
    assert.equal(decodePickle(encodePickle(undefined)), null);
  });

  it("keeps the Python types JavaScript cannot tell apart: tuple, frozenset, bytearray, date, datetime with microseconds and offset", () => {
    const plus2 = new FixedOffset(new Timedelta(0, 7200, 0));
    const aware = markPython(new Date(Date.UTC(2024, 1, 29, 10, 0, 0, 123)), { kind: "datetime", microsecond: 123456, utcOffset: plus2 });
    const naive = markPython(new Date(Date.UTC(1999, 11, 31, 23, 59, 59, 999)), { kind: "datetime", microsecond: 999999, utcOffset: null });
    const values: unknown[] = [tuple(1, tuple()), markPython(new Set(["a"]), "frozenset"), markPython(Uint8Array.of(1, 2), "bytearray"),
      markPython(new Date(Date.UTC(2024, 0, 2)), "date"), aware, naive, new Map([[tuple(1, 2), "t"]])];
    for (const protocol of [2, 3, 4] as const) {
      for (const value of values) {
        const back = decodePickle(encodePickle(value, { protocol }));
        assert.deepStrictEqual(back, value, `protocol ${protocol}`);
        // Python 2.7 has no datetime.timezone: at protocol 2 an aware datetime goes as naive UTC.
        const mark = protocol === 2 && value === aware ? { kind: "datetime", microsecond: 123456, utcOffset: null } : pythonTypeOf(value);
        assert.deepStrictEqual(pythonTypeOf(back), mark, `protocol ${protocol}: the mark`);
        if (value instanceof Map) assert.ok(isTuple([...(back as Map<unknown, unknown>).keys()][0]), "a tuple key stays a tuple");
      }
    }
  });

  it("refuses a bytearray as a dict key (unhashable in Python) and a Date outside Python's years", () => {
    assert.throws(() => encodePickle(new Map([[markPython(Uint8Array.of(1), "bytearray"), 1]])), /hashable in Python, not a bytearray/);
    assert.throws(() => encodePickle(new Date(Date.UTC(10000, 0, 1))), /year 10000 is outside/);
  });

  it("writes bytes as protocol 2 spells them: _codecs.encode(text, 'latin1'), or bytes()", () => {
    assert.deepEqual(encodePickle(new Uint8Array([0x61, 0xff]), { protocol: 2 }),
      p("\x80\x02c_codecs\nencode\nX\x03\x00\x00\x00a\xc3\xbfX\x06\x00\x00\x00latin1\x86R."));
    assert.deepEqual(encodePickle(new Uint8Array(0), { protocol: 2 }), p("\x80\x02c__builtin__\nbytes\n)R."));
    assert.deepEqual(encodePickle(Buffer.from([1]), { protocol: 3 }), p("\x80\x03C\x01\x01."));
  });

  it("writes a Set with EMPTY_SET from protocol 4 and as set([...]) before", () => {
    assert.deepEqual(encodePickle(new Set([1])), p("\x80\x04\x8f(K\x01\x90."));
    assert.deepEqual(encodePickle(new Set([1]), { protocol: 2 }), p("\x80\x02c__builtin__\nset\n]K\x01a\x85R."));
    assert.deepEqual(encodePickle(new Set([1]), { protocol: 3 }), p("\x80\x03cbuiltins\nset\n]K\x01a\x85R."));
  });

  it("writes a Token as CPython does: STACK_GLOBAL, NEWOBJ, then BUILD with its state", () => {
    const token = new PickleGlobal("multiprocessing.managers", "Token", {
      newobj: true, state: pickleTuple("get", pickleTuple("127.0.0.1", 5000), "7f12"),
    });
    assert.deepEqual(encodePickle(token), hex(
      "8004 8c186d756c746970726f63657373696e672e6d616e6167657273 8c05546f6b656e 93 29 81" +
      " 8c03676574 8c093132372e302e302e31 4d8813 86 8c0437663132 87 62 2e"));
    assert.deepEqual(decodePickle(encodePickle(token, { protocol: 2 }), { globals: MANAGER_GLOBALS }), {
      __class__: "multiprocessing.managers.Token", args: [], state: ["get", ["127.0.0.1", 5000], "7f12"],
    });
  });

  it("writes builtins as __builtin__ at protocol 2, for Python 2.7", () => {
    const keyError = new PickleGlobal("builtins", "KeyError", { args: ["a"] });
    assert.deepEqual(encodePickle(keyError, { protocol: 2 }), p("\x80\x02c__builtin__\nKeyError\nX\x01\x00\x00\x00a\x85R."));
    assert.deepEqual(encodePickle(keyError, { protocol: 3 }), p("\x80\x03cbuiltins\nKeyError\nX\x01\x00\x00\x00a\x85R."));
  });

  it("writes lists, dicts and sets in batches of 1000 as CPython does", () => {
    const bytes = encodePickle(Array.from({ length: 2001 }, () => 0));
    assert.equal(bytes.filter((b) => b === 0x65).length, 2, "two APPENDS");
    assert.equal(bytes[bytes.length - 2], 0x61, "then one APPEND");
  });

  it("refuses values Python could not load as intended", () => {
    const cyclic: unknown[] = [];
    cyclic.push(cyclic);
    class Point { x = 1; }
    for (const bad of [() => 1, Symbol("s"), new Point(), cyclic, new Map([[[1], 2]]), new Map([[{}, 2]]), new Set([[1]]), new Set([new Set()]), new Map([[pickleTuple([1]), 1]])]) {
      throwsRpc("INVALID_PARAMS", () => encodePickle(bad), /^value cannot be pickled: /);
    }
    throwsRpc("INVALID_PARAMS", () => encodePickle(new PickleGlobal("a\nb", "c"), { protocol: 3 }), /cannot be written/);
    throwsRpc("INVALID_PARAMS", () => encodePickle(new PickleGlobal("é", "c"), { protocol: 2 }), /cannot be written/);
  });

  it("writes a value reached twice as two copies: nothing is memoised", () => {
    const shared = [1];
    const decoded = decodePickle(encodePickle([shared, shared])) as unknown[][];
    assert.deepEqual(decoded, [[1], [1]]);
    assert.notEqual(decoded[0], decoded[1]);
  });

  it("stays correct when a getter encodes while an encode runs", () => {
    const value = { get inner() { return decodePickle(encodePickle({ deep: "x".repeat(10) })); }, after: "y" };
    assert.deepEqual(decodePickle(encodePickle(value)), { inner: { deep: "xxxxxxxxxx" }, after: "y" });
  });

  it("bounds depth, so a cycle fails instead of overflowing", () => {
    let deep: unknown = 1;
    for (let i = 0; i < 64; i++) deep = [deep];
    assert.doesNotThrow(() => encodePickle(deep));
    throwsRpc("INVALID_PARAMS", () => encodePickle([deep]), /maxDepth 64/);
    assert.doesNotThrow(() => encodePickle([deep], { maxDepth: 65 }));
    assert.throws(() => encodePickle(1, { protocol: 5 as 4 }), RangeError);
    assert.throws(() => encodePickle(1, { maxDepth: 0 }), RangeError);
  });

  for (const protocol of [2, 3, 4] as const) {
    it(`round-trips every supported type at protocol ${protocol}`, () => {
      assert.deepEqual(decodePickle(encodePickle(richValue(), { protocol })), richDecoded());
      assert.deepEqual(decodePickle(encodePickle(new Map([["a", 1]]), { protocol })), { a: 1 });
      assert.deepEqual(decodePickle(encodePickle(protoKeyed(2), { protocol })), protoKeyed(2));
      assert.deepEqual(decodePickle(encodePickle(Buffer.from("hi"), { protocol })), new Uint8Array([104, 105]));
      for (const n of [NaN, Infinity, -Infinity, -0, 5e-324]) assert.ok(Object.is(decodePickle(encodePickle(n, { protocol })), n));
    });
  }
});

describe("decodePickle: fuzzing", () => {
  const ALLOWED = new Set(["PARSE_ERROR", "INVALID_PARAMS", "RESOURCE_EXHAUSTED"]);

  it("throws nothing but a coded RpcError for 20,000 mutated pickles, and never hangs", { timeout: 30_000 }, () => {
    const corpus = [
      ...[2, 3, 4].map((protocol) => encodePickle(richValue(), { protocol: protocol as 2 | 3 | 4 })),
      encodePickle(new PickleGlobal("multiprocessing.managers", "Token", { newobj: true, state: pickleTuple("a", pickleTuple("h", 1), "i") })),
      encodePickle(pickleTuple(null, "create", pickleTuple("get", "a"), {})),
      TEXT_PICKLE,
      p("](}\x94K\x01h\x00sh\x00e."),
      p("c__builtin__\nset\np0\n((lp1\nI1\naI2\natp2\nRp3\n."),
    ];
    const seed = 0x5eed_0007;
    const rng = new Prng(seed);
    for (let i = 0; i < 20_000; i++) {
      let input = rng.pick(corpus);
      for (let k = rng.int(1, 4); k > 0; k--) input = mutate(rng, input);
      try {
        decodePickle(input, { globals: MANAGER_GLOBALS });
      } catch (err) {
        assert.ok(RpcError.is(err) && ALLOWED.has(String(err.code)),
          `seed ${seed}, case ${i}, input ${Buffer.from(input).toString("hex")}: threw ${String(err)}`);
      }
    }
  });
});

describe("Python 2's native str with nativeStrAsBytes", () => {
  it("decodes SHORT_BINSTRING, BINSTRING and STRING as their bytes, and BINUNICODE still as text", () => {
    // (str 'ab', str 'cd', str 'e', unicode 'f') as Python 2.7 pickles them
    const doc = p("\x80\x02(U\x02abT\x02\x00\x00\x00cdS'e'\nX\x01\x00\x00\x00ft.");
    assert.deepEqual(decodePickle(doc), ["ab", "cd", "e", "f"]);
    const raw = decodePickle(doc, { nativeStrAsBytes: true }) as unknown[];
    assert.deepEqual(raw.slice(0, 3).map((b) => (b instanceof Uint8Array ? [...b] : b)), [[0x61, 0x62], [0x63, 0x64], [0x65]]);
    assert.equal(raw[3], "f");
  });
});
