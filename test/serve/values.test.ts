// Values through a real connection: what goes in comes out, type for type.
import assert from "node:assert/strict";
import { test } from "node:test";
import { close, connect, RpcError, serve } from "../../src/index.js";

const api = { echo: (x: unknown) => x, args: (...xs: unknown[]) => xs.length };

test("every extended type survives a round trip through a server, as argument and as result", async (t) => {
  const server = await serve(api, { listen: "tcp://127.0.0.1:0", logger: false });
  t.after(() => server.close());
  const remote = await connect<typeof api>(server.addresses[0]);
  t.after(() => close(remote));
  const values: unknown[] = [
    new Date(1_700_000_000_123),
    12345678901234567890n,
    -(2n ** 300n),
    new Map<unknown, unknown>([[1, "one"], [{ k: 1 }, new Set(["x"])], ["s", new Map([[2n, new Date(0)]])]]),
    new Set([undefined, null, 1.5]),
    new Uint8Array([1, 2, 3]),
    Buffer.from("buffer"),
    undefined,
    { nested: { list: [1, "two", [3n, new Uint8Array(0)]], missing: undefined } },
    new RangeError("out of range"),
    new RpcError("APP_CODE", "carried as a value", { at: new Date(5) }),
    NaN,
    -Infinity,
    "",
    "unicode ✓ 日本語",
  ];
  for (const v of values) assert.deepStrictEqual(await remote.echo(v), v);
  const big = new Uint8Array(4 * 1024 * 1024).fill(7);
  assert.deepStrictEqual(await remote.echo(big), big);
  assert.equal(await remote.args(undefined, undefined), 2, "trailing undefined arguments are kept");
});

test("a result the codec cannot carry answers INVALID_PARAMS or INTERNAL instead of breaking the connection", async (t) => {
  const cyclic: Record<string, unknown> = {};
  cyclic.self = cyclic;
  const server = await serve({ cyclic: () => cyclic, ok: () => "ok" }, { listen: "tcp://127.0.0.1:0", logger: false });
  t.after(() => server.close());
  const remote = await connect<{ cyclic(): unknown; ok(): string }>(server.addresses[0]);
  t.after(() => close(remote));
  await assert.rejects(remote.cyclic(), (e: unknown) => RpcError.is(e) && e.code === "INTERNAL" && /cannot be sent/.test(e.message));
  assert.equal(await remote.ok(), "ok");
  await assert.rejects((remote.ok as (x: unknown) => Promise<string>)(cyclic), (e: unknown) => RpcError.is(e) && e.code === "INVALID_PARAMS");
  assert.equal(await remote.ok(), "ok", "the connection survived");
});

test("an unregistered class instance arrives as a plain object of its own fields; nothing is constructed", async (t) => {
  class Point {
    #secret = "kept here";
    constructor(
      readonly x: number,
      readonly y: number,
    ) {}
    norm(): number {
      return Math.hypot(this.x, this.y) + this.#secret.length;
    }
  }
  const server = await serve({ point: () => new Point(3, 4), echo: (x: unknown) => x }, { listen: "tcp://127.0.0.1:0", logger: false });
  t.after(() => server.close());
  const remote = await connect<{ point(): Point; echo(x: unknown): unknown }>(server.addresses[0], { logger: false });
  t.after(() => close(remote));
  const got = (await remote.point()) as unknown as Record<string, unknown>;
  assert.equal(Object.getPrototypeOf(got), Object.prototype);
  assert.equal(got.norm, undefined, "methods stay with the class");
  assert.deepEqual(got, { x: 3, y: 4 });
  const back = (await remote.echo(new Point(1, 2))) as unknown as Record<string, unknown>;
  assert.equal(Object.getPrototypeOf(back), Object.prototype);
  assert.deepEqual(back, { x: 1, y: 2 });
});
