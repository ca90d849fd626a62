import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BatchWriteItemCommand, type WriteRequest } from '@aws-sdk/client-dynamodb';
import { fileItem } from '@eventline/aws';
import { buildProgram } from '@eventline/cli';
import { parseConfig } from '@eventline/config';
import type { FileState } from '@eventline/core';
import { LocalStack } from '@eventline/local';
import { CommanderError } from 'commander';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';

/**
 * Listings no index answers (`files`, `files --status PROCESSED`, `notifications`) over a ledger
 * where outcomes are rare among records: the first page answers after a bounded number of reads
 * (counted by a proxy in front of the local stack, from the DynamoDB responses themselves, not by
 * the CLI's own meter), and `--next` cursors go on until every outcome has been listed once.
 */

const RECORDS = 1_500;
const BUDGET = 300;
const OUTCOMES = ['a', 'b', 'c', 'd', 'e'];

let dir: string;
let stack: LocalStack;
let proxy: Server;
let proxyUrl: string;
/** What the proxy saw: each DynamoDB request's operation and the items a Scan read. */
let seen: Array<{ op: string; scanned: number }> = [];

function outcome(
  name: string,
  i: number,
  status: FileState['status'],
  route = stack.config.routes[0]!.id,
): WriteRequest {
  const at = new Date(Date.UTC(2026, 0, 1, 0, 0, i)).toISOString();
  const state: FileState = {
    bucket: stack.config.bucket.name,
    key: `incoming/${name}.json`,
    route,
    seq: '',
    eventTime: at,
    status,
    rev: 3,
    leaseUntil: 0,
    attempts: 1,
    counts: { read: 1, written: 1, rejected: 0, duplicates: 0, bytes: 10 },
    rejects: [],
    notification: { status: 'SENT', messageId: `m-${name}`, at },
    deadLetter: { status: 'NOT_NEEDED' },
    startedAt: at,
    finishedAt: at,
    durationMs: 1,
    updatedAt: at,
  };
  return { PutRequest: { Item: fileItem(state, `w-${name}`) } };
}

const record = (i: number): WriteRequest => ({
  PutRequest: {
    Item: {
      pk: { S: `rec-${i}` },
      kind: { S: 'record' },
      payload: { M: { id: { S: `rec-${i}` } } },
      source: { M: { bucket: { S: 'b' }, key: { S: `incoming/load-${i}.json` } } },
      origin: { S: `b/incoming/load-${i}.json` },
      seq: { S: '' },
      route: { S: 'default' },
      processedAt: { S: new Date(Date.UTC(2026, 0, 1) + i * 1000).toISOString() },
    },
  },
});

/** The CLI in this process through the proxy: stdout, stderr, and the exit (a usage error throws). */
async function eventline(args: string[]): Promise<{ stdout: string; stderr: string }> {
  const { program, cli } = buildProgram();
  program.exitOverride();
  for (const command of program.commands) command.exitOverride();
  let stdout = '';
  let stderr = '';
  const out = process.stdout.write.bind(process.stdout);
  const err = process.stderr.write.bind(process.stderr);
  process.stdout.write = ((chunk: string) => {
    stdout += chunk;
    return true;
  }) as typeof process.stdout.write;
  process.stderr.write = ((chunk: string) => {
    stderr += chunk;
    return true;
  }) as typeof process.stderr.write;
  try {
    await program.parseAsync(['node', 'eventline', '--endpoint', proxyUrl, ...args]);
  } catch (error) {
    if (error instanceof CommanderError) return { stdout, stderr: `${stderr}${error.message}` };
    throw error;
  } finally {
    process.stdout.write = out;
    process.stderr.write = err;
    await cli.close();
  }
  return { stdout, stderr };
}

const scans = () => seen.filter((s) => s.op === 'Scan');

/** Every page of a listing, following the cursors; each page's Scan reads as the proxy saw them. */
async function allPages(args: string[], key: 'files' | 'notifications' | 'records') {
  const keys: string[] = [];
  const pages: Array<{ scanned: number; requests: number }> = [];
  let next: string | undefined;
  for (let i = 0; i < 100; i++) {
    seen = [];
    const run = await eventline(['--json', ...args, ...(next ? ['--next', next] : [])]);
    const page = JSON.parse(run.stdout) as Record<string, unknown> & { next?: string };
    for (const entry of page[key] as Array<{ key: string }>) keys.push(entry.key);
    pages.push({ scanned: scans().reduce((n, s) => n + s.scanned, 0), requests: scans().length });
    next = page.next;
    if (!next) return { keys, pages };
  }
  throw new Error('the listing never ended');
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'eventline-pages-'));
  stack = await LocalStack.start({
    config: parseConfig({ local: { port: 0 } }),
    dataDir: join(dir, 'data'),
    print: () => {},
  });
  const table = stack.config.table.name;
  const items: WriteRequest[] = [];
  for (let i = 0; i < RECORDS; i++) items.push(record(i));
  OUTCOMES.forEach((name, i) => {
    items.push(outcome(name, i, name === 'e' ? 'FAILED' : 'PROCESSED'));
  });
  for (let i = 0; i < items.length; i += 25) {
    let pending = items.slice(i, i + 25);
    while (pending.length > 0) {
      const out = await stack.clients.dynamodb.send(
        new BatchWriteItemCommand({ RequestItems: { [table]: pending } }),
      );
      pending = out.UnprocessedItems?.[table] ?? [];
    }
  }
  // The counting proxy: forwards everything to the stack, notes each DynamoDB operation and Scan's ScannedCount.
  const target = new URL(stack.url);
  proxy = createServer((req, res) => {
    const op = String(req.headers['x-amz-target'] ?? '').split('.')[1] ?? '';
    const upstream = request(
      { host: target.hostname, port: target.port, path: req.url, method: req.method, headers: req.headers },
      (answer) => {
        const chunks: Buffer[] = [];
        answer.on('data', (c: Buffer) => chunks.push(c));
        answer.on('end', () => {
          const body = Buffer.concat(chunks);
          if (op) {
            let scanned = 0;
            try {
              scanned = Number(
                (JSON.parse(body.toString('utf8')) as { ScannedCount?: number }).ScannedCount ?? 0,
              );
            } catch {
              // not JSON: an error page
            }
            seen.push({ op, scanned });
          }
          res.writeHead(answer.statusCode ?? 500, answer.headers);
          res.end(body);
        });
      },
    );
    req.pipe(upstream);
  });
  proxy.listen(0, '127.0.0.1');
  await once(proxy, 'listening');
  proxyUrl = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`;
}, 120_000);

afterAll(async () => {
  proxy?.close();
  await stack?.stop();
  await rm(dir, { recursive: true, force: true });
});

beforeEach(() => {
  seen = [];
});

describe('listings without an index read a bounded page', () => {
  it('files: the first page reads at most --budget items, and the cursors list every outcome once', async () => {
    const first = await eventline(['--json', 'files', '--budget', String(BUDGET)]);
    const page = JSON.parse(first.stdout) as { files: unknown[]; next?: string };
    const read = scans().reduce((n, s) => n + s.scanned, 0);
    expect(read).toBeGreaterThan(0);
    expect(read).toBeLessThanOrEqual(BUDGET);
    expect(page.next).toEqual(expect.any(String));
    expect(first.stderr).toMatch(/this page read \d+ item\(s\).*more: eventline files --next \S+/);

    const { keys, pages } = await allPages(['files', '--budget', String(BUDGET)], 'files');
    expect(keys.sort()).toEqual(OUTCOMES.map((n) => `incoming/${n}.json`));
    for (const p of pages) expect(p.scanned).toBeLessThanOrEqual(BUDGET);
    expect(pages.length).toBeGreaterThanOrEqual(Math.ceil((RECORDS + OUTCOMES.length) / BUDGET));
  });

  it('a full page stops at --limit and the next page starts right after its last outcome', async () => {
    const { keys } = await allPages(['files', '--limit', '2', '--budget', '100000'], 'files');
    expect(keys.sort()).toEqual(OUTCOMES.map((n) => `incoming/${n}.json`));
  });

  it('files --status PROCESSED and notifications page the same way', async () => {
    const processed = await allPages(['files', '--status', 'PROCESSED', '--budget', String(BUDGET)], 'files');
    expect(processed.keys.sort()).toEqual(['a', 'b', 'c', 'd'].map((n) => `incoming/${n}.json`));
    for (const p of processed.pages) expect(p.scanned).toBeLessThanOrEqual(BUDGET);

    const sent = await allPages(['notifications', '--budget', String(BUDGET)], 'notifications');
    expect(sent.keys.sort()).toEqual(OUTCOMES.map((n) => `incoming/${n}.json`));
    for (const p of sent.pages) expect(p.scanned).toBeLessThanOrEqual(BUDGET);
  });

  it('--all reads the whole table and prints the newest --limit, no cursor', async () => {
    const run = await eventline(['--json', 'files', '--all', '--limit', '3']);
    const page = JSON.parse(run.stdout) as { files: Array<{ key: string }>; next?: string };
    expect(page.files.map((f) => f.key)).toEqual(['e', 'd', 'c'].map((n) => `incoming/${n}.json`));
    expect(page.next).toBeUndefined();
    expect(scans().reduce((n, s) => n + s.scanned, 0)).toBe(RECORDS + OUTCOMES.length);
  });

  it('records --search reads a bounded page too, and the cursors find every match once', async () => {
    // rec-149 and rec-1490 … rec-1499: 11 of 1,505 items, spread over the table's order.
    const wanted = ['rec-149', ...Array.from({ length: 10 }, (_, i) => `rec-149${i}`)];
    const first = await eventline(['--json', 'records', '--search', 'rec-149', '--budget', String(BUDGET)]);
    const page = JSON.parse(first.stdout) as { records: unknown[]; next?: string };
    expect(scans().reduce((n, s) => n + s.scanned, 0)).toBeLessThanOrEqual(BUDGET);
    expect(page.next).toEqual(expect.any(String));
    expect(first.stderr).toMatch(/more: eventline records --search "rec-149" --next \S+/);

    const { keys, pages } = await allPages(
      ['records', '--search', 'rec-149', '--budget', String(BUDGET), '--limit', '4'],
      'records',
    );
    expect(keys.sort()).toEqual(wanted.sort());
    for (const p of pages) expect(p.scanned).toBeLessThanOrEqual(BUDGET);

    // Without a search the first page reads little: it fills from the table's first items.
    seen = [];
    const plain = JSON.parse((await eventline(['--json', 'records', '--limit', '5'])).stdout) as {
      records: unknown[];
    };
    expect(plain.records).toHaveLength(5);
    expect(scans().reduce((n, s) => n + s.scanned, 0)).toBeLessThanOrEqual(100);
  });

  it('records --all reads every page and prints the newest --limit, as its help says', async () => {
    const all = JSON.parse((await eventline(['--json', 'records', '--all', '--limit', '3'])).stdout) as {
      records: Array<{ key: string }>;
      next?: string;
    };
    expect(all.records.map((r) => r.key)).toEqual([
      `rec-${RECORDS - 1}`,
      `rec-${RECORDS - 2}`,
      `rec-${RECORDS - 3}`,
    ]);
    expect(all.next).toBeUndefined();
  });

  it("the console's file view reads its records a bounded page at a time (no index by origin)", async () => {
    const bucket = 'b';
    const key = 'incoming/load-1234.json';
    const found: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    for (; pages < 100; pages++) {
      const query = new URLSearchParams({
        key,
        bucket,
        budget: String(BUDGET),
        ...(cursor ? { cursor } : {}),
      });
      const path = cursor ? 'file-records' : 'file';
      const page = (await (await fetch(`${stack.url}/_eventline/${path}?${query}`)).json()) as {
        records: Array<{ pk: string }>;
        recordsCursor?: string;
        recordsRead: { items: number };
      };
      expect(page.recordsRead.items).toBeLessThanOrEqual(BUDGET);
      found.push(...page.records.map((r) => r.pk));
      cursor = page.recordsCursor;
      if (!cursor) break;
    }
    expect(found).toEqual(['rec-1234']);
    expect(pages).toBeGreaterThanOrEqual(Math.ceil((RECORDS + OUTCOMES.length) / BUDGET) - 1);
  });

  it("the console's page queries refuse a budget or cursor they cannot use with 400, naming the parameter", async () => {
    const ask = async (query: Record<string, string>) => {
      const res = await fetch(
        `${stack.url}/_eventline/file-records?${new URLSearchParams({ key: 'incoming/load-1.json', bucket: 'b', ...query })}`,
      );
      return { status: res.status, body: (await res.json()) as { error?: string; records?: unknown[] } };
    };
    for (const budget of ['1.5', '0', '-3', 'Infinity', '1e400', 'lots']) {
      const { status, body } = await ask({ budget });
      expect(status, budget).toBe(400);
      expect(body.error).toMatch(/"budget"/);
    }
    const bad = await ask({ cursor: 'not-a-cursor' });
    expect(bad.status).toBe(400);
    expect(bad.body.error).toMatch(/"cursor"/);
    // A cursor carrying attributes besides the table's key goes on from its key (DynamoDB would refuse them).
    const padded = Buffer.from(JSON.stringify({ pk: 'rec-0', extra: 'x' })).toString('base64url');
    const on = await ask({ cursor: padded, budget: '50' });
    expect(on.status).toBe(200);
    expect(Array.isArray(on.body.records)).toBe(true);
  });

  it('a cursor that is not one says so', async () => {
    const run = await eventline(['files', '--next', 'not-a-cursor']);
    expect(run.stderr).toMatch(/--next.*not a cursor printed by this command/);
  });

  it("the console's API reads the same bounded pages, and FAILED files from the index", async () => {
    const keys: string[] = [];
    let cursor: string | undefined;
    for (let i = 0; i < 100; i++) {
      const query = new URLSearchParams({
        limit: '50',
        budget: String(BUDGET),
        ...(cursor ? { cursor } : {}),
      });
      const page = (await (await fetch(`${stack.url}/_eventline/files?${query}`)).json()) as {
        items: Array<{ state: { key: string } }>;
        cursor?: string;
        read: { items: number };
      };
      expect(page.read.items).toBeLessThanOrEqual(BUDGET);
      keys.push(...page.items.map((item) => item.state.key));
      cursor = page.cursor;
      if (!cursor) break;
    }
    expect(cursor).toBeUndefined();
    expect(keys.sort()).toEqual(OUTCOMES.map((n) => `incoming/${n}.json`));

    const failed = (await (await fetch(`${stack.url}/_eventline/files?status=FAILED`)).json()) as {
      items: Array<{ state: { key: string; status: string } }>;
      read: { items: number };
    };
    expect(failed.items.map((item) => [item.state.key, item.state.status])).toEqual([
      ['incoming/e.json', 'FAILED'],
    ]);
    expect(failed.read.items).toBe(1);
  });

  it('--route reads the index under a route removed from the config (its outcomes stay there)', async () => {
    // Prepare: a FAILED outcome of a route the stack no longer has
    await stack.clients.dynamodb.send(
      new BatchWriteItemCommand({
        RequestItems: { [stack.config.table.name]: [outcome('retired', 0, 'FAILED', 'retired-route')] },
      }),
    );

    // Act
    const without = await eventline(['--json', 'files', '--status', 'FAILED']);
    const withRoute = await eventline(['--json', 'files', '--status', 'FAILED', '--route', 'retired-route']);

    // Assess
    const keys = (run: { stdout: string }) =>
      (JSON.parse(run.stdout) as { files: Array<{ key: string }> }).files.map((f) => f.key).sort();
    expect(keys(without)).toEqual(['incoming/e.json']);
    expect(keys(withRoute)).toEqual(['incoming/e.json', 'incoming/retired.json']);
  });
});
