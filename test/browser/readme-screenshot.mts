/**
 * Makes docs/console.png, the README's picture of the console: a local stack with two routes,
 * files uploaded through the page in waves (orders, telemetry with a bad line, one malformed order),
 * and one file opened. Run: npx tsx test/browser/readme-screenshot.mts
 */
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseConfig } from '@eventline/config';
import { LocalStack } from '@eventline/local';
import { createConsolePage } from '@eventline/local/console';
import { launchChromium, openConsole } from './support.ts';

const output = fileURLToPath(new URL('../../docs/console.png', import.meta.url));
const dataDir = await mkdtemp(join(tmpdir(), 'eventline-readme-'));
const stack = await LocalStack.start({
  config: parseConfig({
    routes: [
      { id: 'orders', prefix: 'incoming/', suffix: '.json', format: 'json', key: 'id' },
      // biome-ignore lint/suspicious/noTemplateCurlyInString: an eventline key template, filled per record
      { id: 'telemetry', prefix: 'telemetry/', suffix: '.ndjson', format: 'ndjson', key: '${device}#${ts}' },
    ],
  }),
  dataDir,
  port: 0,
  consolePage: createConsolePage(),
});
const browser = await launchChromium();
try {
  const errors: string[] = [];
  const page = await openConsole(browser, stack.url, errors);
  const upload = async (prefix: string, files: Array<{ name: string; body: string }>) => {
    await page.fill('#upload-prefix', prefix);
    await page.setInputFiles(
      '#upload-input',
      files.map((f) => ({ name: f.name, mimeType: 'application/octet-stream', buffer: Buffer.from(f.body) })),
    );
  };
  const order = (n: number) => ({
    name: `order-${1000 + n}.json`,
    body: JSON.stringify({
      id: `order-${1000 + n}`,
      customer: `c-${(n * 37) % 101}`,
      total: Number(((n * 13.7) % 250).toFixed(2)),
    }),
  });
  const telemetry = (n: number, bad = false) => ({
    name: `sensors-${String(n).padStart(3, '0')}.ndjson`,
    body: Array.from({ length: 40 }, (_, i) =>
      bad && i === 17
        ? '{"device":"th-7","ts":'
        : JSON.stringify({
            device: `th-${(n + i) % 9}`,
            ts: 1_764_000_000 + n * 100 + i,
            celsius: 18 + (i % 7),
          }),
    ).join('\n'),
  });

  for (let wave = 0; wave < 7; wave++) {
    await upload(
      'incoming/',
      Array.from({ length: 6 }, (_, i) => order(wave * 6 + i)),
    );
    await upload('telemetry/', [telemetry(wave, wave === 6)]);
    if (wave === 6)
      await upload('incoming/', [{ name: 'order-broken.json', body: '{"id":"order-broken","total":' }]);
    await new Promise((resolve) => setTimeout(resolve, 900));
  }
  await stack.idle();
  // Let the page catch up with every outcome before clicking, so that no row moves under the pointer.
  await page.locator('#c-inflight', { hasText: /^0$/ }).waitFor();
  await page.locator('.row[data-key="incoming/order-broken.json"][data-status="failed"]').waitFor();
  await page.waitForTimeout(500);
  await page.locator('.row[data-key="telemetry/sensors-006.ndjson"][data-status="processed"]').click();
  await page.locator('#detail-records .record').first().waitFor();
  await page.waitForTimeout(1200);
  // Upload notes fade after a few seconds; the picture is taken sooner, while the rates still show.
  await page.evaluate("document.getElementById('toasts').replaceChildren()");
  await page.fill('#upload-prefix', 'incoming/');
  await page.locator('#upload-prefix').blur();
  await mkdir(join(output, '..'), { recursive: true });
  await page.screenshot({ path: output });
  if (errors.length > 0) throw new Error(`the page reported errors: ${errors.join('; ')}`);
  process.stdout.write(`wrote ${output}\n`);
} finally {
  await browser.close();
  await stack.stop();
  await rm(dataDir, { recursive: true, force: true });
}
