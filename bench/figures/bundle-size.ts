import { spawn } from 'node:child_process';
import { mkdir, rm, rmdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import userConfig from '../../eventline.config.ts';
import { configDefines } from '../../src/config/bundled.ts';
import { parseConfig } from '../../src/config/index.ts';
import { type BundleResult, bundle, bytesByPackage } from '../lib/bundle.ts';
import type { Progress } from '../lib/progress.ts';
import { ratio, type Summary, summarize } from '../lib/stats.ts';

/**
 * Figure 4: the Lambda bundle. The real handler (src/lambda/index.ts) is bundled the way infra's
 * NodejsFunction bundles it; beside it a naive build of the seed's three calls with SDK v3, and an
 * empty module. Cold init is a fresh `node` process importing the bundle (which wires the pipeline
 * and constructs its clients at module scope, as at a Lambda cold start): `performance.now()` right
 * after the import is the time since the process began. Runs are interleaved, medians reported.
 *
 * Variants answer "what would it take": copies of the real bundle with one dependency replaced by a
 * stub (generated under bench/tmp, removed afterwards). A stub does nothing, so a variant is a bound
 * on what removing or deferring that dependency can save, not a working handler.
 */

export interface BundleOptions {
  runs: number;
  variants: boolean;
  progress: Progress;
}

export interface BundleEntryResult {
  name: string;
  description: string;
  bytes: number;
  /** ms from process start until the import resolved (node bootstrap + module init). */
  initMs: Summary;
  /** ms from spawn to exit, as measured by the parent. */
  processMs: Summary;
  /** RSS right after the import. */
  rssMb: Summary;
  /** The largest contributors to the bundle, in KiB. */
  topPackages?: Array<{ name: string; kib: number }>;
}

export interface BundleFigure {
  runs: number;
  target: string;
  entries: BundleEntryResult[];
  /** eventline ÷ naive, size. */
  sizeRatio: number;
  /** eventline ÷ naive, init time, round by round. */
  initRatio: Summary;
  /** naive init ÷ empty init, round by round. */
  naiveVsEmpty: Summary;
  /** variants: name → size ratio and init ratio to naive. */
  variants: Array<{ name: string; description: string; sizeRatio: number; initRatio: Summary }>;
}

const HERE = dirname(fileURLToPath(import.meta.url));
const REPO = join(HERE, '..', '..');
const TMP = join(REPO, 'bench', 'tmp', 'bundle');

const HANDLER_ENV = {
  AWS_REGION: 'us-east-1',
  AWS_ACCESS_KEY_ID: 'AKIDBENCH',
  AWS_SECRET_ACCESS_KEY: 'bench',
  TABLE_NAME: 'events',
  TOPIC_ARN: 'arn:aws:sns:us-east-1:123456789012:events-notify',
  BUCKET_NAME: 'eventline-bench',
  DLQ_URL: 'https://sqs.us-east-1.amazonaws.com/123456789012/eventline-dlq',
  POWERTOOLS_SERVICE_NAME: 'eventline',
  POWERTOOLS_METRICS_NAMESPACE: 'eventline',
  POWERTOOLS_LOG_LEVEL: 'ERROR',
};

interface Sample {
  initMs: number;
  processMs: number;
  rssMb: number;
}

export function coldStart(file: string): Promise<Sample> {
  const script = `await import(${JSON.stringify(pathToFileURL(file).href)}); process.stdout.write(JSON.stringify({ initMs: performance.now(), rss: process.memoryUsage().rss }));`;
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], {
      cwd: dirname(file),
      env: { PATH: process.env.PATH ?? '', ...HANDLER_ENV },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      err += d.toString();
    });
    child.on('error', reject);
    child.on('close', (code) => {
      const processMs = performance.now() - started;
      if (code !== 0) return reject(new Error(`cold start of ${file} failed (${code}): ${err.trim()}`));
      const parsed = JSON.parse(out) as { initMs: number; rss: number };
      resolve({ initMs: parsed.initMs, processMs, rssMb: parsed.rss / 1024 / 1024 });
    });
  });
}

/** A chainable stand-in for zod: every schema method returns the chain; safeParse returns the config. */
function zodStub(parsedConfig: unknown): string {
  const names = [
    'array',
    'boolean',
    'custom',
    'enum',
    'literal',
    'number',
    'object',
    'record',
    'string',
    'union',
  ];
  return `const config = ${JSON.stringify(parsedConfig)};
const chain = new Proxy(function () {}, {
  get: (_, key) => (key === 'safeParse' ? () => ({ success: true, data: config }) : key === 'then' ? undefined : chain),
  apply: () => chain,
});
export class ZodError extends Error {}
${names.map((n) => `const ${n}_ = chain;\nexport { ${n}_ as ${n} };`).join('\n')}
export const z = chain;
export default chain;
`;
}

const SQS_STUB = `export class SQSClient { constructor() {} send() { throw new Error('stub'); } destroy() {} }
export class SendMessageCommand { constructor(input) { this.input = input; } }
`;
const CSV_STUB = `export function parse() { throw new Error('stub'); }\n`;
const STREAM_JSON_STUB = `export function jsonParser() { throw new Error('stub'); }
export function jsonVerifier() { throw new Error('stub'); }
export const none = Symbol('none');
export function getManyValues() { return []; }
`;

export async function runBundle(options: BundleOptions): Promise<BundleFigure> {
  const { progress } = options;
  await rm(TMP, { recursive: true, force: true });
  await mkdir(join(TMP, 'stubs'), { recursive: true });
  try {
    const emptyFile = join(TMP, 'empty.mjs');
    await writeFile(emptyFile, '');
    progress.update('bundling');
    const parsed = parseConfig(userConfig);
    // As infra bundles it: the config validated here, carried in as plain data.
    const define = configDefines(parsed);
    const real = await bundle(join(REPO, 'src', 'lambda', 'index.ts'), join(TMP, 'eventline', 'index.mjs'), {
      define,
    });
    const naive = await bundle(
      join(REPO, 'bench', 'baseline', 'naive-bundle-entry.ts'),
      join(TMP, 'naive', 'index.mjs'),
    );

    const entries: Array<{ name: string; description: string; file: string; built?: BundleResult }> = [
      { name: 'empty', description: 'an empty ES module (node start alone)', file: emptyFile },
      {
        name: 'naive',
        description: 'SDK v3 S3 + DynamoDB document client + SNS, the three calls only',
        file: naive.outfile,
        built: naive,
      },
      {
        name: 'eventline',
        description: 'src/lambda/index.ts as infra bundles it',
        file: real.outfile,
        built: real,
      },
    ];

    if (options.variants) {
      const stubs = join(TMP, 'stubs');
      await writeFile(join(stubs, 'zod.mjs'), zodStub(parsed));
      await writeFile(join(stubs, 'client-sqs.mjs'), SQS_STUB);
      await writeFile(join(stubs, 'csv-parse.mjs'), CSV_STUB);
      await writeFile(join(stubs, 'stream-json.mjs'), STREAM_JSON_STUB);
      const variants: Array<{ name: string; description: string; alias: Record<string, string> }> = [
        {
          name: 'eventline −zod',
          description:
            'zod replaced by a stub (config validated at build time, events checked by hand): the bound for dropping zod from the bundle',
          alias: { zod: join(stubs, 'zod.mjs') },
        },
        {
          name: 'eventline −zod −sqs −csv/json-array',
          description:
            'also without the SQS client (dead letters) and the csv / json-array decoders the default config does not use',
          alias: {
            zod: join(stubs, 'zod.mjs'),
            '@aws-sdk/client-sqs': join(stubs, 'client-sqs.mjs'),
            'csv-parse': join(stubs, 'csv-parse.mjs'),
            'stream-json/core/parser.js': join(stubs, 'stream-json.mjs'),
            'stream-json/core/utils/verifier.js': join(stubs, 'stream-json.mjs'),
            'stream-chain/defs.js': join(stubs, 'stream-json.mjs'),
          },
        },
      ];
      for (const variant of variants) {
        const slug = variant.name.replace(/[^a-z0-9]+/gi, '-');
        const built = await bundle(join(REPO, 'src', 'lambda', 'index.ts'), join(TMP, slug, 'index.mjs'), {
          alias: variant.alias,
          define,
        });
        entries.push({ name: variant.name, description: variant.description, file: built.outfile, built });
      }
    }

    const samples = new Map<string, Sample[]>(entries.map((e) => [e.name, []]));
    // One cold start of each first (disk cache), not counted.
    for (const entry of entries) await coldStart(entry.file);
    for (let run = 0; run < options.runs; run++) {
      for (const entry of entries) {
        progress.update(`cold starts (${entry.name})`, run + 1, options.runs);
        samples.get(entry.name)!.push(await coldStart(entry.file));
      }
    }

    const results: BundleEntryResult[] = entries.map((entry) => {
      const own = samples.get(entry.name)!;
      const result: BundleEntryResult = {
        name: entry.name,
        description: entry.description,
        bytes: entry.built?.bytes ?? 0,
        initMs: summarize(own.map((s) => s.initMs)),
        processMs: summarize(own.map((s) => s.processMs)),
        rssMb: summarize(own.map((s) => s.rssMb)),
      };
      if (entry.built) {
        result.topPackages = bytesByPackage(entry.built.metafile)
          .slice(0, 12)
          .map(({ name, bytes }) => ({ name, kib: Math.round(bytes / 102.4) / 10 }));
      }
      return result;
    });
    const initRatio = (a: string, b: string) =>
      summarize(samples.get(a)!.map((s, i) => ratio(s.initMs, samples.get(b)![i]!.initMs)));
    return {
      runs: options.runs,
      target: 'node24 (infra: Runtime.NODEJS_24_X, arm64)',
      entries: results,
      sizeRatio: ratio(real.bytes, naive.bytes),
      initRatio: initRatio('eventline', 'naive'),
      naiveVsEmpty: initRatio('naive', 'empty'),
      variants: entries
        .filter((e) => e.name.startsWith('eventline '))
        .map((e) => ({
          name: e.name,
          description: e.description,
          sizeRatio: ratio(e.built!.bytes, naive.bytes),
          initRatio: initRatio(e.name, 'naive'),
        })),
    };
  } finally {
    await rm(TMP, { recursive: true, force: true });
    // bench/tmp itself goes too, unless something else is in it.
    await rmdir(join(REPO, 'bench', 'tmp')).catch(() => {});
  }
}
