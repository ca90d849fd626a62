import { gunzipSync } from 'node:zlib';
import { routeSchema } from '@eventline/config';
import { toItem } from '@eventline/core';
import { ALB_FIELDS, decodeLog, decodeParquet, splitLine } from '@eventline/core/formats';
import { parquetReadObjects } from 'hyparquet';
import { readingsFile } from '../../examples/iot/generate.ts';
import { securityLogs } from '../../examples/security-logs/generate.ts';
import type { Progress } from '../lib/progress.ts';
import { type Summary, summarize } from '../lib/stats.ts';

/**
 * Figure 9, the workloads' formats (issue 26, "records/s at least 0.8x a raw loop parsing the same
 * file with the same library and writing the same items"), in memory on one core, no ledger I/O:
 * - `log`: an ALB access log (the security-logs recipe's generator) by eventline's `log` decoder
 *   (streaming, UTF-8 strict, typed fields, `-` as null), against a raw loop over the same bytes
 *   with the same field splitter (newlines, `splitLine`, a record of the same field names, untyped).
 * - `parquet`: the IoT recipe's sensor readings by eventline's `parquet` decoder (ranged reads of an
 *   in-memory file, one row group at a time, exact decimals, ISO timestamps), against a raw hyparquet
 *   loop (`parquetReadObjects` per row group, defaults: floats for DECIMAL, Date for timestamps).
 * Both sides of each pair build the same DynamoDB items (`toItem` of `{ pk, payload }`).
 * Runs alternate which side goes first; ratios are eventline / raw per run. Rates are per second of
 * the process's CPU time, not wall time, so that a loaded machine's other work does not count.
 */

export interface FormatFigure {
  format: 'log' | 'parquet';
  file: string;
  records: number;
  mb: number;
  eventlinePerSecond: Summary;
  rawPerSecond: Summary;
  ratio: Summary;
}

export interface DecodeFormatsResult {
  runs: number;
  formats: FormatFigure[];
}

async function* chunks(data: Uint8Array, size = 64 * 1024) {
  for (let i = 0; i < data.length; i += size) yield data.subarray(i, i + size);
}

function logPair(lines: number) {
  const bytes = gunzipSync(securityLogs(lines)[1]!.body);
  const route = routeSchema.parse({ format: 'log', suffix: '.log', log: { preset: 'alb' } });
  const eventline = async () => {
    let n = 0;
    for await (const decoded of decodeLog(chunks(bytes), { route, key: 'bench.log' })) {
      if ('error' in decoded) continue;
      toItem({ pk: `bench.log#${decoded.position.line}`, payload: decoded.value });
      n++;
    }
    return n;
  };
  const raw = async () => {
    let n = 0;
    const decoder = new TextDecoder();
    let rest = '';
    let line = 0;
    for await (const chunk of chunks(bytes)) {
      const text = rest + decoder.decode(chunk, { stream: true });
      const parts = text.split('\n');
      rest = parts.pop() ?? '';
      for (const part of parts) {
        line++;
        if (!part) continue;
        const split = splitLine(part, ' ', '"', false);
        if (!('fields' in split)) continue;
        const record: Record<string, string> = {};
        for (let i = 0; i < ALB_FIELDS.length && i < split.fields.length; i++)
          record[ALB_FIELDS[i]!] = split.fields[i]!;
        toItem({ pk: `bench.log#${line}`, payload: record });
        n++;
      }
    }
    return n;
  };
  return { file: `ALB access log, ${lines} lines`, bytes: bytes.length, eventline, raw };
}

function parquetPair(rows: number) {
  const bytes = readingsFile(0, rows).body;
  const route = routeSchema.parse({ format: 'parquet', suffix: '.parquet' });
  const file = {
    byteLength: bytes.length,
    read: async (start: number, end: number) => bytes.slice(start, end),
  };
  const eventline = async () => {
    let n = 0;
    for await (const decoded of decodeParquet(file, { route, key: 'bench.parquet' })) {
      if ('error' in decoded) continue;
      toItem({ pk: `bench.parquet#${decoded.position.index}`, payload: decoded.value });
      n++;
    }
    return n;
  };
  const raw = async () => {
    const buffer = {
      byteLength: bytes.length,
      slice: async (start: number, end?: number) => bytes.slice(start, end).buffer as ArrayBuffer,
    };
    let n = 0;
    for (let start = 0; start < rows; start += 1000) {
      const objects = await parquetReadObjects({
        file: buffer,
        rowStart: start,
        rowEnd: Math.min(rows, start + 1000),
      });
      for (const row of objects) {
        // What a hand-written loop stores: timestamps as text, the rest as hyparquet gives it.
        const payload: Record<string, unknown> = {};
        for (const [name, value] of Object.entries(row))
          payload[name] = value instanceof Date ? value.toISOString() : value;
        toItem({ pk: `bench.parquet#${n}`, payload });
        n++;
      }
    }
    return n;
  };
  return { file: `IoT readings, ${rows} rows, row groups of 1,000`, bytes: bytes.length, eventline, raw };
}

/** Records per second of this process's CPU time (user + system): on a shared machine, wall time measures the neighbours. */
const rate = async (run: () => Promise<number>) => {
  const start = process.cpuUsage();
  const n = await run();
  const used = process.cpuUsage(start);
  return { n, perSecond: n / ((used.user + used.system) / 1e6) };
};

export async function runDecodeFormats(options: {
  logLines: number;
  parquetRows: number;
  runs: number;
  progress: Progress;
}): Promise<DecodeFormatsResult> {
  const formats: FormatFigure[] = [];
  const pairs = [
    ['log', logPair(options.logLines)],
    ['parquet', parquetPair(options.parquetRows)],
  ] as const;
  for (const [format, pair] of pairs) {
    const e: number[] = [];
    const r: number[] = [];
    let records = 0;
    // A warm-up of each side, then the runs.
    await pair.eventline();
    await pair.raw();
    for (let i = 0; i < options.runs; i++) {
      const first = i % 2 === 0 ? pair.eventline : pair.raw;
      const second = i % 2 === 0 ? pair.raw : pair.eventline;
      const a = await rate(first);
      const b = await rate(second);
      const [ev, raw] = i % 2 === 0 ? [a, b] : [b, a];
      if (ev.n !== raw.n) throw new Error(`${format}: eventline read ${ev.n} records, the raw loop ${raw.n}`);
      records = ev.n;
      e.push(ev.perSecond);
      r.push(raw.perSecond);
      options.progress.update(`${format}: run ${i + 1}/${options.runs}`, i + 1, options.runs);
    }
    formats.push({
      format,
      file: pair.file,
      records,
      mb: Math.round(pair.bytes / 1e4) / 100,
      eventlinePerSecond: summarize(e),
      rawPerSecond: summarize(r),
      ratio: summarize(e.map((x, i) => x / r[i]!)),
    });
  }
  return { runs: options.runs, formats };
}
