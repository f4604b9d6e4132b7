/**
 * The outside Python peer of the interop tests: whether python3 can run here. A test file
 * that needs it skips with a loud reason on a developer machine without it, and fails in CI
 * (CI=true), where interop tests are never skipped.
 */
import { spawnSync } from "node:child_process";

/** Why python3 cannot run here, or undefined when it can; throws when CI=true and it cannot. */
export function python3Missing(what: string): string | undefined {
  const probe = spawnSync("python3", ["--version"], { encoding: "utf8", timeout: 15_000 });
  const missing = probe.error
    ? `python3 cannot be run: ${probe.error.message}`
    : probe.status !== 0
      ? `python3 --version exited ${probe.status}: ${probe.stderr}`
      : undefined;
  if (missing && process.env.CI === "true") {
    throw new Error(`${missing}. ${what} are never skipped in CI: install python3 on the runner.`);
  }
  if (missing) console.warn(`\n*** SKIPPING ${what.toUpperCase()}: ${missing} ***\n`);
  return missing;
}
