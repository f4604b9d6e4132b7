/**
 * The API farcall serves in the benchmark: plain functions, a nested namespace and async
 * generators, exactly as a user would write them.
 */
import { makePayload } from "../drivers.js";

/** The shared secret of the benchmark's server and clients. */
export const AUTHKEY = "bench";

const counts = new Map<string, number>();

/** One W5b chunk, built once and yielded again and again, as the other servers do. */
let chunk: Uint8Array | undefined;

export const api = {
  add: (a: number, b: number): number => a + b,
  echo: (bytes: Uint8Array): Uint8Array => bytes,
  counter: {
    get(key: string): number {
      return counts.get(key) ?? 0;
    },
    inc(key: string): void {
      counts.set(key, (counts.get(key) ?? 0) + 1);
    },
  },
  /** W5: the integers 0..n-1 as a stream. */
  async *count(n: number): AsyncGenerator<number> {
    for (let i = 0; i < n; i++) yield i;
  },
  /** W5b: n chunks of `bytes` bytes as a stream. */
  async *chunks(n: number, bytes: number): AsyncGenerator<Uint8Array> {
    if (chunk?.length !== bytes) chunk = makePayload(bytes);
    for (let i = 0; i < n; i++) yield chunk;
  },
};

export type Api = typeof api;
