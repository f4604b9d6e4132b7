/**
 * Debian's Chromium, driven by playwright-core (no browser download): a test that needs it
 * skips with a loud reason on a developer machine without it, and fails in CI (CI=true),
 * where .ci/run installs it with apt-get.
 */
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium, type BrowserContext, type Page } from "playwright-core";

export const CHROMIUM = "/usr/bin/chromium";

/** Why Chromium cannot run here, or undefined when it can; throws when CI=true and it cannot. */
export function chromiumMissing(what: string): string | undefined {
  if (existsSync(CHROMIUM)) return undefined;
  const missing = `${CHROMIUM} is missing (apt-get install chromium)`;
  if (process.env.CI === "true") throw new Error(`${missing}. ${what} are never skipped in CI: .ci/run installs it.`);
  return missing;
}

/** A headless Chromium with a fresh profile; close() removes the profile. */
export async function launchChromium(): Promise<{ context: BrowserContext; close(): Promise<void> }> {
  const profile = mkdtempSync(join(tmpdir(), "farcall-chromium-"));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"],
  });
  return {
    context,
    async close() {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

/** A page whose module imports the browser build from /farcall.js as `window.farcall`, then titles itself "ready". */
export const FARCALL_PAGE_HTML = `<!doctype html><title>farcall</title><script type="module">import * as farcall from "/farcall.js"; window.farcall = farcall; document.title = "ready";</script>`;

/** A fresh Chromium with `url` open, once the page titled itself "ready" (see {@link FARCALL_PAGE_HTML}). */
export async function openReadyPage(url: string): Promise<{ browser: Awaited<ReturnType<typeof launchChromium>>; page: Page }> {
  const browser = await launchChromium();
  const page = await browser.context.newPage();
  await page.goto(url);
  await page.waitForFunction(() => (globalThis as unknown as { document: { title: string } }).document.title === "ready");
  return { browser, page };
}
