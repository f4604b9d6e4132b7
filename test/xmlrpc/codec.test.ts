/**
 * XML-RPC values both ways (xmlrpc/encode.ts, decode.ts, scalars.ts):
 * the type table, what other implementations write, and what is refused.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { RpcError } from "../../src/index.js";
import { decodeXmlRpc, type XmlRpcDocument } from "../../src/xmlrpc/decode.js";
import { encodeMethodCall, encodeValue, responseDocument } from "../../src/xmlrpc/encode.js";

const LIMITS = { maxDepth: 64, maxElements: 100_000 };

function decode(xml: string, limits = LIMITS): XmlRpcDocument {
  return decodeXmlRpc(Buffer.from(xml, "utf8"), limits);
}

/** The value of a response document holding `valueXml`. */
function read(valueXml: string): unknown {
  const doc = decode(`<methodResponse><params><param><value>${valueXml}</value></param></params></methodResponse>`);
  assert.equal(doc.kind, "response");
  return (doc as { value: unknown }).value;
}

function roundTrip(v: unknown): unknown {
  const doc = decode(responseDocument(encodeValue(v, 64)));
  assert.equal(doc.kind, "response");
  return (doc as { value: unknown }).value;
}

function refusedWith(code: string, fn: () => unknown, pattern?: RegExp): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(RpcError.is(err), `an RpcError, got ${String(err)}`);
    assert.equal(err.code, code, err.message);
    if (pattern) assert.match(err.message, pattern);
    return true;
  });
}

describe("XML-RPC values: JS to XML", () => {
  it("numbers are int when 32-bit, i8 when larger safe integers, double otherwise", () => {
    assert.equal(encodeValue(2147483647, 4), "<value><int>2147483647</int></value>");
    assert.equal(encodeValue(-2147483648, 4), "<value><int>-2147483648</int></value>");
    assert.equal(encodeValue(2147483648, 4), "<value><i8>2147483648</i8></value>");
    assert.equal(encodeValue(Number.MAX_SAFE_INTEGER, 4), "<value><i8>9007199254740991</i8></value>");
    assert.equal(encodeValue(2 ** 60, 4), "<value><double>1152921504606847000.0</double></value>");
    assert.equal(encodeValue(1.5, 4), "<value><double>1.5</double></value>");
    assert.equal(encodeValue(-0, 4), "<value><double>-0.0</double></value>", "-0 keeps its sign as a double, never <int>0</int>");
    assert.equal(encodeValue(NaN, 4), "<value><double>nan</double></value>");
    assert.equal(encodeValue(-Infinity, 4), "<value><double>-inf</double></value>");
  });

  it("doubles are written in decimal-point notation only, as the spec requires, and read back exactly", () => {
    const cases: Array<[number, string]> = [[1e21, "1000000000000000000000.0"], [-2.5e25, "-25000000000000000000000000.0"], [1e-7, "0.0000001"], [-1.5e-7, "-0.00000015"], [2.5, "2.5"]];
    for (const [n, text] of cases) assert.equal(encodeValue(n, 4), `<value><double>${text}</double></value>`);
    for (const n of [1e300, 5e-324, 1.7976931348623157e308, 1.2345678901234567e-300, 2 ** 53 + 2]) {
      const xml = encodeValue(n, 4);
      assert.match(xml, /^<value><double>-?\d+\.\d+<\/double><\/value>$/, `${n} has no exponent`);
      assert.equal(read(xml.slice("<value>".length, -"</value>".length)), n);
    }
    assert.equal(encodeValue(2n ** 63n - 1n, 4), "<value><i8>9223372036854775807</i8></value>");
  });

  it("Date goes as dateTime.iso8601 in UTC, whole seconds", () => {
    assert.equal(encodeValue(new Date(Date.UTC(1998, 6, 17, 14, 8, 55, 999)), 4), "<value><dateTime.iso8601>19980717T14:08:55</dateTime.iso8601></value>");
  });

  it("bytes go as base64, null and undefined as nil, structs without undefined members", () => {
    assert.equal(encodeValue(new Uint8Array([0, 1, 255]), 4), "<value><base64>AAH/</base64></value>");
    assert.equal(encodeValue(Buffer.from("abc"), 4), "<value><base64>YWJj</base64></value>");
    assert.equal(encodeValue(null, 4), "<value><nil/></value>");
    assert.equal(encodeValue(undefined, 4), "<value><nil/></value>");
    assert.equal(encodeValue({ a: undefined, b: true }, 4), "<value><struct><member><name>b</name><value><boolean>1</boolean></value></member></struct></value>");
  });

  it("text is escaped, carriage returns included, so it comes back exactly", () => {
    assert.equal(encodeValue("a<b>&c\r\n", 4), "<value><string>a&lt;b&gt;&amp;c&#13;\n</string></value>");
    assert.equal(roundTrip("a<b>&c\r\n]]>\t€😀"), "a<b>&c\r\n]]>\t€😀");
  });

  it("what XML-RPC cannot carry is INVALID_PARAMS naming where it sits", () => {
    refusedWith("INVALID_PARAMS", () => encodeValue({ a: [1, new Map()] }, 8), /a Map \(at value\.a\[1\]\)/);
    refusedWith("INVALID_PARAMS", () => encodeValue(new Set(), 8), /a Set/);
    refusedWith("INVALID_PARAMS", () => encodeValue(Symbol("s"), 8), /a symbol/);
    refusedWith("INVALID_PARAMS", () => encodeValue(() => 1, 8), /a function/);
    refusedWith("INVALID_PARAMS", () => encodeValue(new (class Point {})(), 8), /a Point/);
    refusedWith("INVALID_PARAMS", () => encodeValue(2n ** 64n, 8), /outside 64 bits/);
    refusedWith("INVALID_PARAMS", () => encodeValue(new Date(NaN), 8), /invalid Date/);
    refusedWith("INVALID_PARAMS", () => encodeValue(new Date(Date.UTC(10000, 0, 1)), 8), /year 10000/);
    refusedWith("INVALID_PARAMS", () => encodeValue("nul\u0000", 8), /U\+0000/);
    refusedWith("INVALID_PARAMS", () => encodeValue({ ["bad\u0001key"]: 1 }, 8), /U\+0001/);
    refusedWith("INVALID_PARAMS", () => encodeValue("lone \ud800 surrogate", 8), /U\+D800/);
    const cycle: Record<string, unknown> = {};
    cycle.self = cycle;
    refusedWith("INVALID_PARAMS", () => encodeValue(cycle, 8), /maxDepth 8/);
    refusedWith("INVALID_PARAMS", () => encodeMethodCall("m", [1, new Map()], 8), /at params\[1\]/);
  });
});

describe("XML-RPC values: XML to JS", () => {
  it("every spec type and the nil and i8 extensions are read", () => {
    assert.equal(read("<int>-12</int>"), -12);
    assert.equal(read("<i4> 42 </i4>"), 42);
    assert.equal(read("<i8>9007199254740993</i8>"), 9007199254740993n, "past 2^53 a BigInt");
    assert.equal(read("<i8>-9223372036854775808</i8>"), -(2n ** 63n));
    assert.equal(read("<boolean>1</boolean>"), true);
    assert.equal(read("<boolean>0</boolean>"), false);
    assert.equal(read("<string>x &amp; &lt;y&gt; &#233;&#x1F600;</string>"), "x & <y> é😀");
    assert.equal(read("<string/>"), "");
    assert.equal(read("<double>-1.5</double>"), -1.5);
    assert.deepEqual(read("<dateTime.iso8601>19980717T14:08:55</dateTime.iso8601>"), new Date(Date.UTC(1998, 6, 17, 14, 8, 55)));
    assert.deepEqual(read("<base64>AAH/</base64>"), new Uint8Array([0, 1, 255]));
    assert.deepEqual(read("<array><data><value><int>1</int></value><value>two</value></data></array>"), [1, "two"]);
    assert.deepEqual(read("<struct><member><name>a</name><value><nil/></value></member></struct>"), { a: null });
    assert.equal(read("<nil/>"), null);
  });

  it("a value without a type tag is a string, whitespace and all", () => {
    assert.equal(read("  plain text "), "  plain text ");
    assert.equal(read(""), "");
    assert.equal(read("\n  <int>3</int>\n"), 3, "whitespace around a typed value is layout");
  });

  it("Python's and Apache's spellings are read: ex:nil, ex:i8, exponents, inf and nan, wrapped base64", () => {
    assert.equal(read('<ex:nil xmlns:ex="http://ws.apache.org/xmlrpc/namespaces/extensions"/>'), null);
    assert.equal(read("<ex:i8>5</ex:i8>"), 5);
    assert.equal(read("<double>1e+300</double>"), 1e300);
    assert.equal(read("<double>inf</double>"), Infinity);
    assert.equal(read("<double>-inf</double>"), -Infinity);
    assert.ok(Number.isNaN(read("<double>nan</double>")));
    assert.deepEqual(read("<base64>\nYWJj\nZGVm\n</base64>"), new Uint8Array(Buffer.from("abcdef")));
  });

  it("dateTime without a zone is UTC; with Z or an offset it is read in that zone", () => {
    const utc = new Date(Date.UTC(2024, 1, 29, 23, 59, 58));
    assert.deepEqual(read("<dateTime.iso8601>20240229T23:59:58</dateTime.iso8601>"), utc);
    assert.deepEqual(read("<dateTime.iso8601>2024-02-29T23:59:58Z</dateTime.iso8601>"), utc);
    assert.deepEqual(read("<dateTime.iso8601>2024-03-01T01:59:58+02:00</dateTime.iso8601>"), utc);
    assert.deepEqual(read("<dateTime.iso8601>20240229T23:59:58.250</dateTime.iso8601>"), new Date(utc.getTime() + 250));
  });

  it("values round-trip through the encoder, except that dates lose their milliseconds", () => {
    const value = { n: [0, -1, 2 ** 31, 2 ** 53 - 1, 0.1, -0.5e-10], big: 2n ** 62n, s: "", b: [true, false], nil: null, bytes: new Uint8Array([9]), nested: { deeper: { deepest: [[[]]] } } };
    assert.deepEqual(roundTrip(value), value);
    assert.deepEqual(roundTrip(new Date(1_700_000_000_123)), new Date(1_700_000_000_000));
  });

  it("a struct member named __proto__ is an own member, not a prototype", () => {
    const v = read("<struct><member><name>__proto__</name><value><struct><member><name>admin</name><value><boolean>1</boolean></value></member></struct></value></member></struct>") as Record<string, unknown>;
    assert.ok(Object.hasOwn(v, "__proto__"));
    assert.equal(Object.getPrototypeOf(v), Object.prototype);
    assert.equal((v as { admin?: unknown }).admin, undefined);
  });

  it("methodCall, methodResponse and fault documents are told apart", () => {
    assert.deepEqual(decode("<?xml version='1.0'?>\n<methodCall>\n<methodName>a.b</methodName>\n<params>\n<param><value><int>1</int></value></param>\n</params>\n</methodCall>\n"), { kind: "call", method: "a.b", params: [1] });
    assert.deepEqual(decode("<methodCall><methodName>m</methodName></methodCall>"), { kind: "call", method: "m", params: [] });
    assert.deepEqual(decode("<methodResponse><fault><value><struct><member><name>faultCode</name><value><int>4</int></value></member></struct></value></fault></methodResponse>"), { kind: "fault", fault: { faultCode: 4 } });
  });

  it("an encoding named by the XML declaration is honoured; bytes invalid in it are PARSE_ERROR", () => {
    const latin1 = Buffer.from("<?xml version='1.0' encoding='ISO-8859-1'?><methodCall><methodName>caf\xe9</methodName></methodCall>", "latin1");
    assert.deepEqual(decodeXmlRpc(latin1, LIMITS), { kind: "call", method: "café", params: [] });
    refusedWith("PARSE_ERROR", () => decodeXmlRpc(Buffer.from("<methodCall><methodName>\xff</methodName></methodCall>", "latin1"), LIMITS), /UTF-8|utf-8/);
    refusedWith("PARSE_ERROR", () => decode("<?xml version='1.0' encoding='x-no-such'?><methodCall/>"), /unsupported XML encoding/);
  });

  it("limits are checked while parsing: depth and element count are RESOURCE_EXHAUSTED", () => {
    const nested = (n: number) => `${"<array><data><value>".repeat(n)}1${"</value></data></array>".repeat(n)}`;
    assert.deepEqual(read(nested(3)), [[["1"]]]);
    refusedWith("RESOURCE_EXHAUSTED", () => decode(`<methodResponse><params><param><value>${nested(5)}</value></param></params></methodResponse>`, { maxDepth: 4, maxElements: 1000 }), /maxDepth 4/);
    refusedWith("RESOURCE_EXHAUSTED", () => decode(`<methodResponse><params><param><value>${nested(5)}</value></param></params></methodResponse>`, { maxDepth: 64, maxElements: 10 }), /maxElements 10/);
  });

  it("DOCTYPEs, declarations and unknown entities are PARSE_ERROR", () => {
    refusedWith("PARSE_ERROR", () => decode('<!DOCTYPE methodCall SYSTEM "http://example.com/x.dtd"><methodCall><methodName>m</methodName></methodCall>'), /DOCTYPE/);
    refusedWith("PARSE_ERROR", () => decode('<!ELEMENT x ANY><methodCall><methodName>m</methodName></methodCall>'), /declarations are refused/);
    refusedWith("PARSE_ERROR", () => decode("<methodCall><methodName>&amp;&copy;</methodName></methodCall>"), /entity/);
  });

  it("scalars that do not parse are INVALID_REQUEST naming the type", () => {
    for (const [xml, type] of [
      ["<int>1.5</int>", "int"], ["<int></int>", "int"], ["<i8>9223372036854775808</i8>", "i8"], ["<boolean>true</boolean>", "boolean"],
      ["<double>1,5</double>", "double"], ["<double/>", "double"], ["<dateTime.iso8601>20240230T00:00:00</dateTime.iso8601>", "dateTime.iso8601"],
      ["<dateTime.iso8601>yesterday</dateTime.iso8601>", "dateTime.iso8601"], ["<base64>!!!!</base64>", "base64"],
    ] as const) {
      refusedWith("INVALID_REQUEST", () => read(xml), new RegExp(`not a valid ${type.replace(".", "\\.")}`));
    }
  });

  it("XML that is not XML-RPC is INVALID_REQUEST", () => {
    refusedWith("INVALID_REQUEST", () => read("<int>1</int><int>2</int>"), /more than one value/);
    refusedWith("INVALID_REQUEST", () => read("text<int>1</int>"), /more than one value/);
    refusedWith("INVALID_REQUEST", () => read("<array><value>1</value></array>"), /<value> inside <array>/);
    refusedWith("INVALID_REQUEST", () => read("<array/>"), /without <data>/);
    refusedWith("INVALID_REQUEST", () => read("<struct><member><name>a</name></member></struct>"), /needs a <name> and a <value>/);
    refusedWith("INVALID_REQUEST", () => decode("<methodResponse><params/></methodResponse>"), /exactly one/);
    refusedWith("INVALID_REQUEST", () => decode("<methodCall><params/></methodCall>"), /without <methodName>/);
    refusedWith("INVALID_REQUEST", () => decode("<methodCall>text<methodName>m</methodName></methodCall>"), /text inside <methodCall>/);
  });
});
