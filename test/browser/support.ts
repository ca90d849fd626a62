import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { type Browser, chromium, type Page } from 'playwright-core';

/**
 * Real headless Chromium for the console tests: Debian's `chromium` package, driven by
 * playwright-core (no browser download). Missing Chromium is a failure with the fix in the message,
 * never a skipped test.
 */

export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export class ChromiumMissingError extends Error {
  override name = 'ChromiumMissingError' as const;

  constructor(readonly path: string) {
    super(
      `Chromium is not installed at ${path}; the console's browser tests run in it. ` +
        'Install it with: apt-get update && apt-get install -y chromium ' +
        '(or set CHROMIUM_PATH to another Chromium executable)',
    );
  }
}

export async function launchChromium(): Promise<Browser> {
  const executablePath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
  if (!existsSync(executablePath)) throw new ChromiumMissingError(executablePath);
  return chromium.launch({ executablePath, args: CHROMIUM_ARGS });
}

/** Opens the console of the stack at `endpoint` and waits until its event stream is live. */
export async function openConsole(browser: Browser, endpoint: string, pageErrors: string[]): Promise<Page> {
  const page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
  page.setDefaultTimeout(20_000);
  page.on('pageerror', (error) => pageErrors.push(error.message));
  page.on('console', (message) => {
    // A stack that stops (to restart) cuts the event stream and refuses connections for a moment:
    // expected network errors, which the page shows as "reconnecting". HTTP errors still count.
    if (message.type() === 'error' && !message.text().startsWith('Failed to load resource: net::ERR_')) {
      pageErrors.push(`${message.text()} @ ${message.location().url}`);
    }
  });
  await page.goto(`${endpoint}/_console`);
  await page.locator('#connection[data-state="live"]').waitFor();
  return page;
}

const SHOTS = new URL('../../test-results/console/', import.meta.url);

/** Saves a screenshot as a test artifact: test-results/console/<name>.png (git-ignored). */
export async function screenshot(page: Page, name: string): Promise<void> {
  await mkdir(SHOTS, { recursive: true });
  await page.screenshot({ path: new URL(`${name}.png`, SHOTS).pathname });
}
