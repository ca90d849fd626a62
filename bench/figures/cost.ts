import type { EventlineConfig } from '@eventline/config';
import type { EndToEndResult, VariantResult } from './end-to-end.ts';

/**
 * Figure 6: what a million small files would cost on AWS, from what the bench measured (handler
 * duration per file, requests per file counted at the edge, item sizes of what was written) and
 * AWS's public on-demand list prices. The price table below is the whole model's input besides
 * the measurements; change it here when prices change.
 */
export const PRICES = {
  region: 'us-east-1 (N. Virginia)',
  asOf: 'AWS public on-demand list prices as published in 2025 (DynamoDB after the Nov 2024 on-demand cut); free tiers ignored',
  lambdaArmGbSecond: 0.0000133334,
  lambdaRequestPerMillion: 0.2,
  dynamoWriteRequestUnitPerMillion: 0.625,
  dynamoReadRequestUnitPerMillion: 0.125,
  snsPublishPerMillion: 0.5,
  snsHttpDeliveryPerMillion: 0.6,
  s3GetPerMillion: 0.4,
  sqsRequestPerMillion: 0.4,
} as const;

export interface CostLine {
  item: string;
  /** Units per file (requests, request units, GB-seconds). */
  perFile: number;
  unit: string;
  /** Dollars per million files. */
  usdPerMillion: number;
}

export interface CostEstimate {
  name: string;
  assumptions: string[];
  lines: CostLine[];
  usdPerMillionFiles: number;
}

export interface CostFigure {
  prices: typeof PRICES;
  eventline: CostEstimate;
  baseline: CostEstimate;
  /** The seed hardened the standard way (Powertools idempotency on DynamoDB, on-failure DLQ). */
  hardened?: CostEstimate;
  /** eventline ÷ baseline. */
  ratio: number;
  /** eventline at the baseline's memory, for comparison. */
  eventlineAt128Mb: number;
}

const KB = 1024;
const wru = (bytes: number) => Math.max(1, Math.ceil(bytes / KB));
const rru = (bytes: number) => Math.max(1, Math.ceil(bytes / (4 * KB)));
const round = (v: number) => Math.round(v * 10_000) / 10_000;

function line(item: string, perFile: number, unit: string, pricePerMillionUnits: number): CostLine {
  return { item, perFile: round(perFile), unit, usdPerMillion: round(perFile * pricePerMillionUnits) };
}

function lambdaLines(handlerMs: number, memoryMb: number, invocationsPerFile: number): CostLine[] {
  const billedMs = Math.ceil(handlerMs);
  const gbSeconds = (memoryMb / 1024) * (billedMs / 1000);
  return [
    line('Lambda requests', invocationsPerFile, 'invocations', PRICES.lambdaRequestPerMillion),
    line(
      `Lambda duration (${billedMs} ms × ${memoryMb} MB, arm64)`,
      gbSeconds,
      'GB-s',
      PRICES.lambdaArmGbSecond * 1e6,
    ),
  ];
}

function common(v: VariantResult, subscriberDeliveries: number): CostLine[] {
  const requests = v.requestsPerFile;
  return [
    line('S3 GET', requests['s3:GET'] ?? 0, 'requests', PRICES.s3GetPerMillion),
    line('SNS Publish', requests['sns:Publish'] ?? 0, 'requests', PRICES.snsPublishPerMillion),
    line(
      'SNS HTTP delivery (one subscriber)',
      (requests['sns:Publish'] ?? 0) * subscriberDeliveries,
      'notifications',
      PRICES.snsHttpDeliveryPerMillion,
    ),
  ];
}

export function estimateCost(endToEnd: EndToEndResult, config: EventlineConfig): CostFigure | undefined {
  const ev = endToEnd.variants.eventline;
  const base = endToEnd.variants.baseline;
  if (!ev || !base || !ev.itemBytes || !base.itemBytes) return undefined;

  // eventline, as configured: queue mode puts SQS between S3 and the function.
  const queue = config.trigger.mode === 'queue';
  const batch = queue ? config.trigger.batchSize : 1;
  const fileItem = ev.itemBytes.file ?? 0;
  const recordItem = ev.itemBytes.record;
  const puts = ev.requestsPerFile['dynamodb:PutItem'] ?? 0;
  const updates = ev.requestsPerFile['dynamodb:UpdateItem'] ?? 0;
  const gets = ev.requestsPerFile['dynamodb:GetItem'] ?? 0;
  // Every write but the record's PutItem writes the file's outcome item (the claim is an UpdateItem);
  // a replacing write is charged for the larger of the old and new item: the outcome item's size.
  const eventlineWru = wru(recordItem) + Math.max(0, puts + updates - 1) * wru(fileItem);
  const eventlineLines = [
    ...(queue
      ? [
          line(
            `SQS (S3 SendMessage + Lambda receive/delete per batch of ${batch})`,
            1 + 2 / batch,
            'requests',
            PRICES.sqsRequestPerMillion,
          ),
        ]
      : []),
    ...lambdaLines(ev.handlerMs.mean, config.function.memoryMb, 1 / batch),
    line(
      `DynamoDB writes (${puts} PutItem + ${updates} UpdateItem: record ${recordItem} B, outcome item ${fileItem} B)`,
      eventlineWru,
      'WRU',
      PRICES.dynamoWriteRequestUnitPerMillion,
    ),
    line(
      `DynamoDB reads (${gets} consistent GetItem)`,
      gets * rru(fileItem),
      'RRU',
      PRICES.dynamoReadRequestUnitPerMillion,
    ),
    ...common(ev, 1),
  ];
  const baselineLines = [
    ...lambdaLines(base.handlerMs.mean, 128, 1),
    line(
      `DynamoDB writes (1 PutItem: item ${base.itemBytes.record} B)`,
      (base.requestsPerFile['dynamodb:PutItem'] ?? 0) * wru(base.itemBytes.record),
      'WRU',
      PRICES.dynamoWriteRequestUnitPerMillion,
    ),
    ...common(base, 1),
  ];
  const total = (lines: CostLine[]) => round(lines.reduce((sum, l) => sum + l.usdPerMillion, 0));
  const hard = endToEnd.variants.hardened;
  let hardened: CostEstimate | undefined;
  if (hard?.itemBytes) {
    // The seed's record PutItem, plus Powertools' idempotency record (under 1 KB): a conditional
    // PutItem (INPROGRESS) and an UpdateItem (COMPLETED) per file.
    const hPuts = hard.requestsPerFile['dynamodb:PutItem'] ?? 0;
    const hUpdates = hard.requestsPerFile['dynamodb:UpdateItem'] ?? 0;
    const hGets = hard.requestsPerFile['dynamodb:GetItem'] ?? 0;
    const hardenedLines = [
      ...lambdaLines(hard.handlerMs.mean, 128, 1),
      line(
        `DynamoDB writes (${hPuts} PutItem + ${hUpdates} UpdateItem: item ${hard.itemBytes.record} B, idempotency record < 1 KB)`,
        wru(hard.itemBytes.record) + Math.max(0, hPuts + hUpdates - 1),
        'WRU',
        PRICES.dynamoWriteRequestUnitPerMillion,
      ),
      line(`DynamoDB reads (${hGets} GetItem)`, hGets, 'RRU', PRICES.dynamoReadRequestUnitPerMillion),
      ...common(hard, 1),
    ];
    hardened = {
      name: 'seed hardened the standard way',
      assumptions: [
        'the seed wrapped with @aws-lambda-powertools/idempotency (DynamoDB persistence, keyed by bucket, key and sequencer) and an on-failure dead-letter queue',
        'S3 invokes the function directly, one invocation per file; 128 MB as the seed',
      ],
      lines: hardenedLines,
      usdPerMillionFiles: total(hardenedLines),
    };
  }
  const eventline: CostEstimate = {
    name: 'eventline',
    assumptions: [
      `trigger ${config.trigger.mode}${queue ? `, full batches of ${batch} (one invocation per ${batch} files)` : ''}`,
      `${config.function.memoryMb} MB (config.function.memoryMb)`,
      'billed duration per file = mean handler time measured one file at a time on the local stack (an upper bound in queue mode, where Powertools processes a batch concurrently)',
      'outcome item written by every write but the record’s PutItem; GetItem strongly consistent',
    ],
    lines: eventlineLines,
    usdPerMillionFiles: total(eventlineLines),
  };
  const baseline: CostEstimate = {
    name: 'baseline (seed)',
    assumptions: [
      'S3 invokes the function directly (asynchronous invocation, no queue), one invocation per file',
      '128 MB (Lambda’s default; the seed sets none)',
      'billed duration per file = mean handler time measured one file at a time on the local stack',
    ],
    lines: baselineLines,
    usdPerMillionFiles: total(baselineLines),
  };
  const at128 = total([
    ...eventlineLines.filter((l) => !l.item.startsWith('Lambda duration')),
    ...lambdaLines(ev.handlerMs.mean, 128, 1 / batch).slice(1),
  ]);
  return {
    prices: PRICES,
    eventline,
    baseline,
    ...(hardened ? { hardened } : {}),
    ratio: Math.round((eventline.usdPerMillionFiles / baseline.usdPerMillionFiles) * 1000) / 1000,
    eventlineAt128Mb: at128,
  };
}
