/**
 * The README's table of faults ("Faults and how long a call waits") is a promise: each row's
 * bound comes from a default in the code and is proved by the tests it names. This checks
 * the table against both, so a changed default or a removed test cannot leave it stale.
 */
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { test } from "node:test";
import { CONNECT_DEFAULTS } from "../../src/options.js";
import { NATS_DEFAULTS } from "../../src/nats/options.js";

const README = readFileSync(new URL("../../README.md", import.meta.url), "utf8");
const ROOT = new URL("../../", import.meta.url);

/** The section's text, from its heading to the next heading of its level or above. */
function section(heading: string): string {
  const start = README.indexOf(`### ${heading}\n`);
  assert.ok(start >= 0, `README has a "### ${heading}" section`);
  const rest = README.slice(start + heading.length + 5);
  const end = rest.search(/^#{1,3} /m);
  return end < 0 ? rest : rest.slice(0, end);
}

const FAULTS = section("Faults and how long a call waits");
/** Rows of the section's tables, without header and separator lines. */
const ROWS = FAULTS.split("\n").filter((line) => line.startsWith("| ") && !line.startsWith("| fault |"));

/** "15 s" for 15000. */
const seconds = (ms: number): string => `${ms / 1000} s`;

test("the faults section has rows, and every row names at least one test", () => {
  assert.ok(ROWS.length >= 10, `${ROWS.length} rows`);
  for (const row of ROWS) assert.match(row, /`test\/[\w/.-]+\.test\.ts`/, `a row naming no test: ${row.slice(0, 80)}`);
});

test("every test file the table names exists", () => {
  const named = new Set([...FAULTS.matchAll(/`(test\/[\w/.-]+\.test\.ts)`/g)].map((m) => m[1]!));
  for (const path of named) assert.ok(existsSync(new URL(path, ROOT)), `${path} is named in the README's faults table but does not exist`);
});

test("the defaults the farcall/1 table quotes are the client's defaults", () => {
  const { keepaliveIntervalMs, keepaliveTimeoutMs, connectTimeoutMs } = CONNECT_DEFAULTS;
  assert.ok(FAULTS.includes(`(keepalive ${seconds(keepaliveIntervalMs)} + ${seconds(keepaliveTimeoutMs)}, \`connectTimeoutMs\` ${seconds(connectTimeoutMs)})`), "the farcall/1 table's defaults line");
  assert.ok(FAULTS.includes(`\`keepaliveIntervalMs\` + \`keepaliveTimeoutMs\` after the last frame it sent (${seconds(keepaliveIntervalMs + keepaliveTimeoutMs)})`), "the stopped-server bound");
  assert.ok(FAULTS.includes(`within ${keepaliveTimeoutMs} ms`), "the keepalive message quotes keepaliveTimeoutMs");
  assert.ok(FAULTS.includes(`\`connectTimeoutMs\` (${seconds(connectTimeoutMs)})`), "the server-down bound");
});

test("the bounds the NATS table quotes are 2.5 heartbeats of the default heartbeatMs", () => {
  const { heartbeatMs, sessionKeepaliveMs } = NATS_DEFAULTS;
  assert.ok(FAULTS.includes(`(\`nats.heartbeatMs\` ${seconds(heartbeatMs)}, \`nats.sessionKeepaliveMs\` ${seconds(sessionKeepaliveMs)})`), "the NATS table's defaults line");
  const bound = `2.5 × \`heartbeatMs\``;
  const natsRows = ROWS.filter((row) => /NATS instance|nats-server killed/.test(row));
  assert.ok(natsRows.length >= 3, `${natsRows.length} NATS instance rows`);
  for (const row of natsRows.filter((r) => r.includes(bound))) assert.ok(row.includes(`(${seconds(2.5 * heartbeatMs)})`) || row.includes(`${2.5 * heartbeatMs} ms`), `a NATS row whose bound is not 2.5 x ${heartbeatMs} ms: ${row.slice(0, 80)}`);
});
