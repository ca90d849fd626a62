/**
 * Log formats' decoding speed (issue 26, "records/s vs a raw loop with the same library"): an ALB
 * access log (AWS's line shape, from the security-logs recipe's generator) decoded by eventline's
 * `log` decoder (streaming, UTF-8 strict, typed fields, `-` as null) and by a raw loop over the same
 * bytes with the same field splitter (split on newlines, `splitLine`, a record of the same field
 * names, untyped: no exact numbers, no nulls). Decoding only: no
 * ledger writes on either side. Run: `npx tsx bench/log-formats.mts [lines] [runs]`. Not part of
 * `npm run bench` yet.
 */
import { gunzipSync } from 'node:zlib';
import { routeSchema } from '@eventline/config';
import { ALB_FIELDS, decodeLog, splitLine } from '@eventline/core/formats';
import { securityLogs } from '../examples/security-logs/generate.ts';

const lines = Number(process.argv[2] ?? 200_000);
const runs = Number(process.argv[3] ?? 3);
const albFile = securityLogs(lines)[1]!;
const bytes = gunzipSync(albFile.body);
const route = routeSchema.parse({ format: 'log', suffix: '.log', log: { preset: 'alb' } });

async function* chunks(data: Uint8Array, size = 64 * 1024) {
  for (let i = 0; i < data.length; i += size) yield data.subarray(i, i + size);
}

async function eventline(): Promise<number> {
  let n = 0;
  for await (const decoded of decodeLog(chunks(bytes), { route, key: 'bench.log' }))
    if (!('error' in decoded)) n++;
  return n;
}

async function raw(): Promise<number> {
  let n = 0;
  const decoder = new TextDecoder();
  let rest = '';
  for await (const chunk of chunks(bytes)) {
    const text = rest + decoder.decode(chunk, { stream: true });
    const parts = text.split('\n');
    rest = parts.pop() ?? '';
    for (const line of parts) {
      if (!line) continue;
      const split = splitLine(line, ' ', '"', false);
      if (!('fields' in split)) continue;
      // The same record shape (field names), untyped: what a hand-written loop would store.
      const record: Record<string, string> = {};
      for (let i = 0; i < ALB_FIELDS.length && i < split.fields.length; i++)
        record[ALB_FIELDS[i]!] = split.fields[i]!;
      if (record.type) n++;
    }
  }
  return n;
}

const rate = async (run: () => Promise<number>) => {
  const start = process.hrtime.bigint();
  const n = await run();
  return n / (Number(process.hrtime.bigint() - start) / 1e9);
};

const ratios: number[] = [];
for (let i = 0; i < runs; i++) {
  // Alternating which goes first.
  let e: number;
  let r: number;
  if (i % 2 === 0) {
    e = await rate(eventline);
    r = await rate(raw);
  } else {
    r = await rate(raw);
    e = await rate(eventline);
  }
  ratios.push(e / r);
  console.log(
    `run ${i + 1}: eventline ${Math.round(e)} records/s, raw loop ${Math.round(r)} records/s, ratio ${(e / r).toFixed(2)}x`,
  );
}
ratios.sort((x, y) => x - y);
console.log(
  `ALB, ${lines} lines (${(bytes.length / 1e6).toFixed(1)} MB): median ratio ${ratios[Math.floor(ratios.length / 2)]!.toFixed(2)}x (goal ≥ 0.8x)`,
);
