import type { EventlineConfig } from '@eventline/config';
import type { FunctionBundler, FunctionPool, SqsEventSource } from '@eventline/lambda-emulator';
import type { QueueMetrics } from '@eventline/sqs-emulator';
import type { Activity } from './activity.ts';
import type { StackQueues } from './queues.ts';

/** What the stack's figures read: SQS's own counts, the event source, the instances. */
export interface StatsView {
  config: EventlineConfig;
  activity: Activity;
  queues: StackQueues;
  /** SQS's counts per queue (the emulator's, as GetQueueAttributes reports them). */
  queueMetrics: () => QueueMetrics[];
  eventSource: SqsEventSource | undefined;
  pool: FunctionPool | undefined;
  bundler: FunctionBundler | undefined;
}

/** What the ingest queue and the event source are doing (admin API, console). */
export function queueStats(view: StatsView) {
  const ingestName = view.queues?.ingest?.name;
  const ingest = ingestName ? view.queueMetrics().find((q) => q.name === ingestName) : undefined;
  return {
    mode: view.config.trigger.mode,
    ...(ingest ? { ingest } : {}),
    ...(view.eventSource ? { eventSource: view.eventSource.stats } : {}),
  };
}

/** The queue path and the function instances, for the console's runtime panel. */
export function runtimeStats(view: StatsView) {
  const byName = new Map(view.queueMetrics().map((q) => [q.name, q]));
  const { pool, bundler, activity } = view;
  return {
    ...queueStats(view),
    deadLetters: byName.get(view.queues.deadLetters.name) ?? null,
    eventDeadLetters: byName.get(view.queues.eventDeadLetters.name) ?? null,
    functionRuntime: pool ? 'workers' : 'in-process',
    instances: pool
      ? {
          ...pool.stats,
          list: pool.list(),
          coldStarts: activity.counters.coldStarts,
          warmStarts: activity.counters.warmStarts,
          ...(bundler ? { bundle: bundler.bundle } : {}),
        }
      : null,
  };
}

/** Letters waiting in both dead-letter queues, as SQS counts them (visible and in flight). */
export function deadLetterDepth(view: Pick<StatsView, 'queues' | 'queueMetrics'>): number {
  const names = new Set([view.queues.deadLetters.name, view.queues.eventDeadLetters.name]);
  return view
    .queueMetrics()
    .filter((q) => names.has(q.name))
    .reduce((sum, q) => sum + q.depth + q.inFlight + q.delayed, 0);
}

/**
 * Queue mode is idle when nothing is on its way to the ingest queue (`sending`), nothing waits or
 * is in flight there (but what an earlier process left in flight), no batch runs, and no failed
 * message is about to come back.
 */
export function queueIdle(
  view: Pick<StatsView, 'queues' | 'queueMetrics' | 'eventSource'>,
  sending: number,
  orphanedInFlight: number,
): boolean {
  const all = view.queueMetrics();
  const ingest = all.find((q) => q.name === view.queues.ingest?.name);
  const source = view.eventSource?.stats;
  if (!ingest || !source) return true;
  return (
    sending === 0 &&
    // A redrive (dlq replay) still moving messages back: they are work to come.
    all.every((q) => q.moving === 0) &&
    ingest.depth === 0 &&
    ingest.delayed === 0 &&
    ingest.inFlight <= orphanedInFlight &&
    source.batchesInFlight === 0 &&
    source.returning === 0
  );
}
