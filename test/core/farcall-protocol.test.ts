/**
 * farcall/1 over MessagePack: reading a frame's type and id without decoding it, and what a
 * frame that cannot be decoded still tells the peer.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { createMsgpackCodec } from "../../src/codecs/msgpack.js";
import { createFarcallProtocol, frameHead } from "../../src/core/farcall-protocol.js";
import * as M from "../../src/core/messages.js";
import type { Codec } from "../../src/core/codec.js";
import { MessageError } from "../../src/core/protocol.js";

const codec = createMsgpackCodec({ maxDepth: 8 });

/** A frame `[type, id, <value nested 20 deep>]`: over maxDepth 8, so it cannot be decoded. */
function tooDeep(type: number, id: number): Uint8Array {
  let value: unknown = 1;
  for (let i = 0; i < 20; i++) value = [value];
  return createMsgpackCodec({ maxDepth: 64 }).encode([type, id, value]);
}

function decodeError(frame: Uint8Array): MessageError {
  try {
    createFarcallProtocol(codec).decode(frame, 0, frame.length);
  } catch (err) {
    if (err instanceof MessageError) return err;
    throw err;
  }
  assert.fail("the frame decoded");
}

describe("frameHead", () => {
  it("reads the type and id of a frame of any id width, and nothing else", () => {
    for (const id of [0, 5, 127, 200, 65_535, 70_000, 0xffffffff]) {
      assert.deepEqual(frameHead(codec.encode([M.CALL, id, "a.b", ["x".repeat(100)]])), [M.CALL, id]);
      assert.deepEqual(frameHead(codec.encode([M.NEXT, id, { big: "y".repeat(70_000) }])), [M.NEXT, id]);
    }
    assert.deepEqual(frameHead(codec.encode(Array.from({ length: 20 }, (_, i) => (i === 0 ? M.RESULT : i)))), [M.RESULT, 1]);
    for (const doc of [{ a: 1 }, [M.CALL], [M.CALL, -1], [M.CALL, 1.5], [M.CALL, "1"], "text", 7]) {
      assert.equal(frameHead(codec.encode(doc)), undefined, JSON.stringify(doc));
    }
    assert.equal(frameHead(new Uint8Array(0)), undefined);
    assert.equal(frameHead(new Uint8Array([0x92, 0x00, 0xce, 0x01])), undefined);
  });

  it("reads a frame inside a larger buffer, never past its end", () => {
    const frame = codec.encode([M.RESULT, 70_000, "v"]);
    const buffer = new Uint8Array(frame.length + 10);
    buffer.set(frame, 4);
    assert.deepEqual(frameHead(buffer, 4, 4 + frame.length), [M.RESULT, 70_000]);
    assert.equal(frameHead(buffer, 4, 4 + 4), undefined, "the id is cut by the end");
  });
});

describe("a farcall/1 frame that cannot be decoded", () => {
  it("a CALL still names its call, so only that call is refused", () => {
    const err = decodeError(tooDeep(M.CALL, 300));
    assert.equal(err.callId, 300);
    assert.equal(err.resultId, undefined);
    assert.equal(err.error.code, "RESOURCE_EXHAUSTED");
  });

  it("a RESULT or an ERROR still names the call it answers, so only that call fails", () => {
    for (const type of [M.RESULT, M.ERROR]) {
      const err = decodeError(tooDeep(type, 70_000));
      assert.equal(err.resultId, 70_000);
      assert.equal(err.callId, undefined);
    }
  });

  it("anything else names no call: the session cannot go on", () => {
    const err = decodeError(new Uint8Array([0xc1, 0x00, 0x00]));
    assert.equal(err.callId, undefined);
    assert.equal(err.resultId, undefined);
  });
});

/** The MessageError `protocol.decode` throws for `frame`. */
function refusalBy(codec: Codec, frame: Uint8Array): MessageError {
  try {
    createFarcallProtocol(codec).decode(frame, 0, frame.length);
  } catch (err) {
    if (err instanceof MessageError) return err;
    throw err;
  }
  assert.fail("the frame was accepted");
}

describe("a message its codec refuses", () => {
  const shallow = createMsgpackCodec({ maxDepth: 4 });
  const deep = createMsgpackCodec();
  const tooDeep = [[[[[1]]]]];
  const call = deep.encode([M.CALL, 7, "a.b", [tooDeep]]);
  const result = deep.encode([M.RESULT, 300, tooDeep]);

  it("still names its call, or the call it answers, when the codec declares MessagePack syntax, whatever its name", () => {
    for (const codec of [shallow, { ...shallow, name: "msgpack-custom" }]) {
      const onCall = refusalBy(codec, call);
      assert.equal(onCall.error.code, "RESOURCE_EXHAUSTED");
      assert.equal(onCall.callId, 7, codec.name);
      assert.equal(refusalBy(codec, result).resultId, 300, codec.name);
    }
  });

  it("names no call (the peer closes the connection) when the codec promises no syntax, even one named msgpack", () => {
    const opaque: Codec = { name: "msgpack", encode: shallow.encode, decode: shallow.decode };
    const onCall = refusalBy(opaque, call);
    assert.equal(onCall.error.code, "RESOURCE_EXHAUSTED");
    assert.equal(onCall.callId, undefined);
    assert.equal(onCall.resultId, undefined);
  });
});
