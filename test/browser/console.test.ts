import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BatchWriteItemCommand } from '@aws-sdk/client-dynamodb';
import {
  CancelMessageMoveTaskCommand,
  CreateQueueCommand,
  DeleteQueueCommand,
  PurgeQueueCommand,
  SendMessageBatchCommand,
  SQSClient,
  StartMessageMoveTaskCommand,
} from '@aws-sdk/client-sqs';
import { parseConfig } from '@eventline/config';
import { LocalStack } from '@eventline/local';
import { createConsolePage } from '@eventline/local/console';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ChromiumMissingError, launchChromium, openConsole, screenshot } from './support.ts';

/**
 * The console in real headless Chromium against a real local stack: files go in through the page's
 * file input (and a drop), through the S3 API, the pipeline and the ledger, and come back to the
 * page over server-sent events. What the page shows is checked against the stack's API too.
 */

interface LedgerPage {
  items: Array<{ pk: string; payload: Record<string, unknown>; source: { key: string } }>;
}

async function getJson<T>(stack: LocalStack, path: string): Promise<T> {
  const response = await fetch(`${stack.url}${path}`);
  expect(response.ok, `${path} answered ${response.status}`).toBe(true);
  return (await response.json()) as T;
}

/** Notifications published for one file: their text for people starts by naming it. */
async function notificationsFor(stack: LocalStack, key: string): Promise<Array<{ subject: string }>> {
  const { notifications } = await getJson<{ notifications: Array<{ subject: string; message: string }> }>(
    stack,
    '/_eventline/notifications?limit=10000',
  );
  return notifications.filter((n) => {
    const text = (JSON.parse(n.message) as { default: string }).default;
    return text.split('\n')[0]?.endsWith(`: ${key}`);
  });
}

const json = (name: string, text: string) => ({
  name,
  mimeType: 'application/json',
  buffer: Buffer.from(text),
});

let browser: Browser | undefined;
let missing: ChromiumMissingError | undefined;

beforeAll(async () => {
  try {
    browser = await launchChromium();
  } catch (error) {
    if (!(error instanceof ChromiumMissingError)) throw error;
    missing = error;
  }
});

/** A test in the browser: without Chromium it fails, with the install command, instead of being skipped. */
const inBrowser = (name: string, body: () => Promise<void>) =>
  it(name, async () => {
    if (missing) throw missing;
    await body();
  });

afterAll(async () => {
  await browser?.close();
});

describe('console on a running local stack', () => {
  let dataDir: string;
  let stack: LocalStack;
  let page: Page;
  const pageErrors: string[] = [];

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'eventline-console-'));
    stack = await LocalStack.start({
      config: parseConfig({}),
      dataDir,
      port: 0,
      consolePage: createConsolePage(),
      retryDelaysMs: [100, 200],
    });
    if (browser) page = await openConsole(browser, stack.url, pageErrors);
  });

  afterAll(async () => {
    await page?.close();
    await stack?.stop();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  it('serves the page on the edge with a same-origin content policy, and only what it knows', async () => {
    // Act
    const html = await fetch(`${stack.url}/_console`);
    const script = await fetch(`${stack.url}/_console/console.js`);
    const module = await fetch(`${stack.url}/_console/modules/live.js`);
    const sheet = await fetch(`${stack.url}/_console/styles/files.css`);
    const unknown = await fetch(`${stack.url}/_console/nothing-here.js`);
    const unknownModule = await fetch(`${stack.url}/_console/modules/nothing-here.js`);
    const outside = await fetch(`${stack.url}/_console/modules/..%2Fconsole.js`);
    const wrongKind = await fetch(`${stack.url}/_console/modules/files.css`);
    const post = await fetch(`${stack.url}/_console`, { method: 'POST' });

    // Assess
    expect(html.status).toBe(200);
    expect(html.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(html.headers.get('content-security-policy')).toContain("default-src 'none'");
    expect(await html.text()).toContain('<script type="module" src="/_console/console.js">');
    expect(script.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(await script.text()).toContain("from './modules/live.js'");
    expect(module.status).toBe(200);
    expect(module.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(module.headers.get('content-security-policy')).toContain("script-src 'self'");
    expect(await module.text()).toContain('new EventSource');
    expect(sheet.headers.get('content-type')).toBe('text/css; charset=utf-8');
    expect(await sheet.text()).toContain('.feed-cols');
    for (const missing of [unknown, unknownModule, outside, wrongKind]) {
      expect(missing.status).toBe(404);
      await missing.body?.cancel();
    }
    expect(post.status).toBe(405);
    await post.body?.cancel();
  });

  inBrowser(
    'uploads a file through the file input and shows it processed with its record, notification and logs',
    async () => {
      // Prepare
      await expectText(page, '#name-bucket', 'eventline-local');

      // Act
      await page.setInputFiles('#upload-input', json('order-1.json', '{"id":"order-1","total":42.50}'));

      // Assess: the feed row, then the file's detail
      const row = page.locator('.row[data-key="incoming/order-1.json"][data-status="processed"]');
      await row.waitFor();
      expect(await row.locator('.records').textContent()).toBe('1');
      await row.click();
      const record = page.locator('#detail-records .record[data-pk="order-1"]');
      await record.waitFor();
      expect(await record.locator('pre').textContent()).toContain('"id": "order-1"');
      const notification = page.locator('#detail-notification');
      await notification.getByText('S3 Event Processed').waitFor();
      expect(await notification.textContent()).toContain('New file processed: incoming/order-1.json');
      await page.locator('#detail-logs .log', { hasText: 'file processed' }).first().waitFor();
      await expectText(page, '#c-processed', '1');
      await expectText(page, '#c-records', '1');

      // Assess: the ledger holds what the page shows
      const records = await getJson<LedgerPage>(stack, '/_eventline/records?q=order-1');
      expect(records.items.map((i) => [i.pk, i.source.key])).toEqual([['order-1', 'incoming/order-1.json']]);
      await screenshot(page, 'processed');
      expect(pageErrors).toEqual([]);
    },
  );

  inBrowser('uploads a file dropped on the page through the S3 API as well', async () => {
    // Act: a real drop event carrying a File, as the browser makes one for a dragged file
    // (page code as text: the project compiles without the DOM library)
    const dataTransfer = await page.evaluateHandle(`(() => {
      const transfer = new DataTransfer();
      transfer.items.add(new File(['{"id":"order-drop","total":3}'], 'dropped.json', { type: 'application/json' }));
      return transfer;
    })()`);
    await page.dispatchEvent('body', 'dragenter', { dataTransfer });
    expect(await page.locator('#drop-overlay').isVisible()).toBe(true);
    await page.dispatchEvent('body', 'drop', { dataTransfer });

    // Assess
    await page.locator('.row[data-key="incoming/dropped.json"][data-status="processed"]').waitFor();
    expect(await page.locator('#drop-overlay').isVisible()).toBe(false);
    const records = await getJson<LedgerPage>(stack, '/_eventline/records?q=order-drop');
    expect(records.items).toHaveLength(1);
    expect(pageErrors).toEqual([]);
  });

  inBrowser(
    'shows a malformed file as failed with its reason; after the fix, replaying its dead letter changes nothing',
    async () => {
      // Act: a malformed file
      await page.setInputFiles('#upload-input', json('order-2.json', '{"id":"order-2","total":'));

      // Assess: failed, with the parser's reason in the feed, the detail and the dead-letter list
      const failed = page.locator('.row[data-key="incoming/order-2.json"][data-status="failed"]');
      await failed.waitFor();
      expect(await failed.locator('.reason').textContent()).toMatch(/^malformed JSON at line 1, column \d+/);
      await failed.click();
      const error = page.locator('#detail-error');
      await error.waitFor();
      expect(await error.locator('.code').textContent()).toBe('malformed-json');
      expect(await error.locator('.message').textContent()).toContain(
        'incoming/order-2.json: malformed JSON',
      );
      await page.locator('#detail-notification').getByText('S3 Event Failed').waitFor();
      await expectText(page, '#c-dlq', '1');
      await page.click('.tab[data-tab="dlq"]');
      const letter = page.locator('tr.letter[data-file="incoming/order-2.json"]');
      await letter.waitFor();
      expect(await letter.textContent()).toContain('malformed-json');
      await screenshot(page, 'failed');

      // Act: the fix — the corrected file under the same key, through the same file input
      await page.setInputFiles('#upload-input', json('order-2.json', '{"id":"order-2","total":7}'));

      // Assess: the new version is processed on its own (S3 sends an event for it)
      await page.click('.tab[data-tab="files"]');
      await page.locator('.row[data-key="incoming/order-2.json"][data-status="processed"]').waitFor();
      await page.click('.tab[data-tab="dlq"]');

      // Act: replay the old letter from the dead-letter list
      await letter.locator('button.replay').click();

      // Assess: the old event is stale (a newer version is in the ledger): the letter is cleared,
      // nothing is written or published again
      await page.locator('.replay-result[data-key="incoming/order-2.json"][data-status="stale"]').waitFor();
      await page.getByText('the dead-letter queue is empty').waitFor();
      await expectText(page, '#c-dlq', '0');
      await page.click('.tab[data-tab="files"]');
      await page.locator('.row[data-key="incoming/order-2.json"][data-status="processed"]').waitFor();
      const records = await getJson<LedgerPage>(stack, '/_eventline/records?q=order-2');
      expect(records.items.map((i) => i.payload)).toEqual([{ id: 'order-2', total: 7 }]);
      const subjects = (await notificationsFor(stack, 'incoming/order-2.json')).map((n) => n.subject);
      expect(subjects).toEqual(['S3 Event Failed', 'S3 Event Processed']);
      const { letters } = await getJson<{ letters: unknown[] }>(stack, '/_eventline/dlq');
      expect(letters).toEqual([]);
      await screenshot(page, 'fixed-and-replayed');
      expect(pageErrors).toEqual([]);
    },
  );

  inBrowser('uploads many files at once, then pages through the ledger and searches it by key', async () => {
    // Prepare: 30 more files in one pick of the file input
    const batch = Array.from({ length: 30 }, (_, i) => {
      const id = `batch-${String(i).padStart(2, '0')}`;
      return json(`${id}.json`, JSON.stringify({ id, total: i }));
    });
    await page.setInputFiles('#upload-input', batch);
    await expectText(page, '#c-processed', '33');
    const rows = page.locator('#ledger-table tbody tr');

    // Act / Assess: 33 records, 25 a page
    await page.click('.tab[data-tab="ledger"]');
    await page.selectOption('#ledger-size', '25');
    await expect.poll(() => rows.count(), { timeout: 10_000 }).toBe(25);
    expect(await page.locator('#ledger-next').isDisabled()).toBe(false);
    await page.click('#ledger-next');
    await expectText(page, '#ledger-page', 'page 2');
    await expect.poll(() => rows.count(), { timeout: 10_000 }).toBe(8);
    expect(await page.locator('#ledger-next').isDisabled()).toBe(true);
    await page.click('#ledger-prev');
    await expectText(page, '#ledger-page', 'page 1');
    await expect.poll(() => rows.count(), { timeout: 10_000 }).toBe(25);

    // Act / Assess: key search
    await page.fill('#ledger-search', 'batch-07');
    await expect.poll(() => rows.count(), { timeout: 10_000 }).toBe(1);
    expect(await rows.first().getAttribute('data-file')).toBe('incoming/batch-07.json');
    await page.fill('#ledger-search', 'no-such-key');
    await page.getByText('no records with a key containing “no-such-key”').waitFor();

    // Act / Assess: file items, and one opened from the ledger
    await page.fill('#ledger-search', 'order-');
    await page.click('.segmented button[data-kind="file"]');
    await page.locator('#ledger-table th', { hasText: 'notification' }).waitFor();
    await expect.poll(() => rows.count(), { timeout: 10_000 }).toBe(2);
    await page.click('#ledger-table tr[data-file="incoming/order-1.json"]');
    await page.locator('#detail-key', { hasText: 'incoming/order-1.json' }).waitFor();

    // Act / Assess: the notifications list names each file
    await page.click('.tab[data-tab="notifications"]');
    await page.locator('#notifications-table tr[data-file="incoming/batch-29.json"]').waitFor();
    expect(await page.locator('#notifications-table tr[data-file="incoming/order-2.json"]').count()).toBe(2);
    expect(await page.locator('#notifications-table tbody tr').count()).toBe(34);
    await page.click('.tab[data-tab="files"]');
    expect(pageErrors).toEqual([]);
  });

  inBrowser(
    'keeps 12,000 files responsive: a bounded number of rows in the DOM, scrolling and filtering work',
    async () => {
      // Prepare: 12,000 file outcomes on the stack's activity stream (the source of /feed and the
      // SSE feed events). They stand for files without making the test upload 12,000 objects.
      const before = await countFiles(page);
      const total = 12_000;

      // Act: streamed live, in chunks, as a busy stack would
      for (let chunk = 0; chunk < total; chunk += 1000) {
        for (let i = chunk; i < chunk + 1000; i++) {
          const key = `bulk/file-${String(i).padStart(5, '0')}.json`;
          stack.activity.record({
            at: new Date().toISOString(),
            kind: 'outcome',
            key,
            bucket: 'eventline-local',
            status: i % 500 === 7 ? 'failed' : 'processed',
            route: 'default',
            size: 100 + (i % 900),
            records: 1,
            rejected: 0,
            durationMs: 5 + (i % 40),
            notification: 'SENT',
            ...(i % 500 === 7 ? { reason: `${key}: malformed JSON at line 1, column 2` } : {}),
          });
        }
        await new Promise((resolve) => setImmediate(resolve));
      }

      // Assess: every file is in the list, only the visible rows exist
      await expect.poll(() => countFiles(page), { timeout: 20_000 }).toBeGreaterThanOrEqual(before + total);
      expect(await renderedRows(page)).toBeLessThan(80);
      await page.locator('.row[data-key="bulk/file-11999.json"]').waitFor();

      // Act / Assess: scroll to the end, the first file of all is there
      await page.$eval('#feed-viewport', (viewport) => {
        viewport.scrollTop = viewport.scrollHeight;
      });
      await page.locator('.row[data-key="incoming/order-1.json"]').waitFor();
      expect(await page.locator('.row[data-key="bulk/file-11999.json"]').count()).toBe(0);
      expect(await renderedRows(page)).toBeLessThan(80);

      // Act / Assess: filters
      await page.fill('#feed-search', 'file-11007');
      await page.locator('.row[data-key="bulk/file-11007.json"][data-status="failed"]').waitFor();
      expect(await renderedRows(page)).toBe(1);
      await page.fill('#feed-search', 'bulk/');
      await page.selectOption('#feed-status', 'failed');
      await expectText(page, '#feed-summary', `24 of ${(before + total).toLocaleString('en-US')} files`);
      await page.selectOption('#feed-status', '');
      await page.fill('#feed-search', '');
      await screenshot(page, 'twelve-thousand');

      // Act / Assess: a fresh page loads the snapshot (the stack keeps the last 10,000 feed entries)
      await page.reload();
      await page.waitForSelector('#connection[data-state="live"]');
      await expect.poll(() => countFiles(page), { timeout: 20_000 }).toBeGreaterThanOrEqual(10_000);
      expect(await renderedRows(page)).toBeLessThan(80);
      expect(pageErrors).toEqual([]);
    },
  );

  inBrowser(
    'shows the queue path: the ingest queue, batches, instances cold and warm, both DLQs, as SQS and the pool count them',
    async () => {
      // Act: one more file through S3 → the ingest queue → the event source → an instance
      await page.setInputFiles('#upload-input', json('runtime-1.json', '{"id":"runtime-1"}'));
      await page.locator('.row[data-key="incoming/runtime-1.json"][data-status="processed"]').waitFor();
      await stack.idle();

      // Assess: the panel names the path and the resources
      await page.locator('#runtime:not([hidden])').waitFor();
      await expectText(page, '#rt-mode', 'queue mode: S3 → SQS → instances');
      await expectText(page, '#rt-ingest-name', 'eventline-ingest');
      await expectText(page, '#rt-runtime', 'worker processes');
      await expectText(page, '#rt-dlq-name', 'eventline-dlq');
      await expectText(page, '#rt-events-dlq-name', 'eventline-events-dlq');
      // ...and its numbers are the stack's own (the queue idle: nothing waiting, nothing in flight)
      const runtime = await getJson<{
        ingest: { depth: number; inFlight: number };
        eventSource: { batches: number };
        instances: { coldStarts: number; warmStarts: number; concurrency: number };
      }>(stack, '/_eventline/runtime');
      expect(runtime.eventSource.batches).toBeGreaterThan(0);
      expect(runtime.instances.coldStarts).toBeGreaterThan(0);
      await expectText(page, '#rt-depth', String(runtime.ingest.depth));
      await expectText(page, '#rt-inflight', String(runtime.ingest.inFlight));
      await expectText(page, '#rt-batches', String(runtime.eventSource.batches));
      await expectText(page, '#rt-cold', String(runtime.instances.coldStarts));
      await expectText(page, '#rt-warm', String(runtime.instances.warmStarts));
      expect(await page.textContent('#rt-instances')).toMatch(
        new RegExp(`^\\d+/${runtime.instances.concurrency}$`),
      );
      await screenshot(page, 'runtime-panel');

      // A redrive of the events DLQ shows while its move task runs (1 a second, to a queue of its own).
      const sqs = new SQSClient({
        region: 'us-east-1',
        endpoint: stack.url,
        credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
      });
      try {
        const events = stack.queues.eventDeadLetters;
        const { QueueUrl: target } = await sqs.send(new CreateQueueCommand({ QueueName: 'console-redrive' }));
        for (let i = 0; i < 30; i += 10) {
          await sqs.send(
            new SendMessageBatchCommand({
              QueueUrl: events.url,
              Entries: Array.from({ length: 10 }, (_, n) => ({
                Id: String(n),
                MessageBody: `{"n":${i + n}}`,
              })),
            }),
          );
        }
        const { TaskHandle } = await sqs.send(
          new StartMessageMoveTaskCommand({
            SourceArn: events.arn,
            DestinationArn: events.arn.replace(/[^:]+$/, 'console-redrive'),
            MaxNumberOfMessagesPerSecond: 1,
          }),
        );
        await page
          .locator('#rt-events-dlq-name', { hasText: /^eventline-events-dlq · redrive: \d+ to move back$/ })
          .waitFor();
        await sqs.send(new CancelMessageMoveTaskCommand({ TaskHandle }));
        await expectText(page, '#rt-events-dlq-name', 'eventline-events-dlq');
        await sqs.send(new PurgeQueueCommand({ QueueUrl: events.url }));
        await sqs.send(new DeleteQueueCommand({ QueueUrl: target }));
      } finally {
        sqs.destroy();
      }
      expect(pageErrors).toEqual([]);
    },
  );
});

describe('replay after fixing the configuration', () => {
  let dataDir: string;
  let stack: LocalStack | undefined;
  let page: Page;
  const pageErrors: string[] = [];
  const config = (maxFileBytes: number) =>
    parseConfig({ routes: [{ prefix: 'incoming/', suffix: '.json', format: 'json', maxFileBytes }] });

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'eventline-console-config-'));
    stack = await LocalStack.start({
      config: config(64),
      dataDir,
      port: 0,
      consolePage: createConsolePage(),
    });
    if (browser) page = await openConsole(browser, stack.url, pageErrors);
  });

  afterAll(async () => {
    await page?.close();
    await stack?.stop();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  inBrowser(
    'dead-letters a file the route refuses, and the Replay button processes it once the limit is raised',
    async () => {
      // Prepare: a good file over the route's (too small) size limit
      const body = JSON.stringify({ id: 'order-big', note: 'x'.repeat(100) });
      await page.setInputFiles('#upload-input', json('big.json', body));
      await page.locator('.row[data-key="incoming/big.json"][data-status="failed"]').waitFor();
      await page.click('.tab[data-tab="dlq"]');
      await page.locator('tr.letter[data-file="incoming/big.json"]', { hasText: 'too-large' }).waitFor();

      // Act: fix the configuration and restart the stack on the same port and data directory
      const port = Number(new URL(stack!.url).port);
      await stack!.stop();
      stack = undefined;
      await page.locator('#connection[data-state="reconnecting"]').waitFor();
      stack = await LocalStack.start({
        config: config(1024 * 1024),
        dataDir,
        port,
        consolePage: createConsolePage(),
      });
      await page.locator('#connection[data-state="live"]').waitFor();

      // Act: replay from the page
      await page.locator('tr.letter[data-file="incoming/big.json"] button.replay').click();

      // Assess: processed now, once
      await page.locator('.replay-result[data-key="incoming/big.json"][data-status="processed"]').waitFor();
      await page.getByText('the dead-letter queue is empty').waitFor();
      await page.click('.tab[data-tab="files"]');
      const row = page.locator('.row[data-key="incoming/big.json"][data-status="processed"]');
      await row.waitFor();
      await row.click();
      await page.locator('#detail-records .record[data-pk="order-big"]').waitFor();
      const records = await getJson<LedgerPage>(stack, '/_eventline/records?q=order-big');
      expect(records.items).toHaveLength(1);
      const subjects = (await notificationsFor(stack, 'incoming/big.json')).map((n) => n.subject);
      expect(subjects).toEqual(['S3 Event Failed', 'S3 Event Processed']);
      await screenshot(page, 'replayed-after-config-fix');
      expect(pageErrors).toEqual([]);
    },
  );
});

describe('exact numbers and dead letters on a fresh stack', () => {
  let dataDir: string;
  let stack: LocalStack;
  let page: Page;
  const pageErrors: string[] = [];

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'eventline-console-numbers-'));
    stack = await LocalStack.start({
      config: parseConfig({}),
      dataDir,
      port: 0,
      consolePage: createConsolePage(),
    });
    if (browser) page = await openConsole(browser, stack.url, pageErrors);
  });

  afterAll(async () => {
    await page?.close();
    await stack?.stop();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  inBrowser(
    'shows 38-digit, 1e30, 1E-130 and tiny numbers digit for digit in the detail and the ledger',
    async () => {
      // Prepare: numbers a double cannot hold
      const body =
        '{"id":"num-1","int38":12345678901234567890123456789012345678,"dec38":1234567890123456789.0123456789012345678,' +
        '"e30":1e30,"min":1E-130,"small":0.12345678901234567890123,"mixed":12345678901234567890.123,"plain":42.5}';
      // What the ledger holds for each (DynamoDB's normal form: 1e30 is written out)
      const expected = {
        int38: '12345678901234567890123456789012345678',
        dec38: '1234567890123456789.0123456789012345678',
        e30: '1000000000000000000000000000000',
        min: `0.${'0'.repeat(129)}1`,
        small: '0.12345678901234567890123',
        mixed: '12345678901234567890.123',
        plain: '42.5',
      };

      // Act
      await page.setInputFiles('#upload-input', json('numbers.json', body));
      const row = page.locator('.row[data-key="incoming/numbers.json"][data-status="processed"]');
      await row.waitFor();
      await row.click();

      // Assess: the record's JSON in the detail
      const record = page.locator('#detail-records .record[data-pk="num-1"] pre');
      await record.waitFor();
      const shown = (await record.textContent()) ?? '';
      for (const [name, text] of Object.entries(expected))
        expect(shown, name).toContain(`"${name}": ${text}`);

      // Assess: the ledger table
      await page.click('.tab[data-tab="ledger"]');
      const cell = page.locator('#ledger-table tr[data-file="incoming/numbers.json"] td:nth-child(3)');
      await cell.waitFor();
      const payload = (await cell.textContent()) ?? '';
      for (const [name, text] of Object.entries(expected))
        expect(payload, name).toContain(`"${name}":${text}`);
      await page.click('.tab[data-tab="files"]');
      expect(pageErrors).toEqual([]);
    },
  );

  inBrowser("reads a file's ledger items a bounded page at a time, with a button to read on", async () => {
    // Prepare: 120 other records, so that a page of 20 items cannot hold the whole table.
    const table = stack.config.table.name;
    for (let i = 0; i < 120; i += 25) {
      const items = Array.from({ length: Math.min(25, 120 - i) }, (_, j) => ({
        PutRequest: {
          Item: {
            pk: { S: `filler-${i + j}` },
            kind: { S: 'record' },
            payload: { M: { id: { S: `filler-${i + j}` } } },
            source: { M: { bucket: { S: 'b' }, key: { S: `incoming/filler-${i + j}.json` } } },
            origin: { S: `b/incoming/filler-${i + j}.json` },
          },
        },
      }));
      await stack.clients.dynamodb.send(new BatchWriteItemCommand({ RequestItems: { [table]: items } }));
    }
    await page.setInputFiles('#upload-input', json('deep-1.json', '{"id":"deep-1","total":1}'));
    await page.locator('.row[data-key="incoming/deep-1.json"][data-status="processed"]').waitFor();
    const paged = await browser!.newPage({ viewport: { width: 1440, height: 900 } });
    paged.setDefaultTimeout(20_000);
    paged.on('pageerror', (error) => pageErrors.push(error.message));
    try {
      await paged.goto(`${stack.url}/_console?budget=20`);
      await paged.locator('#connection[data-state="live"]').waitFor();

      // Act
      await paged.locator('.row[data-key="incoming/deep-1.json"]').click();
      const more = paged.locator('#detail-records-more');
      await more.waitFor();
      // The first page read at most its budget of the table (20 of its 120+ items).
      const firstRead = Number(/read (\d+) ledger items so far/.exec((await more.textContent()) ?? '')?.[1]);
      expect(firstRead).toBeGreaterThan(0);
      expect(firstRead).toBeLessThanOrEqual(20);
      for (let i = 0; i < 50 && (await more.count()) > 0; i++) {
        await more.click();
        // The page's request done: the button is enabled again, or gone with the last page.
        await paged.locator('#detail-records-more[disabled]').waitFor({ state: 'detached' });
      }

      // Assess: every page read, the file's one record shown once
      expect(await more.count()).toBe(0);
      expect(await paged.locator('#detail-records .record').count()).toBe(1);
      expect(await paged.locator('#detail-records .record[data-pk="deep-1"]').count()).toBe(1);
    } finally {
      await paged.close();
    }
  });

  inBrowser('drops a dead letter with its Drop button, without replaying it', async () => {
    // Prepare
    await page.setInputFiles('#upload-input', json('broken.json', '{"id":'));
    await page.locator('.row[data-key="incoming/broken.json"][data-status="failed"]').waitFor();
    await page.click('.tab[data-tab="dlq"]');
    const letter = page.locator('tr.letter[data-file="incoming/broken.json"]');
    await letter.waitFor();

    // Act
    await letter.locator('button.drop').click();

    // Assess
    await page.locator('.replay-result[data-key="incoming/broken.json"][data-status="dropped"]').waitFor();
    await page.getByText('the dead-letter queue is empty').waitFor();
    expect((await getJson<{ letters: unknown[] }>(stack, '/_eventline/dlq')).letters).toEqual([]);
    expect((await notificationsFor(stack, 'incoming/broken.json')).map((n) => n.subject)).toEqual([
      'S3 Event Failed',
    ]);
    // The operator's decision is in the ledger, as `eventline dlq drop` records it: who, when, why.
    const detail = await getJson<{ state: { status: string; dropped?: Record<string, string> } }>(
      stack,
      '/_eventline/file?key=incoming%2Fbroken.json',
    );
    expect(detail.state.status).toBe('FAILED');
    expect(detail.state.dropped).toMatchObject({
      by: expect.stringMatching(/\(console\)$/),
      at: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      reason: expect.stringMatching(/\S/),
      letter: expect.any(String),
    });
    await page.click('.tab[data-tab="files"]');
    await page.locator('.row[data-key="incoming/broken.json"][data-status="failed"]').waitFor();
    expect(pageErrors).toEqual([]);
  });
});

/** Waits (bounded) until the element's whole text is `text`. */
async function expectText(page: Page, selector: string, text: string): Promise<void> {
  const literal = text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  await page.locator(selector, { hasText: new RegExp(`^\\s*${literal}\\s*$`) }).waitFor();
}

async function countFiles(page: Page): Promise<number> {
  return Number((await page.textContent('#tab-count-files'))?.replace(/,/g, ''));
}

async function renderedRows(page: Page): Promise<number> {
  return page.locator('#feed-viewport .row:not([hidden])').count();
}
