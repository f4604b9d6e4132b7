/**
 * A self-check of the floor's frame parser, run before every benchmark: a floor that drops or
 * merges frames would make every ratio meaningless. Frames of random sizes (empty, tiny, and
 * larger than a socket chunk) are cut at random points, so chunks hold partial frames, single
 * frames and many frames at once.
 */
import { frame, FrameReader } from "./framing.js";

/** Deterministic, so a failure reproduces. */
function lcg(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

const FRAMES = 400;
const SPLITS = 20;

export function checkFrameReader(seed = 0x5eed): void {
  const random = lcg(seed);
  const sent: Buffer[] = [];
  for (let i = 0; i < FRAMES; i++) {
    const size = i % 50 === 0 ? 100_000 + Math.floor(random() * 100_000) : Math.floor(random() * 40);
    const body = Buffer.allocUnsafe(size);
    for (let j = 0; j < size; j++) body[j] = Math.floor(random() * 256);
    sent.push(body);
  }
  const stream = Buffer.concat(sent.map((b) => frame(b)));
  for (let split = 0; split < SPLITS; split++) {
    const received: Buffer[] = [];
    const reader = new FrameReader(1 << 20, (body) => received.push(Buffer.from(body)));
    // Alternate tiny cuts (headers split across chunks) with large ones (many frames per chunk).
    const maxChunk = split % 2 === 0 ? 7 : 70_000;
    for (let pos = 0; pos < stream.length; ) {
      const size = 1 + Math.floor(random() * maxChunk);
      reader.push(stream.subarray(pos, pos + size));
      pos += size;
    }
    if (received.length !== sent.length) throw new Error(`floor framing: ${received.length} frames out of ${sent.length}`);
    for (let i = 0; i < sent.length; i++) {
      if (!received[i].equals(sent[i])) throw new Error(`floor framing: frame ${i} differs (split pattern ${split})`);
    }
  }
  const oversized = Buffer.from([0x7f, 0xff, 0xff, 0xff]);
  let refused = false;
  try {
    new FrameReader(1024, () => {}).push(oversized);
  } catch (error) {
    refused = error instanceof RangeError;
  }
  if (!refused) throw new Error("floor framing: a frame above maxFrameBytes was not refused");
}
