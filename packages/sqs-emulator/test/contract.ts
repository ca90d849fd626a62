import { afterAll, beforeAll, describe } from 'vitest';
import { type ContractOptions, type ContractTarget, contractContext } from './contract-context.ts';
import { fifoCases } from './contract-fifo.ts';
import { messageCases } from './contract-messages.ts';
import { queueCases } from './contract-queues.ts';

export type { ContractOptions, ContractTarget } from './contract-context.ts';

/**
 * The SQS API contract through the AWS SDK v3 (AWS JSON 1.0 protocol), run against any SQS
 * endpoint: this emulator always (`sdk.test.ts`), moto_server as a second opinion on demand.
 * A target that is known to differ from AWS's documented behaviour lists those cases, with the reason, in `differences`.
 * The cases are in `contract-queues.ts`, `contract-messages.ts` and `contract-fifo.ts`.
 */
export function sqsContract(
  label: string,
  start: () => Promise<ContractTarget>,
  options: ContractOptions = {},
): void {
  describe(label, () => {
    let sqs: ContractTarget | undefined;
    const context = contractContext(() => {
      if (!sqs) throw new Error(`${label}: the target is not started (its start() failed or has not run)`);
      return sqs;
    }, options);

    beforeAll(async () => {
      sqs = await start();
    });

    afterAll(async () => {
      await sqs?.stop();
    });

    queueCases(context);
    messageCases(context);
    fifoCases(context);
  });
}
