/** The rate-limited logger (src/core/logger.ts): a flood of refusals cannot flood the log. */
import assert from "node:assert/strict";
import { test } from "node:test";
import { LOG_LIMIT_DEFAULTS, rateLimited, resolveLogger, silentLogger, type Logger } from "../../src/core/logger.js";

function recording(): Logger & { lines: string[] } {
  const lines: string[] = [];
  return { lines, info: (m) => lines.push(`info ${m}`), warn: (m) => lines.push(`warn ${m}`), error: (m) => lines.push(`error ${m}`) };
}

test("past its budget a rate-limited logger counts lines instead of writing them, then writes one summary", (t) => {
  // The clock is the test's: on a loaded machine 5,000 calls can straddle a real 50 ms window.
  t.mock.timers.enable({ apis: ["setTimeout", "Date"], now: 1_000_000 });
  const out = recording();
  const log = rateLimited(out, { lines: 3, intervalMs: 50 });
  for (let i = 0; i < 5000; i++) log.warn(`refused ${i}`);
  assert.deepEqual(out.lines, ["warn refused 0", "warn refused 1", "warn refused 2"]);
  t.mock.timers.tick(49);
  assert.equal(out.lines.length, 3, "no summary before the interval ends");
  t.mock.timers.tick(1);
  assert.deepEqual(out.lines.slice(3), ["warn 4997 more log lines dropped in 50 ms (at most 3 per interval)"]);
  log.info("next window");
  assert.equal(out.lines.at(-1), "info next window");
});

test("a window's summary counts that window only, even when its timer runs late", (t) => {
  t.mock.timers.enable({ apis: ["setTimeout", "Date"], now: 1_000_000 });
  const out = recording();
  const log = rateLimited(out, { lines: 2, intervalMs: 50 });
  for (let i = 0; i < 10; i++) log.warn(`first ${i}`);
  // The clock passes the window's end without the timer having run (a blocked event loop).
  t.mock.timers.setTime(1_000_060);
  for (let i = 0; i < 7; i++) log.warn(`second ${i}`);
  assert.deepEqual(out.lines, [
    "warn first 0",
    "warn first 1",
    "warn 8 more log lines dropped in 50 ms (at most 2 per interval)",
    "warn second 0",
    "warn second 1",
  ]);
  t.mock.timers.tick(50);
  assert.equal(out.lines.at(-1), "warn 5 more log lines dropped in 50 ms (at most 2 per interval)");
  assert.equal(out.lines.length, 6);
});

test("errors are never dropped, and the silent logger stays silent", () => {
  const out = recording();
  const log = rateLimited(out, { lines: 1, intervalMs: 60_000 });
  log.warn("a");
  log.warn("b");
  for (let i = 0; i < 3; i++) log.error(`failed ${i}`);
  assert.deepEqual(out.lines, ["warn a", "error failed 0", "error failed 1", "error failed 2"]);
  assert.equal(rateLimited(silentLogger), silentLogger);
});

test("a logger passed in is rate-limited too, as the default is", () => {
  const out = recording();
  const log = resolveLogger(out);
  for (let i = 0; i < 1000; i++) log.warn(`refused ${i}`);
  assert.equal(out.lines.length, LOG_LIMIT_DEFAULTS.lines);
  assert.equal(resolveLogger(false), silentLogger);
});

test("debug lines reach only a logger that has debug, within the same budget", () => {
  const plain = resolveLogger(recording());
  assert.equal(plain.debug, undefined);
  const lines: string[] = [];
  const withDebug = rateLimited({ ...recording(), debug: (m) => lines.push(m) }, { lines: 2, intervalMs: 60_000 });
  for (let i = 0; i < 5; i++) withDebug.debug?.(`event ${i}`);
  assert.deepEqual(lines, ["event 0", "event 1"]);
});

test("a logger already made by rateLimited() keeps the budget its owner chose", () => {
  const out = recording();
  const mine = rateLimited(out, { lines: 50, intervalMs: 60_000 });
  assert.equal(resolveLogger(mine), mine);
  const log = resolveLogger(mine);
  for (let i = 0; i < 100; i++) log.info(`line ${i}`);
  assert.equal(out.lines.length, 50);
});
