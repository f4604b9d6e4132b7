import assert from "node:assert/strict";
import { test } from "node:test";
import { createJsonCodec } from "../../src/codecs/json-ext.js";
import { createMsgpackCodec } from "../../src/codecs/msgpack.js";
import { registerType } from "../../src/core/type-registry.js";
import { close, connect, serve } from "../../src/index.js";
import { Point } from "../fixtures/point.js";

class Segment {
  constructor(
    readonly from: Point,
    readonly to: Point,
    readonly tags: Map<string, Date>,
  ) {}
}

registerType(Point, {
  name: "test.Point",
  encode: (p) => [p.x, p.y],
  decode: (data: unknown) => {
    if (!Array.isArray(data) || data.length !== 2 || !data.every((n) => typeof n === "number")) throw new TypeError("a Point is [x, y]");
    return new Point(data[0], data[1]);
  },
});
registerType(Segment, {
  name: "test.Segment",
  encode: (s) => ({ from: s.from, to: s.to, tags: s.tags }),
  decode: (d: { from: Point; to: Point; tags: Map<string, Date> }) => new Segment(d.from, d.to, d.tags),
});

const value = { list: [new Point(3, 4), new Segment(new Point(0, 0), new Point(1, 1), new Map([["at", new Date(5)]]))] };

test("registered classes round-trip as themselves through MessagePack and extended JSON, nested", () => {
  for (const codec of [createMsgpackCodec(), createJsonCodec({ extended: true })]) {
    const out = codec.decode(codec.encode(value)) as typeof value;
    assert.ok(out.list[0] instanceof Point, codec.name);
    assert.equal((out.list[0] as Point).norm(), 5);
    const seg = out.list[1] as Segment;
    assert.ok(seg instanceof Segment && seg.from instanceof Point && seg.tags.get("at") instanceof Date, codec.name);
    assert.deepStrictEqual(out, value);
  }
});

test("plain JSON carries a registered instance as its encoded data", () => {
  const codec = createJsonCodec({ extended: false });
  assert.deepEqual(JSON.parse(Buffer.from(codec.encode(new Point(1, 2))).toString()), [1, 2]);
});

test("a type name the receiver never registered arrives as an inert { $type, data }", () => {
  const msgpack = createMsgpackCodec();
  const body = msgpack.encode(["nope.Unknown", { a: 1 }]);
  const tagged = Buffer.concat([Buffer.from([0xd4, 0x04, 0x00]), body]);
  assert.deepEqual(msgpack.decode(tagged), { $type: "nope.Unknown", data: { a: 1 } });
  const json = createJsonCodec({ extended: true });
  assert.deepEqual(json.decode(Buffer.from('{"$farcall:type":["nope.Unknown",{"a":1}]}')), { $type: "nope.Unknown", data: { a: 1 } });
});

test("a decode that refuses peer data is a PARSE_ERROR, not a crash", () => {
  const msgpack = createMsgpackCodec();
  const body = msgpack.encode(["test.Point", "not a point"]);
  assert.throws(() => msgpack.decode(Buffer.concat([Buffer.from([0xd4, 0x04, 0x00]), body])), (e: unknown) => (e as { code?: string }).code === "PARSE_ERROR");
});

test("registering a name twice for different classes, or nonsense, is a TypeError", () => {
  class Other {}
  assert.throws(() => registerType(Other, { name: "test.Point", encode: () => 0, decode: () => new Other() }), TypeError);
  assert.throws(() => registerType(Other, { name: "", encode: () => 0, decode: () => new Other() }), TypeError);
  assert.throws(() => registerType(Other, { name: "x".repeat(129), encode: () => 0, decode: () => new Other() }), TypeError);
});

test("registered instances cross a real connection both ways", async (t) => {
  const api = { mirror: (p: Point) => new Point(-p.x, -p.y), isPoint: (p: unknown) => p instanceof Point };
  const server = await serve(api, { listen: ["tcp://127.0.0.1:0", "http://127.0.0.1:0/rpc"], logger: false });
  t.after(() => server.close());
  for (const url of server.addresses) {
    const remote = await connect<typeof api>(url!);
    const mirrored = await remote.mirror(new Point(1, 2));
    assert.ok(mirrored instanceof Point, url);
    assert.deepStrictEqual(mirrored, new Point(-1, -2));
    assert.equal(await remote.isPoint(new Point(0, 0)), true, url);
    await close(remote);
  }
});
