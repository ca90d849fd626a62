import { MAX_BATCH_ENTRIES } from './constants.ts';
import { batchError, SqsApiError } from './errors.ts';
import { type Input, isValidBatchId } from './validation.ts';

/** What the *Batch actions share: the batch-level checks and the shape of a failed entry. */

export interface BatchFailure {
  Id: string;
  SenderFault: boolean;
  Code: string;
  Message: string;
}

export const failureOf = (id: string, error: unknown): BatchFailure => {
  if (error instanceof SqsApiError)
    return { Id: id, SenderFault: error.type === 'Sender', Code: error.queryCode, Message: error.message };
  return { Id: id, SenderFault: false, Code: 'InternalError', Message: (error as Error).message };
};

/** The batch-level checks every *Batch action shares. */
export function checkBatch(action: string, items: Input[]): void {
  if (items.length === 0)
    throw batchError(
      'EmptyBatchRequest',
      `There should be at least one ${action}RequestEntry in the request.`,
    );
  if (items.length > MAX_BATCH_ENTRIES)
    throw batchError(
      'TooManyEntriesInBatchRequest',
      `Maximum number of entries per request are ${MAX_BATCH_ENTRIES}. You have sent ${items.length}.`,
    );
  const seen = new Set<string>();
  for (const item of items) {
    const id = typeof item.Id === 'string' ? item.Id : '';
    if (!isValidBatchId(id))
      throw batchError(
        'InvalidBatchEntryId',
        'A batch entry id can only contain alphanumeric characters, hyphens and underscores. It can be at most 80 letters long.',
      );
    if (seen.has(id)) throw batchError('BatchEntryIdsNotDistinct', `Id ${id} repeated.`);
    seen.add(id);
  }
}
