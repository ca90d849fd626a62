import { InvokeCommand } from '@aws-sdk/client-lambda';
import { errorMessage, type RedriveObject, type RedrivePurpose, redriveEvent } from '@eventline/core';
import { sendBatch } from './queues.ts';
import { needQueue, type Target } from './resources.ts';

/**
 * Sends events to the pipeline the way S3 does in the stack's trigger mode: messages on the ingest
 * queue (queue mode), asynchronous invocations of the function (direct mode).
 */
export interface Sender {
  /** Where events go, for messages. */
  describe: string;
  /** Sends up to 10 events. */
  send(events: Record<string, unknown>[]): Promise<void>;
}

export function senderFor(target: Target, purpose: string): Sender {
  if (target.mode === 'queue') {
    const queue = needQueue(target, 'ingest', purpose);
    return {
      describe: `the ingest queue ${queue.url}`,
      send: (events) =>
        sendBatch(
          target,
          queue,
          events.map((e) => JSON.stringify(e)),
        ),
    };
  }
  const name = target.functionName;
  if (!name) {
    throw new Error(
      `${purpose} in direct mode invokes the function: ${target.where} has no output "FunctionName"`,
    );
  }
  return {
    describe: `asynchronous invocations of ${name}`,
    send: async (events) => {
      for (const event of events) {
        try {
          await target.clients.lambda.send(
            new InvokeCommand({
              FunctionName: name,
              InvocationType: 'Event',
              Payload: new TextEncoder().encode(JSON.stringify(event)),
            }),
          );
        } catch (error) {
          throw new Error(
            `Invoke ${name} (${target.local ? 'the function' : 'output FunctionName'} of ${target.where}) failed: ${errorMessage(error)}`,
          );
        }
      }
    },
  };
}

/** The events for `objects`, marked with `purpose`. */
export const eventsFor = (objects: RedriveObject[], purpose: RedrivePurpose) =>
  objects.map((o) => redriveEvent(o, purpose));
