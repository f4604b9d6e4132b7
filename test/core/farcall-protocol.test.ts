import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { createMsgpackCodec } from "../../src/codecs/msgpack.js";
import type { Codec } from "../../src/core/codec.js";
import * as M from "../../src/core/messages.js";
import { MessageError } from "../../src/core/protocol.js";
import { createFarcallProtocol } from "../../src/core/farcall-protocol.js";

/** The MessageError `protocol.decode` throws for `frame`. */
function refusal(codec: Codec, frame: Uint8Array): MessageError {
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
      const onCall = refusal(codec, call);
      assert.equal(onCall.error.code, "RESOURCE_EXHAUSTED");
      assert.equal(onCall.callId, 7, codec.name);
      assert.equal(refusal(codec, result).resultId, 300, codec.name);
    }
  });

  it("names no call (the peer closes the connection) when the codec promises no syntax, even one named msgpack", () => {
    const opaque: Codec = { name: "msgpack", encode: shallow.encode, decode: shallow.decode };
    const onCall = refusal(opaque, call);
    assert.equal(onCall.error.code, "RESOURCE_EXHAUSTED");
    assert.equal(onCall.callId, undefined);
    assert.equal(onCall.resultId, undefined);
  });
});
