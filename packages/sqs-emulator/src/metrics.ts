import type { SqsState } from './state.ts';
import type { QueueMetrics } from './types.ts';

/** Every queue's depth, in-flight and delayed counts and oldest message age, by name. */
export function metrics(state: SqsState): QueueMetrics[] {
  const now = Date.now();
  return [...state.queues.values()]
    .sort((a, b) => a.name.localeCompare(b.name))
    .map((queue) => {
      const counts = queue.counts(now);
      const target = queue.redrivePolicy()?.deadLetterTargetArn;
      return {
        name: queue.name,
        url: state.urlOf(queue.name),
        arn: queue.arn,
        depth: counts.available,
        inFlight: counts.inFlight,
        delayed: counts.delayed,
        oldestAgeSeconds:
          counts.oldestSentAt === undefined ? 0 : Math.max(0, Math.floor((now - counts.oldestSentAt) / 1000)),
        moving: [...state.tasks.values()]
          .filter((task) => task.status === 'RUNNING' && task.sourceArn === queue.arn)
          .reduce((sum, task) => sum + Math.max(0, task.toMove - task.moved), 0),
        ...(target ? { deadLetterTargetArn: target } : {}),
      };
    });
}
