/**
 * A browser upload with a presigned POST, in real headless Chromium against a real local stack: the
 * console's "Upload as a browser would" gets a policy from the stack's API (made by the SDK's
 * presigner), posts an HTML form (multipart/form-data) to the bucket, and the file is processed by
 * the pipeline from its ObjectCreated:Post event.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseConfig } from '@eventline/config';
import { LocalStack } from '@eventline/local';
import { createConsolePage } from '@eventline/local/console';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, openConsole } from './support.ts';

describe('presigned POST from Chromium', () => {
  let browser: Browser;
  let dataDir: string;
  let stack: LocalStack;
  let page: Page;
  const pageErrors: string[] = [];

  beforeAll(async () => {
    browser = await launchChromium();
    dataDir = await mkdtemp(join(tmpdir(), 'eventline-post-'));
    stack = await LocalStack.start({
      config: parseConfig({}),
      dataDir,
      port: 0,
      consolePage: createConsolePage(),
      retryDelaysMs: [100, 200],
    });
    page = await openConsole(browser, stack.url, pageErrors);
  });

  afterAll(async () => {
    await page?.close();
    await browser?.close();
    await stack?.stop();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  it('lands a file posted as an HTML form, which the pipeline processes', async () => {
    // Act
    await page.setInputFiles('#upload-post-input', {
      name: 'posted.json',
      mimeType: 'application/json',
      buffer: Buffer.from('{"id":"order-posted","total":7}'),
    });

    // Assess: processed, from a POST Object event
    await page.locator('.row[data-key="incoming/posted.json"][data-status="processed"]').waitFor();
    const records = (await (await fetch(`${stack.url}/_eventline/records?q=order-posted`)).json()) as {
      items: Array<{ pk: string; source: { key: string } }>;
    };
    expect(records.items.map((i) => [i.pk, i.source.key])).toEqual([
      ['order-posted', 'incoming/posted.json'],
    ]);
    const logs = (await (await fetch(`${stack.url}/_eventline/feed`)).json()) as unknown;
    expect(JSON.stringify(logs)).toContain('incoming/posted.json');
    expect(pageErrors).toEqual([]);
  });

  it('refuses a form whose key leaves the presigned prefix (the policy holds in the browser path too)', async () => {
    const post = (await (
      await fetch(`${stack.url}/_eventline/presigned-post`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ prefix: 'incoming/' }),
      })
    ).json()) as { url: string; fields: Record<string, string> };
    const form = new FormData();
    for (const [name, value] of Object.entries({ ...post.fields, key: 'elsewhere/x.json' }))
      form.append(name, value);
    form.append('file', new Blob(['{}']), 'x.json');
    const res = await fetch(post.url, { method: 'POST', body: form });
    expect(res.status).toBe(403);
    expect(await res.text()).toContain('<Code>AccessDenied</Code>');
  });
});
