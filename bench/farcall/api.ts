/**
 * The API farcall serves in the benchmark: plain functions and a nested namespace, exactly as
 * a user would write them.
 */

/** The shared secret of the benchmark's server and clients. */
export const AUTHKEY = "bench";

const counts = new Map<string, number>();

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
};

export type Api = typeof api;
