import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetItemCommand } from '@aws-sdk/client-dynamodb';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { loadConfig } from '@eventline/config';
import { fileKey } from '@eventline/core';
import { LocalStack } from '@eventline/local';
import { iotReadings } from '../../examples/iot/generate.ts';
import { orders } from '../../examples/orders/generate.ts';
import { securityLogs } from '../../examples/security-logs/generate.ts';
import { uploads } from '../../examples/uploads/generate.ts';
import type { Progress } from '../lib/progress.ts';
import { type Summary, summarize } from '../lib/stats.ts';

/**
 * Figure 11 (issue 26's "each recipe gets a bench figure"): each recipe's own config (examples/<name>/
 * eventline.config.ts) on a fresh local stack, its function in process (recipes' transforms and
 * schemas are code), fed its own generator's sample through the edge with SDK v3: files/s and stored
 * records/s from the first PUT to the last file's outcome in the ledger, and the edge's requests per
 * file by service and operation (the PUTs and the polling GetItems of this harness excluded). Wall
 * time on a shared machine: medians over runs, each run on a fresh stack.
 */

interface SampleFile {
  key: string;
  body: Uint8Array | string;
  contentType?: string;
  metadata?: Record<string, string>;
}

export interface RecipeFigure {
  recipe: string;
  sample: string;
  files: number;
  /** Records stored (the ledger's written counts summed over the files). */
  records: number;
  runs: number;
  filesPerSecond: Summary;
  recordsPerSecond: Summary;
  /** Edge requests per file, service:operation → count, from the last run. */
  requestsPerFile: Record<string, number>;
}

export interface RecipesResult {
  recipes: RecipeFigure[];
}

export interface RecipesOptions {
  /** Scales the samples: CSV rows, log records per file, readings per Parquet file, upload rounds. */
  scale: number;
  runs: number;
  progress: Progress;
}

function samples(scale: number): Array<{ recipe: string; sample: string; files: SampleFile[] }> {
  const rounds = Math.max(1, Math.round(scale / 500));
  return [
    {
      recipe: 'orders',
      sample: `3 JSON orders and a CSV export of ${scale} rows`,
      files: orders(scale),
    },
    {
      recipe: 'security-logs',
      sample: `a CloudTrail file, an ALB log and a VPC Flow Logs file of ${scale} records each (gzip)`,
      files: securityLogs(scale),
    },
    {
      recipe: 'iot',
      sample: `4 Parquet files of ${scale} readings (1 in 20 dropped by the transform)`,
      files: iotReadings(scale, 4),
    },
    {
      recipe: 'uploads',
      sample: `${rounds * 7} uploads (PNGs, a GIF, a PDF, a text note)`,
      files: Array.from({ length: rounds }, (_, r) =>
        uploads().map((u) => ({
          key: u.key.replace(/\/([^/]+)$/, `/r${r}-$1`),
          body: u.body,
          contentType: u.declaredType,
          metadata: u.metadata,
        })),
      ).flat(),
    },
  ];
}

async function oneRun(recipe: string, files: SampleFile[]) {
  const dir = await mkdtemp(join(tmpdir(), `eventline-bench-recipe-${recipe}-`));
  const config = await loadConfig(`examples/${recipe}/eventline.config.ts`);
  const stack = await LocalStack.start({
    config: { ...config, local: { ...config.local, port: 0 } },
    dataDir: join(dir, 'data'),
    print: () => {},
    functionRuntime: 'in-process',
  });
  try {
    const bucket = config.bucket.name;
    const table = config.table.name;
    stack.edge.resetCounts();
    const started = performance.now();
    await Promise.all(
      files.map((file) =>
        stack.clients.s3.send(
          new PutObjectCommand({
            Bucket: bucket,
            Key: file.key,
            Body: file.body,
            ...(file.contentType ? { ContentType: file.contentType } : {}),
            ...(file.metadata ? { Metadata: file.metadata } : {}),
          }),
        ),
      ),
    );
    let records = 0;
    let polls = 0;
    const pending = new Set(files.map((f) => f.key));
    const deadline = Date.now() + 600_000;
    while (pending.size > 0) {
      if (Date.now() > deadline)
        throw new Error(`${recipe}: ${pending.size} files without an outcome after 10 min`);
      for (const key of [...pending]) {
        polls++;
        const item = (
          await stack.clients.dynamodb.send(
            new GetItemCommand({
              TableName: table,
              Key: { pk: { S: fileKey(bucket, key) } },
              ConsistentRead: true,
            }),
          )
        ).Item;
        const status = item?.status?.S;
        if (status === 'FAILED') throw new Error(`${recipe}: ${key} FAILED: ${JSON.stringify(item)}`);
        if (status === 'PROCESSED') {
          pending.delete(key);
          records += Number(/"written":\{"N":"(\d+)"\}/.exec(JSON.stringify(item))?.[1] ?? 0);
        }
      }
      if (pending.size > 0) await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const seconds = (performance.now() - started) / 1000;
    const counts = { ...stack.edge.counts() };
    // This harness's own requests: its PUTs and its polling.
    counts['s3:PUT'] = (counts['s3:PUT'] ?? 0) - files.length;
    counts['dynamodb:GetItem'] = (counts['dynamodb:GetItem'] ?? 0) - polls;
    const perFile = Object.fromEntries(
      Object.entries(counts)
        .filter(([, n]) => n > 0)
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([op, n]) => [op, Number((n / files.length).toPrecision(3))]),
    );
    return { seconds, records, perFile };
  } finally {
    await stack.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

export async function runRecipes(options: RecipesOptions): Promise<RecipesResult> {
  const recipes: RecipeFigure[] = [];
  for (const { recipe, sample, files } of samples(options.scale)) {
    const seconds: number[] = [];
    let records = 0;
    let perFile: Record<string, number> = {};
    for (let run = 0; run < options.runs; run++) {
      options.progress.update(`${recipe}: run ${run + 1}/${options.runs}`, run, options.runs);
      const result = await oneRun(recipe, files);
      seconds.push(result.seconds);
      records = result.records;
      perFile = result.perFile;
    }
    recipes.push({
      recipe,
      sample,
      files: files.length,
      records,
      runs: options.runs,
      filesPerSecond: summarize(seconds.map((s) => files.length / s)),
      recordsPerSecond: summarize(seconds.map((s) => records / s)),
      requestsPerFile: perFile,
    });
    options.progress.line(
      `    ${recipe}: ${files.length} files, ${records} records, ${Math.round(records / seconds.sort((a, b) => a - b)[Math.floor(seconds.length / 2)]!)} records/s`,
    );
  }
  return { recipes };
}
