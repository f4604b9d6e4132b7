// Compile-time checks of batch() and batchSettled(), run by `npm run typecheck` (part of
// `npm test`). Each @ts-expect-error line must fail to compile; if it ever compiles, tsc
// reports it.
import { batch, batchSettled, notify, type Remote } from "../../src/index.js";

const api = {
  add: (a: number, b: number) => a + b,
  kv: { get: (k: string): string | null => k },
  total: async (): Promise<bigint> => 0n,
};
type Api = typeof api;
declare const remote: Remote<Api>;

export async function checks(): Promise<void> {
  // Each element keeps its own type, without `as const`.
  const [sum, value, total] = await batch(remote, (r) => [r.add(1, 2), r.kv.get("a"), r.total()]);
  const s: number = sum;
  const v: string | null = value;
  const t: bigint = total;
  const empty: [] = await batch(remote, () => []);
  void [s, v, t, empty];

  const [ok, failed] = await batchSettled(remote, (r) => [r.add(1, 2), r.kv.get("a")]);
  if (ok.status === "fulfilled") {
    const n: number = ok.value;
    void n;
  }
  if (failed.status === "rejected") void failed.reason;

  // The callback's remote is typed like the one given.
  await batch(remote, (r) => {
    notify(r.add, [1, 2]);
    return [r.add(1, 2)] as const;
  });

  // @ts-expect-error wrong argument type inside a batch
  await batch(remote, (r) => [r.add("1", 2)]);
  // @ts-expect-error elements are typed per position: the second one is not a number
  const [, notNumber]: [number, number] = await batch(remote, (r) => [r.add(1, 2), r.kv.get("a")]);
  // @ts-expect-error the callback returns calls, not a Promise of them
  await batch(remote, async (r) => [await r.add(1, 2)]);
  // @ts-expect-error a settled outcome is not the value itself
  const notValue: number = (await batchSettled(remote, (r) => [r.add(1, 2)]))[0];
  void [notNumber, notValue];
}
