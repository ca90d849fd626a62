/**
 * Message move tasks (dead-letter queue redrive) for the SQS emulator (MoveTasks below).
 */
import { randomUUID } from 'node:crypto';
import { MAX_MOVE_RATE, MAX_MOVE_TASKS_LISTED } from './constants.ts';
import { invalidParameterValue, resourceNotFound } from './errors.ts';
import type { LogRecord } from './log.ts';
import type { Output, SqsState } from './state.ts';
import type { MoveTask, StoredMessage } from './types.ts';
import { type Input, optionalInteger, optionalString, requiredString } from './validation.ts';

const TASK_TICK_MS = 100;
const DEFAULT_MOVE_RATE = MAX_MOVE_RATE;

/**
 * Message move tasks (dead-letter queue redrive): StartMessageMoveTask, ListMessageMoveTasks,
 * CancelMessageMoveTask, and the timer that moves a running task's messages a tick at a time.
 */
export class MoveTasks {
  readonly #state: SqsState;
  readonly #timers = new Map<string, NodeJS.Timeout>();
  /** Each running task's allowance (a token bucket): MaxNumberOfMessagesPerSecond, little more than a tick's worth banked. */
  readonly #allowance = new Map<string, { tokens: number; at: number }>();

  constructor(state: SqsState) {
    this.#state = state;
  }

  /** Resumes move tasks that were running when the emulator stopped. */
  resume(): void {
    for (const task of this.#state.tasks.values()) if (task.status === 'RUNNING') this.#schedule(task);
  }

  /** Stops the timers (running tasks resume at the next start). */
  close(): void {
    for (const timer of this.#timers.values()) clearTimeout(timer);
    this.#timers.clear();
  }

  async start(input: Input): Promise<Output> {
    const sourceArn = requiredString(input, 'SourceArn');
    const destinationArn = optionalString(input, 'DestinationArn');
    const rate = optionalInteger(
      input,
      'MaxNumberOfMessagesPerSecond',
      1,
      MAX_MOVE_RATE,
      `Must be between 1 and ${MAX_MOVE_RATE}, if provided.`,
    );
    const source = this.#state.queueByArn(sourceArn);
    if (!source)
      throw resourceNotFound("The resource that you specified for the SourceArn parameter doesn't exist.");
    const isDeadLetterQueue = [...this.#state.queues.values()].some(
      (queue) => queue.redrivePolicy()?.deadLetterTargetArn === sourceArn,
    );
    if (!isDeadLetterQueue)
      throw invalidParameterValue('Source queue must be configured as a Dead Letter Queue.');
    if (destinationArn !== undefined && !this.#state.queueByArn(destinationArn))
      throw resourceNotFound(
        "The resource that you specified for the DestinationArn parameter doesn't exist.",
      );
    for (const task of this.#state.tasks.values())
      if (task.sourceArn === sourceArn && task.status === 'RUNNING')
        throw invalidParameterValue(
          'There is already a task running. Only one active task is allowed for a source queue arn at a given time.',
        );
    const handle = Buffer.from(JSON.stringify({ taskId: randomUUID(), sourceArn })).toString('base64');
    const task: MoveTask = {
      handle,
      sourceArn,
      status: 'RUNNING',
      moved: 0,
      toMove: source.counts(Date.now()).available,
      startedAt: Date.now(),
      ...(destinationArn !== undefined ? { destinationArn } : {}),
      ...(rate !== undefined ? { maxPerSecond: rate } : {}),
    };
    this.#state.tasks.set(handle, task);
    await this.#state.commit([{ op: 'task', task }]);
    this.#schedule(task);
    return { TaskHandle: handle };
  }

  #schedule(task: MoveTask): void {
    if (this.#state.closed) return;
    const timer = setTimeout(() => {
      this.#timers.delete(task.handle);
      this.#tick(task).catch((error: unknown) => {
        this.#state.options.warn('sqs: move task failed', {
          task: task.handle,
          error: (error as Error).message,
        });
      });
    }, TASK_TICK_MS);
    this.#timers.set(task.handle, timer);
  }

  /** One tick of a move task: moves up to a tick's share of its rate, then reschedules itself. */
  async #tick(task: MoveTask): Promise<void> {
    if (task.status !== 'RUNNING' || this.#state.closed) return;
    const records: LogRecord[] = [];
    const source = this.#state.queueByArn(task.sourceArn);
    const now = Date.now();
    const rate = task.maxPerSecond ?? DEFAULT_MOVE_RATE;
    // A tick's worth to start with; the fraction a tick leaves is carried, so 15/s is 15/s.
    const perTick = Math.max(1, (rate * TASK_TICK_MS) / 1000);
    const allowance = this.#allowance.get(task.handle) ?? { tokens: perTick, at: now };
    allowance.tokens = Math.min(perTick + 1, allowance.tokens + (rate * (now - allowance.at)) / 1000);
    allowance.at = now;
    this.#allowance.set(task.handle, allowance);
    const budget = Math.floor(allowance.tokens);
    let movedNow = 0;
    const moves = new Map<string, number>();
    if (!source) {
      task.status = 'FAILED';
      task.failureReason = 'AWS.SimpleQueueService.NonExistentQueue';
    } else {
      source.promote(now);
      for (const id of [...source.available]) {
        if (movedNow >= budget || task.moved >= task.toMove) break;
        const message = source.messages.get(id);
        if (!message) continue;
        const destination = this.#state.queueByArn(task.destinationArn ?? message.deadLetterSourceArn ?? '');
        if (!destination) {
          task.status = 'FAILED';
          task.failureReason = task.destinationArn
            ? 'AWS.SimpleQueueService.NonExistentQueue'
            : 'CouldNotDetermineMessageSource';
          break;
        }
        source.remove(id);
        records.push({ op: 'del', queue: source.name, id });
        const moved: StoredMessage = {
          ...message,
          sentAt: now,
          visibleAt: now,
          receiveCount: 0,
          firstReceiveAt: undefined,
          receipt: undefined,
          receivedAt: undefined,
          deadLetterSourceArn: undefined,
        };
        records.push(this.#state.store(destination, moved, now));
        moves.set(destination.name, (moves.get(destination.name) ?? 0) + 1);
        movedNow++;
        task.moved++;
      }
      allowance.tokens -= movedNow;
      if (
        task.status === 'RUNNING' &&
        (task.moved >= task.toMove || source.available.size === 0 || movedNow < budget)
      )
        task.status = 'COMPLETED';
    }
    records.push({ op: 'task', task: { ...task } });
    await this.#state.commit(records);
    if (movedNow > 0 && source) this.#state.emit({ kind: 'moved', queue: source.name, count: movedNow });
    for (const [name, count] of moves) this.#state.emit({ kind: 'sent', queue: name, count });
    if (task.status === 'RUNNING') this.#schedule(task);
    else this.#allowance.delete(task.handle);
  }

  async list(input: Input): Promise<Output> {
    const sourceArn = requiredString(input, 'SourceArn');
    const max = optionalInteger(
      input,
      'MaxResults',
      1,
      MAX_MOVE_TASKS_LISTED,
      `Must be between 1 and ${MAX_MOVE_TASKS_LISTED}, if provided.`,
    );
    if (!this.#state.queueByArn(sourceArn))
      throw resourceNotFound("The resource that you specified for the SourceArn parameter doesn't exist.");
    const tasks = [...this.#state.tasks.values()]
      .filter((task) => task.sourceArn === sourceArn)
      .sort((a, b) => b.startedAt - a.startedAt)
      .slice(0, max ?? 1);
    return {
      Results: tasks.map((task) => ({
        ...(task.status === 'RUNNING' ? { TaskHandle: task.handle } : {}),
        Status: task.status,
        SourceArn: task.sourceArn,
        ...(task.destinationArn ? { DestinationArn: task.destinationArn } : {}),
        ...(task.maxPerSecond ? { MaxNumberOfMessagesPerSecond: task.maxPerSecond } : {}),
        ApproximateNumberOfMessagesMoved: task.moved,
        ApproximateNumberOfMessagesToMove: task.toMove,
        ...(task.failureReason ? { FailureReason: task.failureReason } : {}),
        StartedTimestamp: task.startedAt,
      })),
    };
  }

  async cancel(input: Input): Promise<Output> {
    const handle = requiredString(input, 'TaskHandle');
    const task = this.#state.tasks.get(handle);
    if (!task) throw resourceNotFound('Task does not exist.');
    if (task.status !== 'RUNNING') throw resourceNotFound('Task does not exist or is not running.');
    task.status = 'CANCELLED';
    clearTimeout(this.#timers.get(handle));
    this.#allowance.delete(handle);
    this.#timers.delete(handle);
    await this.#state.commit([{ op: 'task', task: { ...task } }]);
    return { ApproximateNumberOfMessagesMoved: task.moved };
  }
}
