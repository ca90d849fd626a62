import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { parseConfig } from '@eventline/config';
import { LocalStack } from '@eventline/local';
import { createConsolePage } from '@eventline/local/console';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, openConsole } from './support.ts';

/**
 * The console's Notifications tab in headless Chromium for a route with a digest: no row per file,
 * one row per digest as it is sent (its route, files and window), and the subscriptions it reached.
 */

let browser: Browser;
let stack: LocalStack;
let page: Page;
let dataDir: string;
const pageErrors: string[] = [];

beforeAll(async () => {
  browser = await launchChromium();
  dataDir = await mkdtemp(join(tmpdir(), 'eventline-console-digest-'));
  const config = parseConfig({
    routes: [{ id: 'sensors', notify: { digest: { everySeconds: 2 } } }],
    topic: { subscriptions: [{ protocol: 'sqs', queue: 'summaries' }] },
    local: { port: 0 },
  });
  stack = await LocalStack.start({
    config,
    dataDir,
    port: 0,
    consolePage: createConsolePage(),
    print: () => {},
  });
  page = await openConsole(browser, stack.url, pageErrors);
  for (const [key, body] of [
    ['incoming/a.json', '{"id":"a"}'],
    ['incoming/b.json', '{"id":"b"}'],
    ['incoming/broken.json', '{"id":'],
  ]) {
    await stack.clients.s3.send(new PutObjectCommand({ Bucket: config.bucket.name, Key: key, Body: body }));
  }
}, 60_000);

afterAll(async () => {
  await page?.close();
  await stack?.stop();
  await browser?.close();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

describe('digests on the console', () => {
  it('shows each digest as it is sent, with its files and the subscriptions it reached', async () => {
    await page.click('.tab[data-tab="notifications"]');
    const rows = page.locator('#notifications-table tr[data-digest^="sensors/"]');
    // The three files may fall in one window or two (a slot boundary between them).
    const total = async () => {
      let files = 0;
      for (const text of await rows.allTextContents()) files += Number(/: (\d+) files?/.exec(text)?.[1] ?? 0);
      return files;
    };
    // A digest shows once published; its delivery to the SQS subscriber is recorded a moment later.
    const delivered = async () =>
      (await rows.allTextContents()).every((text) => text.includes('1/1 delivered: sqs ✓'));
    for (let round = 0; round < 60 && ((await total()) < 3 || !(await delivered())); round++) {
      await page.click('#notifications-refresh');
      await page.waitForTimeout(250);
    }
    expect(await total()).toBe(3);
    const texts = await rows.allTextContents();
    expect(texts.join('\n')).toMatch(/digest of sensors: \d files?(, 1 failed)?, /);
    expect(texts.join('\n')).toContain(', 1 failed');
    for (const text of texts) expect(text).toContain('1/1 delivered: sqs ✓');
    // No row per file: every notification of the tab is a digest.
    expect(await page.locator('#notifications-table tr[data-file^="incoming/"]').count()).toBe(0);
    expect(pageErrors).toEqual([]);
  });
});
