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
 * The console's Notifications tab in headless Chromium: an SMS subscriber with a filter policy on
 * failures gets one short line for a failed file, shown as the phone shows it, and each notification
 * row says which subscriptions it reached.
 */

let browser: Browser;
let stack: LocalStack;
let page: Page;
let dataDir: string;
const pageErrors: string[] = [];

beforeAll(async () => {
  browser = await launchChromium();
  dataDir = await mkdtemp(join(tmpdir(), 'eventline-console-sms-'));
  const config = parseConfig({
    topic: {
      subscriptions: [
        { protocol: 'sms', endpoint: '+14155550100', filterPolicy: { status: ['FAILED'] } },
        { protocol: 'sqs', queue: 'everything' },
      ],
    },
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
    ['incoming/fine.json', '{"id":"fine"}'],
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

describe('SMS and deliveries on the console', () => {
  it('shows the SMS of a failed file and which subscriptions each notification reached', async () => {
    await page.click('.tab[data-tab="notifications"]');
    const sms = page.locator('#sms-table td.sms', { hasText: 'incoming/broken.json' });
    for (let round = 0; round < 40 && (await sms.count()) === 0; round++) {
      await page.click('#notifications-refresh');
      await page.waitForTimeout(250);
    }
    expect(await sms.textContent()).toMatch(/^eventline default: FAILED incoming\/broken\.json: /);
    expect(await page.locator('#sms-table tbody tr').count()).toBe(1);
    const failedRow = page.locator('#notifications-table tr[data-file="incoming/broken.json"]');
    await expect.poll(async () => failedRow.textContent(), { timeout: 20_000 }).toContain('sms ✓');
    expect(await failedRow.textContent()).toContain('sqs ✓');
    const fineRow = page.locator('#notifications-table tr[data-file="incoming/fine.json"]');
    expect(await fineRow.textContent()).toContain('1/1 delivered: sqs ✓');
    expect(pageErrors).toEqual([]);
  });
});
