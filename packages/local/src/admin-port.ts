import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { DynamoLedger } from '@eventline/aws';
import type { EventlineConfig, RuntimeNames } from '@eventline/config';
import type { DropDecision } from '@eventline/core';
import type { AsyncInvoker } from '@eventline/lambda-emulator';
import type { SnsService } from '@eventline/sns-emulator';
import type { SqsEmulator } from '@eventline/sqs-emulator';
import type { Activity } from './activity.ts';
import type { SqsDeadLetterStore } from './dead-letters.ts';
import type { Edge } from './edge.ts';
import type { ReplayResult } from './replay.ts';

/**
 * What the admin API (admin.ts) reads of the running stack and asks of it: the port between the two,
 * so that the API does not import the stack that serves it (LocalStack implements it).
 */
export interface AdminStack {
  /** Resolves when the stack has booted; rejects if it failed. */
  readonly booted: Promise<void>;
  readonly url: string;
  readonly config: EventlineConfig;
  readonly names: RuntimeNames;
  readonly dataDir: string;
  readonly activity: Activity;
  readonly invoker: Pick<AsyncInvoker, 'stats'>;
  readonly edge: Pick<Edge, 'counts'>;
  readonly sqs: Pick<SqsEmulator, 'metrics'>;
  readonly sns: Pick<SnsService, 'notifications' | 'phoneMessages'>;
  readonly ledger: Pick<DynamoLedger, 'getFile'>;
  readonly deadLetters: Pick<SqsDeadLetterStore, 'list'>;
  readonly clients: { readonly dynamodb: DynamoDBClient };
  queueStats(): unknown;
  deadLetterDepth(): number;
  runtimeStats(): unknown;
  replay(id?: string): Promise<ReplayResult[]>;
  drop(
    id: string,
    decision: { by: string; reason?: string },
  ): Promise<(ReplayResult & { decision?: DropDecision; notRecorded?: string }) | undefined>;
  backfill(prefix: string): Promise<{ submitted: number }>;
  /** A presigned POST (form fields and URL) for browser uploads under `prefix`. */
  presignedPost(prefix: string): Promise<{ url: string; fields: Record<string, string> }>;
}
