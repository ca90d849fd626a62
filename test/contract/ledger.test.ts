import { createClients, destroyClients } from '@eventline/aws/clients.ts';
import { DynamoLedger } from '@eventline/aws/dynamo-ledger.ts';
import { ensureLedgerTable, startLocalDynamo } from '@eventline/dynamodb-emulator';
import { startDynamoDbLocal } from '../support/dynamodb-local.ts';
import { ledgerContract } from './ledger.contract.ts';

const credentials = { accessKeyId: 'test', secretAccessKey: 'test' };

async function onEndpoint(endpoint: string, close: () => Promise<void>) {
  const clients = createClients({ region: 'us-east-1', endpoint, credentials, maxAttempts: 2 });
  const table = `ledger-${Date.now()}`;
  await ensureLedgerTable(clients.dynamodb, table);
  return {
    ledger: new DynamoLedger({ tableName: table, dynamodb: clients.dynamodb, documents: clients.documents }),
    dynamodb: clients.dynamodb,
    table,
    close: async () => {
      destroyClients(clients);
      await close();
    },
  };
}

ledgerContract('dynalite', async () => {
  const dynamo = await startLocalDynamo({});
  return onEndpoint(`http://127.0.0.1:${dynamo.port}`, () => dynamo.close());
});

ledgerContract('DynamoDB Local (the official jar)', async () => {
  const local = await startDynamoDbLocal();
  return onEndpoint(local.endpoint, () => local.close());
});
