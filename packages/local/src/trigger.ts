import { randomUUID } from 'node:crypto';
import type { EventlineConfig } from '@eventline/config';
import type { Logger } from '@eventline/core';
import { errorMessage, matchRoute } from '@eventline/core';
import type { AsyncInvoker } from '@eventline/lambda-emulator';
import type { S3ObjectEvent } from '@eventline/s3-emulator';
import type { SqsEmulator } from '@eventline/sqs-emulator';
import type { Activity } from './activity.ts';
import { clock } from './printing.ts';
import type { ListedObject } from './recovery.ts';
import { nextSequencer, s3EventRecord } from './s3-events.ts';

/** What routing S3 events needs of the stack (read when an event comes: the stack wires them at boot). */
export interface TriggerContext {
  config: EventlineConfig;
  activity: Activity;
  print: (line: string) => void;
  logger: Logger;
  sqs: () => SqsEmulator;
  /** Queue mode: the ingest queue's URL; direct mode: undefined. */
  ingestUrl: () => string | undefined;
  /** Direct mode: Lambda's asynchronous invocation. */
  invoker: () => AsyncInvoker;
}

/**
 * S3's event notifications per trigger mode: into the ingest queue (queue mode) or an asynchronous
 * invocation (direct mode), for routed objects only.
 */
export class S3Trigger {
  /** S3 events on their way into the ingest queue. */
  sending = 0;

  constructor(private readonly context: TriggerContext) {}

  /** A live S3 event: routed objects are submitted, others counted as ignored. */
  route(event: S3ObjectEvent): void {
    const { config, activity } = this.context;
    if (!event.eventName.startsWith('ObjectCreated:')) return;
    if (event.bucket !== config.bucket.name) return;
    if (!matchRoute(config.routes, event.key)) {
      if (!event.key.startsWith(config.internalPrefix)) {
        activity.counters.ignored += 1;
        activity.record({
          at: new Date().toISOString(),
          kind: 'ignored',
          key: event.key,
          bucket: event.bucket,
        });
        this.context.print(`${clock()} · ${event.key} → ignored: outside every route`);
      }
      return;
    }
    this.submit(event).catch((error: unknown) =>
      this.context.logger.error('could not journal an event', { key: event.key, error: errorMessage(error) }),
    );
  }

  /** S3 → the ingest queue: the event JSON as S3 sends it, durable once SQS answers. */
  async sendToIngest(event: Record<string, unknown>): Promise<void> {
    await this.context.sqs().call('SendMessage', {
      QueueUrl: this.context.ingestUrl()!,
      MessageBody: JSON.stringify(event),
    });
  }

  /**
   * Journals and queues an S3-shaped event for an object: a live event as the emulator sent it (its
   * name, sequencer, versionId and ETag), or one made up for a listed object (backfill, recovery), which
   * has no sequencer: S3 never sent one, and a made-up one would order it against real ones.
   */
  async submit(object: ListedObject | S3ObjectEvent): Promise<void> {
    this.sending += 1;
    try {
      await this.submitNow(object);
    } finally {
      this.sending -= 1;
    }
  }

  private async submitNow(object: ListedObject | S3ObjectEvent): Promise<void> {
    const { config, activity } = this.context;
    const route = matchRoute(config.routes, object.key);
    const live = 'sequencer' in object;
    const id = live ? object.sequencer : nextSequencer();
    const record = s3EventRecord({
      bucket: object.bucket,
      key: object.key,
      eventName: live ? object.eventName : 'ObjectCreated:Put',
      ...(object.size !== undefined ? { size: object.size } : {}),
      ...(object.eTag ? { eTag: object.eTag } : {}),
      ...(object.versionId ? { versionId: object.versionId } : {}),
      sequencer: id,
      region: config.local.region,
      configurationId: route?.id ?? 'eventline',
      ...(object.eventTime ? { eventTime: object.eventTime } : {}),
    });
    if (!live) delete (record.s3 as { object: Record<string, unknown> }).object.sequencer;
    activity.counters.received += 1;
    activity.record({
      at: new Date().toISOString(),
      kind: 'received',
      key: object.key,
      bucket: object.bucket,
    });
    if (this.context.ingestUrl()) {
      await this.sendToIngest({ Records: [record] });
      return;
    }
    await this.context.invoker().submit({
      id: `${id}-${randomUUID().slice(0, 8)}`,
      event: { Records: [record] },
      attempts: 0,
      enqueuedAt: new Date().toISOString(),
    });
  }
}
