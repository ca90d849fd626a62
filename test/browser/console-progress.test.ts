import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseConfig } from '@eventline/config';
import type { FileState } from '@eventline/core';
import { LocalStack } from '@eventline/local';
import { createConsolePage } from '@eventline/local/console';
import type { Browser, Page, Route } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ChromiumMissingError, launchChromium } from './support.ts';

/**
 * The console's Files tab on long work, in real headless Chromium against a real local stack:
 * while the ledger's files are still being read it says it is loading (not "no files yet"), and a
 * file in progress shows the records and segments behind it, from the ledger's checkpoint and from
 * the live feed of its segments.
 */

let browser: Browser | undefined;
let missing: ChromiumMissingError | undefined;
let dataDir: string;
let stack: LocalStack;

/** A PROCESSING outcome item mid-way through a long file (its checkpoint), a segment running. */
function inProgress(key: string, records: number, segments: number): FileState {
  const at = new Date().toISOString();
  const counts = { read: records, written: records, rejected: 1, duplicates: 0, bytes: records * 10 };
  return {
    bucket: stack.config.bucket.name,
    key,
    route: 'default',
    seq: '',
    eventTime: at,
    status: 'PROCESSING',
    rev: 1,
    leaseUntil: Date.now() + 60_000,
    attempts: 1,
    counts: { read: 0, written: 0, rejected: 0, duplicates: 0, bytes: 0 },
    rejects: [],
    checkpoint: {
      offset: records * 10,
      line: records,
      records,
      values: records,
      counts,
      rejectParts: 0,
      segments,
    },
    notification: { status: 'NOT_NEEDED' },
    deadLetter: { status: 'NOT_NEEDED' },
    startedAt: at,
    updatedAt: at,
  };
}

beforeAll(async () => {
  try {
    browser = await launchChromium();
  } catch (error) {
    if (!(error instanceof ChromiumMissingError)) throw error;
    missing = error;
  }
  dataDir = await mkdtemp(join(tmpdir(), 'eventline-console-progress-'));
  stack = await LocalStack.start({
    config: parseConfig({}),
    dataDir,
    port: 0,
    consolePage: createConsolePage(),
    print: () => {},
  });
});

afterAll(async () => {
  await browser?.close();
  await stack?.stop();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

async function expectText(page: Page, selector: string, text: string): Promise<void> {
  const literal = text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  await page.locator(selector, { hasText: new RegExp(`^\\s*${literal}\\s*$`) }).waitFor();
}

describe('the Files tab on long work', () => {
  it('says it is loading until the ledger is read, then shows a file in progress with its records and segments', async () => {
    if (missing || !browser) throw missing;
    // Prepare: a long file 3 segments in (1,200 records), and the page's read of the ledger held
    await stack.ledger.putFile(inProgress('incoming/long.json', 1200, 3), undefined);
    const page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
    page.setDefaultTimeout(20_000);
    const pageErrors: string[] = [];
    page.on('pageerror', (error) => pageErrors.push(error.message));
    const held: Route[] = [];
    await page.route(
      (url) => url.pathname === '/_eventline/files',
      (route) => {
        held.push(route);
      },
    );

    try {
      // Act: open the console while the ledger read is held
      await page.goto(`${stack.url}/_console`);
      await page.locator('#connection[data-state="live"]').waitFor();
      for (let i = 0; i < 200 && held.length === 0; i++) await page.waitForTimeout(50);

      // Assess: loading, not empty
      expect(held.length).toBeGreaterThan(0);
      await expectText(page, '#feed-summary', 'loading files…');
      expect(await page.locator('#feed-empty').isHidden()).toBe(true);

      // Act: the ledger answers
      for (const route of held.splice(0)) await route.continue();
      await page.unroute((url) => url.pathname === '/_eventline/files');

      // Assess: the file in progress, its checkpoint's records and segments
      const row = page.locator('.row[data-key="incoming/long.json"]');
      await row.waitFor();
      expect(await row.getAttribute('data-status')).toBe('processing');
      await expectText(page, '.row[data-key="incoming/long.json"] .records', '1,200');
      await expectText(page, '.row[data-key="incoming/long.json"] .rejected', '1');
      expect(await row.locator('.note').textContent()).toBe('in progress: 3 segments done');
      await expectText(page, '#feed-summary', '1 file');
      // Its detail says the same
      await row.click();
      await page
        .locator('#detail-body dd', {
          hasText: '1,200 written so far · 1 rejected · 1,200 read · 3 segments done',
        })
        .waitFor();

      // Act: the live feed of another long file's segments (what the stack reports as each one pauses)
      const other = { bucket: stack.config.bucket.name, key: 'incoming/other.json', route: 'default' };
      const counts = (written: number) => ({ read: written, written, rejected: 0, duplicates: 0, bytes: 0 });
      stack.activity.recordOutcome({ ...other, status: 'continued', counts: counts(500), segments: 1 });
      stack.activity.recordOutcome({ ...other, status: 'continued', counts: counts(900), segments: 2 });

      // Assess
      const live = page.locator('.row[data-key="incoming/other.json"]');
      await expectText(page, '.row[data-key="incoming/other.json"] .records', '900');
      expect(await live.getAttribute('data-status')).toBe('processing');
      expect(await live.locator('.note').textContent()).toBe('in progress: 2 segments done');
      // The ledger figure counts each record once: 900 so far, not 500 + 900
      expect(stack.activity.counters.recordsWritten).toBe(900);
      await expectText(page, '#c-records', '900');
      expect(pageErrors).toEqual([]);
    } finally {
      await page.close();
    }
  });
});
