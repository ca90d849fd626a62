import type { SqsAction } from './constants.ts';
import { invalidAction, SqsApiError } from './errors.ts';
import type { LogRecord } from './log.ts';
import { metrics } from './metrics.ts';
import { MoveTasks } from './move-tasks.ts';
import {
  createQueue,
  deleteQueue,
  getQueueAttributes,
  getQueueUrl,
  listDeadLetterSourceQueues,
  listQueues,
  listQueueTags,
  purgeQueue,
  setQueueAttributes,
  tagQueue,
  untagQueue,
} from './queues.ts';
import {
  changeMessageVisibility,
  changeMessageVisibilityBatch,
  deleteMessage,
  deleteMessageBatch,
} from './receipts.ts';
import { receiveMessage } from './receive.ts';
import { sendMessage, sendMessageBatch } from './send.ts';
import { type CallContext, type Output, type ServiceOptions, SqsState } from './state.ts';
import type { QueueMetrics } from './types.ts';
import type { Input } from './validation.ts';

export type { CallContext, ServiceOptions } from './state.ts';

/**
 * The SQS operations over the in-memory state. Every operation validates its input, changes the
 * state, and resolves only once the records of the change are on disk (see `log.ts`). Inputs and
 * outputs have the AWS JSON 1.0 shapes; the Query protocol is converted to and from them.
 *
 * This class dispatches an action to its module and owns the timers; the state and its log
 * replay live in `state.ts`, the actions in `queues.ts`, `send.ts`, `receive.ts`, `receipts.ts`
 * and `move-tasks.ts`.
 */

const RETENTION_SWEEP_MS = 30_000;

export class SqsService {
  readonly #state: SqsState;
  readonly #tasks: MoveTasks;
  readonly #sweep: NodeJS.Timeout;

  constructor(options: ServiceOptions) {
    this.#state = new SqsState(options);
    this.#tasks = new MoveTasks(this.#state);
    this.#sweep = setInterval(() => this.#state.sweepRetention(), RETENTION_SWEEP_MS);
    this.#sweep.unref();
  }

  /** Replays one record from the log (at start). */
  apply(record: LogRecord): void {
    this.#state.apply(record);
  }

  /** Resumes move tasks that were running when the emulator stopped. */
  resumeTasks(): void {
    this.#tasks.resume();
  }

  snapshot(): LogRecord[] {
    return this.#state.snapshot();
  }

  liveRecords(): number {
    return this.#state.liveRecords();
  }

  metrics(): QueueMetrics[] {
    return metrics(this.#state);
  }

  async call(action: string, input: Input, context: CallContext): Promise<Output> {
    const state = this.#state;
    if (state.closed)
      throw new SqsApiError('ServiceUnavailable', 'ServiceUnavailable', 503, 'The emulator is closing.');
    switch (action as SqsAction) {
      case 'CreateQueue':
        return createQueue(state, input);
      case 'GetQueueUrl':
        return getQueueUrl(state, input);
      case 'DeleteQueue':
        return deleteQueue(state, input);
      case 'ListQueues':
        return listQueues(state, input);
      case 'GetQueueAttributes':
        return getQueueAttributes(state, input);
      case 'SetQueueAttributes':
        return setQueueAttributes(state, input);
      case 'SendMessage':
        return sendMessage(state, input);
      case 'SendMessageBatch':
        return sendMessageBatch(state, input);
      case 'ReceiveMessage':
        return receiveMessage(state, input, context);
      case 'DeleteMessage':
        return deleteMessage(state, input);
      case 'DeleteMessageBatch':
        return deleteMessageBatch(state, input);
      case 'ChangeMessageVisibility':
        return changeMessageVisibility(state, input);
      case 'ChangeMessageVisibilityBatch':
        return changeMessageVisibilityBatch(state, input);
      case 'PurgeQueue':
        return purgeQueue(state, input);
      case 'ListDeadLetterSourceQueues':
        return listDeadLetterSourceQueues(state, input);
      case 'StartMessageMoveTask':
        return this.#tasks.start(input);
      case 'ListMessageMoveTasks':
        return this.#tasks.list(input);
      case 'CancelMessageMoveTask':
        return this.#tasks.cancel(input);
      case 'TagQueue':
        return tagQueue(state, input);
      case 'UntagQueue':
        return untagQueue(state, input);
      case 'ListQueueTags':
        return listQueueTags(state, input);
      default:
        throw invalidAction(action);
    }
  }

  /** Ends long polls and stops move tasks (they resume at the next start). */
  close(): void {
    clearInterval(this.#sweep);
    this.#tasks.close();
    this.#state.close();
  }
}
