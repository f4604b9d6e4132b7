// The resume form of the handshake: only the holder of a session's current secret resumes
// it; a wrong or spent secret is refused and leaves the waiting session alone. Dialed with
// the session layer itself, so a test can present forged tickets.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { createConnection, type Socket } from "node:net";
import { describe, it, type TestContext } from "node:test";
import { createMsgpackCodec } from "../../src/codecs/msgpack.js";
import { RpcError } from "../../src/core/errors.js";
import { silentLogger } from "../../src/core/logger.js";
import type { Peer } from "../../src/core/peer.js";
import { exposedPipeline } from "../../src/core/pipeline.js";
import { isResumeRefusal } from "../../src/farcall/resume-handshake.js";
import { ResumableLink } from "../../src/farcall/resume-link.js";
import { dialFarcall, type StreamSessionConfig } from "../../src/farcall/stream-session.js";
import { serve } from "../../src/index.js";
import { rejection, until, within } from "../helpers/bounded.js";
import { CutProxy } from "../helpers/cut-proxy.js";

const api = {
  async slow(ms: number, value: string) {
    await new Promise((resolve) => setTimeout(resolve, ms));
    return value;
  },
};

/** A session-layer client of `port` that asks for resumable sessions and records its drops. */
function client(key: Uint8Array | undefined) {
  const detached: ResumableLink[] = [];
  const cfg: StreamSessionConfig = {
    codec: createMsgpackCodec(),
    key,
    maxFrameBytes: 1 << 20,
    maxWriteBufferBytes: 1 << 24,
    limits: { maxCallsInFlight: 100, keepaliveIntervalMs: 0, keepaliveTimeoutMs: 1000, idleTimeoutMs: 0 },
    exposeErrorStacks: false,
    logger: silentLogger,
    pipeline: exposedPipeline(undefined, silentLogger),
    clientResume: { limits: { bufferBytes: 1 << 20, bufferFrames: 1000 }, hooks: { detached: (link) => detached.push(link) } },
  };
  const dial = async (port: number, resuming?: ResumableLink): Promise<Peer> => {
    const socket: Socket = createConnection({ host: "127.0.0.1", port });
    await new Promise<void>((resolve, reject) => socket.once("connect", resolve).once("error", reject));
    return dialFarcall(socket, cfg, { transport: "tcp", address: "127.0.0.1", port, authenticated: key !== undefined }, {}, resuming);
  };
  return { detached, dial };
}

/** A link carrying `ticket` and nothing else: what an attacker who learnt a session's id (and maybe an old secret) could present. */
function forged(link: ResumableLink, secret: Uint8Array): ResumableLink {
  const fake = new ResumableLink({ send() {}, close() {} }, link.limits, silentLogger, "forged");
  fake.ticket = { id: link.ticket.id, secret };
  return fake;
}

async function refusedResume(attempt: Promise<Peer>, what: string): Promise<RpcError> {
  const error = await rejection(attempt, 5000, what);
  assert.ok(isResumeRefusal(error), `${what}: expected a resume refusal, got ${error.code}: ${error.message}`);
  return error;
}

async function setup(t: TestContext, authkey: string | undefined) {
  const server = await serve(api, { listen: "tcp://127.0.0.1:0", resumeWindowMs: 10_000, logger: false, ...(authkey ? { authkey } : {}) });
  t.after(() => server.close({ drainMs: 0 }));
  const proxy = await CutProxy.start(Number(new URL(server.addresses[0]!).port));
  t.after(() => proxy.close());
  return { proxy, ...client(authkey ? new TextEncoder().encode(authkey) : undefined) };
}

for (const authkey of ["s3cret", undefined]) {
  describe(`resume secrets ${authkey ? "derived from the authkey" : "sent at the first handshake (no authkey)"}`, () => {
    it("a wrong resume secret is refused, and the session still resumes with the right one", async (t) => {
      const { proxy, detached, dial } = await setup(t, authkey);
      const peer = await dial(proxy.port);
      const call = peer.call("slow", [300, "answered"]);
      proxy.cut();
      await until(5000, "the session detached", () => detached.length === 1);
      const link = detached[0]!;
      const error = await refusedResume(dial(proxy.port, forged(link, randomBytes(32))), "a resumption with a random secret");
      assert.match(error.message, /wrong resume proof/);
      assert.equal(await dial(proxy.port, link), peer, "the rightful client gets the same session back");
      assert.equal(await within(call, 5000, "the call in flight"), "answered");
    });

    it("a resumption with a secret that already resumed the session is refused", async (t) => {
      const { proxy, detached, dial } = await setup(t, authkey);
      const peer = await dial(proxy.port);
      proxy.cut();
      await until(5000, "the session detached", () => detached.length === 1);
      const link = detached[0]!;
      const spent = link.ticket.secret;
      assert.equal(await dial(proxy.port, link), peer);
      assert.notDeepEqual(link.ticket.secret, spent, "each resumption renews the secret");
      await refusedResume(dial(proxy.port, forged(link, spent)), "a resumption with the spent secret");
      // Replaying it did not disturb the session, which resumed over the proxy's second connection.
      assert.equal(await within(peer.call("slow", [0, "still here"]), 5000, "a call after the replay"), "still here");
    });
  });
}

describe("resume requests", () => {
  it("a resumption of an unknown session id is refused, naming the id", async (t) => {
    const { proxy, detached, dial } = await setup(t, "s3cret");
    await dial(proxy.port);
    proxy.cut();
    await until(5000, "the session detached", () => detached.length === 1);
    const fake = forged(detached[0]!, randomBytes(32));
    fake.ticket = { id: "no-such-session", secret: fake.ticket.secret };
    const error = await refusedResume(dial(proxy.port, fake), "a resumption of an unknown id");
    assert.match(error.message, /no session no-such-session waits to be resumed/);
  });
});
