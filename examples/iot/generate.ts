/**
 * Sample data for the IoT recipe: sensor readings as Parquet files the way Kinesis Data Firehose
 * delivers them to S3 (hourly `year=/month=/day=/hour=` prefixes, snappy, several row groups), with
 * the column types real fleets send: a device id, a microsecond timestamp, a DECIMAL temperature, an
 * INT64 sequence number past 2^53, a struct location, a list of tags and a map of attributes. One
 * reading in twenty is a calibration reading (status CAL), which the recipe's transform drops.
 * Deterministic. Run: `npx tsx examples/iot/generate.ts [out-dir] [readings-per-file] [files]`.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { parquetWriteBuffer } from 'hyparquet-writer';

export interface SampleFile {
  key: string;
  body: Uint8Array;
  /** Readings in the file, and how many the route stores (calibration readings are dropped). */
  readings: number;
  stored: number;
}

const SITES = ['berlin-01', 'berlin-02', 'lisbon-01', 'oslo-01'];
const FIRMWARE = ['2.4.1', '2.4.2', '2.5.0'];
/** 2026-03-01T10:00:00Z in microseconds. */
const START_MICROS = 1_772_359_200_000_000n;

const SCHEMA = [
  { name: 'schema', num_children: 9 },
  { name: 'device_id', type: 'BYTE_ARRAY', converted_type: 'UTF8', repetition_type: 'REQUIRED' },
  {
    name: 'ts',
    type: 'INT64',
    logical_type: { type: 'TIMESTAMP', isAdjustedToUTC: true, unit: 'MICROS' },
    repetition_type: 'REQUIRED',
  },
  { name: 'seq', type: 'INT64', repetition_type: 'REQUIRED' },
  // °C with two decimals, exact: DECIMAL(5, 2) stored as INT32.
  {
    name: 'temperature',
    type: 'INT32',
    converted_type: 'DECIMAL',
    scale: 2,
    precision: 5,
    repetition_type: 'REQUIRED',
  },
  { name: 'humidity', type: 'DOUBLE', repetition_type: 'OPTIONAL' },
  { name: 'status', type: 'BYTE_ARRAY', converted_type: 'UTF8', repetition_type: 'REQUIRED' },
  { name: 'location', repetition_type: 'OPTIONAL', num_children: 2 },
  { name: 'lat', type: 'DOUBLE', repetition_type: 'REQUIRED' },
  { name: 'lon', type: 'DOUBLE', repetition_type: 'REQUIRED' },
  { name: 'tags', converted_type: 'LIST', repetition_type: 'OPTIONAL', num_children: 1 },
  { name: 'list', repetition_type: 'REPEATED', num_children: 1 },
  { name: 'element', type: 'BYTE_ARRAY', converted_type: 'UTF8', repetition_type: 'OPTIONAL' },
  { name: 'attributes', converted_type: 'MAP', repetition_type: 'OPTIONAL', num_children: 1 },
  { name: 'key_value', repetition_type: 'REPEATED', num_children: 2 },
  { name: 'key', type: 'BYTE_ARRAY', converted_type: 'UTF8', repetition_type: 'REQUIRED' },
  { name: 'value', type: 'BYTE_ARRAY', converted_type: 'UTF8', repetition_type: 'OPTIONAL' },
] as const;

/** One Firehose-style Parquet file of `n` readings from 20 devices, 1,000 rows per row group. */
export function readingsFile(file: number, n: number): SampleFile {
  const rows = Array.from({ length: n }, (_, i) => i + file * n);
  const device = (i: number) => `sensor-${SITES[i % SITES.length]}-${String(i % 20).padStart(3, '0')}`;
  const calibration = (i: number) => i % 20 === 19;
  const body = parquetWriteBuffer({
    columnData: [
      { name: 'device_id', data: rows.map(device) },
      { name: 'ts', data: rows.map((i) => START_MICROS + BigInt(i) * 1_500_250n) },
      { name: 'seq', data: rows.map((i) => 9_007_199_254_740_993n + BigInt(i)) },
      // °C in hundredths, written as the exact decimal it is (16.5, 24.87).
      { name: 'temperature', data: rows.map((i) => (1650 + ((i * 37) % 900)) / 100) },
      { name: 'humidity', data: rows.map((i) => (i % 11 === 0 ? null : 30 + ((i * 7) % 50) / 2)) },
      { name: 'status', data: rows.map((i) => (calibration(i) ? 'CAL' : 'OK')) },
      {
        name: 'location',
        // (52520 + n) / 1000, not 52.52 + n / 1000: the float sum prints as 52.531000000000006.
        data: rows.map((i) => (i % 13 === 0 ? null : { lat: (52520 + (i % 20)) / 1000, lon: 13.405 })),
      },
      { name: 'tags', data: rows.map((i) => (i % 3 === 0 ? ['indoor'] : ['outdoor', `floor-${i % 4}`])) },
      {
        name: 'attributes',
        data: rows.map((i) => [
          { key: 'firmware', value: FIRMWARE[i % FIRMWARE.length] },
          { key: 'unit', value: 'C' },
        ]),
      },
    ],
    schema: SCHEMA.map((element) => ({ ...element })) as Parameters<typeof parquetWriteBuffer>[0]['schema'],
    rowGroupSize: 1000,
  });
  const hour = String(10 + file).padStart(2, '0');
  return {
    key: `iot/readings/year=2026/month=03/day=01/hour=${hour}/eventline-readings-1-2026-03-01-${hour}-00-00-${String(file).padStart(4, '0')}.parquet`,
    body: new Uint8Array(body),
    readings: n,
    stored: rows.filter((i) => !calibration(i)).length,
  };
}

export function iotReadings(perFile = 2500, files = 2): SampleFile[] {
  return Array.from({ length: files }, (_, file) => readingsFile(file, perFile));
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const out = process.argv[2] ?? 'sample-iot';
  for (const file of iotReadings(Number(process.argv[3] ?? 2500), Number(process.argv[4] ?? 2))) {
    const path = join(out, file.key);
    await mkdir(dirname(path), { recursive: true });
    await writeFile(path, file.body);
    console.log(`${path} (${file.readings} readings, ${file.stored} stored, ${file.body.length} bytes)`);
  }
}
