import { DynamoLedger } from '@eventline/aws';
import { createClients, destroyClients } from '@eventline/aws/sdk';
import { sequencerSortKey } from '@eventline/core';
import { ensureLedgerTable, startLocalDynamo } from '@eventline/dynamodb-emulator';
import { describe, expect, it } from 'vitest';
import { startDynamoDbLocal } from '../support/dynamodb-local.ts';
import { ledgerContract } from './ledger.contract.ts';

const credentials = { accessKeyId: 'test', secretAccessKey: 'test' };

async function onEndpoint(
  endpoint: string,
  close: () => Promise<void>,
  options: { withoutAllOld?: boolean } = {},
) {
  const clients = createClients({ region: 'us-east-1', endpoint, credentials, maxAttempts: 2 });
  if (options.withoutAllOld) {
    // An engine that does not return ALL_OLD on a refused write: the same answer with the item taken out.
    clients.dynamodb.middlewareStack.add(
      (next) => async (args) => {
        try {
          return await next(args);
        } catch (error) {
          if ((error as { name?: string }).name === 'ConditionalCheckFailedException') {
            delete (error as { Item?: unknown }).Item;
          }
          throw error;
        }
      },
      { step: 'initialize', name: 'withoutAllOld' },
    );
  }
  const table = `ledger-${Date.now()}`;
  await ensureLedgerTable(clients.dynamodb, table);
  let fallbacks = 0;
  const metrics = {
    count: (name: string, value = 1) => {
      if (name === 'LedgerReadFallbacks') fallbacks += value;
    },
    milliseconds() {},
  };
  return {
    ledger: new DynamoLedger({
      tableName: table,
      dynamodb: clients.dynamodb,
      documents: clients.documents,
      metrics,
    }),
    readFallbacks: () => fallbacks,
    dynamodb: clients.dynamodb,
    table,
    close: async () => {
      destroyClients(clients);
      await close();
    },
  };
}

ledgerContract('the DynamoDB emulator', async () => {
  const dynamo = await startLocalDynamo({});
  return onEndpoint(`http://127.0.0.1:${dynamo.port}`, () => dynamo.close());
});

ledgerContract(
  'an engine without ALL_OLD (the read fallback)',
  async () => {
    const dynamo = await startLocalDynamo({});
    return onEndpoint(`http://127.0.0.1:${dynamo.port}`, () => dynamo.close(), { withoutAllOld: true });
  },
  { returnsAllOld: false },
);

ledgerContract('DynamoDB Local (the official jar)', async () => {
  const local = await startDynamoDbLocal();
  return onEndpoint(local.endpoint, () => local.close());
});

describe('DynamoDB Local returns the refused item (ReturnValuesOnConditionCheckFailure: ALL_OLD)', () => {
  it('so a redelivered finished file costs one request, with no read-back', async () => {
    const local = await startDynamoDbLocal();
    const subject = await onEndpoint(local.endpoint, () => local.close());
    try {
      const state = {
        bucket: 'b',
        key: 'incoming/once.json',
        route: 'default',
        seq: sequencerSortKey('01'),
        sequencer: '01',
        eventTime: '2026-01-01T00:00:00.000Z',
        status: 'PROCESSING' as const,
        rev: 1,
        leaseUntil: 0,
        attempts: 1,
        counts: { read: 0, written: 0, rejected: 0, duplicates: 0, bytes: 0 },
        rejects: [],
        notification: { status: 'NOT_NEEDED' as const },
        deadLetter: { status: 'NOT_NEEDED' as const },
        startedAt: '2026-01-01T00:00:00.000Z',
        updatedAt: '2026-01-01T00:00:00.000Z',
      };
      expect((await subject.ledger.claim(state, 0)).claimed).toBe(true);
      await subject.ledger.putFile({ ...state, rev: 2, status: 'PROCESSED' }, 1);
      const refused = await subject.ledger.claim(state, 0);
      expect(refused).toMatchObject({ claimed: false, current: { status: 'PROCESSED', rev: 2 } });
      expect(subject.readFallbacks()).toBe(0);
    } finally {
      await subject.close();
    }
  });
});
