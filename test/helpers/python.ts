/**
 * The outside Python peer of the interop tests: whether python3 can run here. A test file
 * that needs it skips with a loud reason on a developer machine without it, and fails in CI
 * (CI=true), where interop tests are never skipped.
 */
import { spawnSync } from "node:child_process";
import { join } from "node:path";

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

/**
 * The interpreter of the newest installed pyenv version `prefix`.x (`pyenv prefix`), or
 * undefined with a loud warning when pyenv or that version is missing; throws when
 * CI=true, where these machines carry 2.7 and 3.6 to 3.13 and nothing is skipped.
 */
export function findPyenv(prefix: string, what: string): string | undefined {
  const listed = spawnSync("pyenv", ["versions", "--bare"], { encoding: "utf8", timeout: 10_000 });
  const versions = listed.status === 0 ? listed.stdout.split("\n").map((v) => v.trim()) : [];
  const version = versions.filter((v) => v.startsWith(`${prefix}.`) && /^\d+\.\d+\.\d+$/.test(v)).pop();
  const root = version ? spawnSync("pyenv", ["prefix", version], { encoding: "utf8", timeout: 10_000 }) : undefined;
  if (root?.status === 0) return join(root.stdout.trim(), "bin", "python");
  const missing = listed.error ? `pyenv cannot be run: ${listed.error.message}` : `pyenv versions lists no ${prefix}.x`;
  if (process.env.CI === "true") throw new Error(`${missing}. ${what} with Python ${prefix} are never skipped in CI.`);
  console.warn(`\n*** SKIPPING ${what.toUpperCase()} WITH PYTHON ${prefix}: ${missing} ***\n`);
  return undefined;
}
