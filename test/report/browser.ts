/**
 * A real headless Chromium for the report tests (Debian's `chromium` package, which
 * `npm test`'s pretest and .ci/run install when it is missing), driven by playwright-core.
 */
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { chromium, type BrowserContext, type Page } from "playwright-core";

export const CHROMIUM = "/usr/bin/chromium";
/** Headless without a sandbox (CI runs as root in a container), a GPU, or any background traffic. */
const CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage"];

/** A browser with its own throwaway profile; `close` ends it and removes the profile. */
export interface Browser {
  readonly context: BrowserContext;
  newPage(): Promise<Page>;
  close(): Promise<void>;
}

/** Starts Chromium with a window of the given size; throws a clear error when it is not installed. */
export async function launchChromium(viewport: { width: number; height: number }): Promise<Browser> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`Chromium is not installed at ${CHROMIUM}: run .ci/run (it installs Debian's chromium package) or 'apt-get install chromium'`);
  }
  const profile = mkdtempSync(path.join(os.tmpdir(), "irpsim-chromium-"));
  const context = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS, viewport });
  return {
    context,
    newPage: () => context.newPage(),
    async close() {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

/** Collects a page's errors (console errors and uncaught exceptions) into `into`. */
export function watchErrors(page: Page, into: string[]): void {
  page.on("pageerror", (e) => into.push(`page error: ${e.message}`));
  page.on("console", (m) => {
    if (m.type() === "error") into.push(`console error: ${m.text()}`);
  });
}
