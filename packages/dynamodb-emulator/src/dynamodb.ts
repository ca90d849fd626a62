import {
  CreateTableCommand,
  DescribeTableCommand,
  DescribeTimeToLiveCommand,
  type DynamoDBClient,
  UpdateTimeToLiveCommand,
} from '@aws-sdk/client-dynamodb';
import { type DynamoEmulator, type DynamoEmulatorOptions, startDynamoEmulator } from './emulator.ts';

/** The DynamoDB API: dynalite (LevelDB on disk under `path`, in memory without it) behind the emulator's layer. */
export type LocalDynamo = DynamoEmulator;
export type LocalDynamoOptions = DynamoEmulatorOptions;

export function startLocalDynamo(options: LocalDynamoOptions = {}): Promise<LocalDynamo> {
  return startDynamoEmulator(options);
}

/**
 * The ledger's sparse global secondary index (eventline's `ATTENTION_INDEX`, core's ledger-index.ts):
 * partition `ix`, sort `ixAt`, every attribute projected. Only items carrying both are in it.
 */
export const LEDGER_INDEX = { name: 'attention', partitionKey: 'ix', sortKey: 'ixAt' } as const;

/**
 * Creates a table keyed by a string `pk` with the `LEDGER_INDEX` index, billed on demand, unless it
 * exists (a table made before the index keeps none: dynalite cannot add one; readers fall back to a
 * scan): the shape of the ledger the CDK app deploys. With `ttlAttribute`, time to live is enabled on that attribute, as the deployed
 * table has it when the ledger's items expire.
 */
export async function ensureLedgerTable(
  dynamodb: DynamoDBClient,
  tableName: string,
  options: { ttlAttribute?: string } = {},
): Promise<void> {
  const exists = await dynamodb.send(new DescribeTableCommand({ TableName: tableName })).then(
    () => true,
    (error: unknown) => {
      if ((error as { name?: string }).name !== 'ResourceNotFoundException') throw error;
      return false;
    },
  );
  if (!exists) await createTable(dynamodb, tableName);
  if (options.ttlAttribute) {
    // DynamoDB refuses to enable what is already enabled: ask first.
    const current = await dynamodb.send(new DescribeTimeToLiveCommand({ TableName: tableName }));
    const ttl = current.TimeToLiveDescription;
    if (ttl?.TimeToLiveStatus === 'ENABLED' && ttl.AttributeName === options.ttlAttribute) return;
    await dynamodb.send(
      new UpdateTimeToLiveCommand({
        TableName: tableName,
        TimeToLiveSpecification: { AttributeName: options.ttlAttribute, Enabled: true },
      }),
    );
  }
}

async function createTable(dynamodb: DynamoDBClient, tableName: string): Promise<void> {
  try {
    await dynamodb.send(
      new CreateTableCommand({
        TableName: tableName,
        AttributeDefinitions: [
          { AttributeName: 'pk', AttributeType: 'S' },
          { AttributeName: LEDGER_INDEX.partitionKey, AttributeType: 'S' },
          { AttributeName: LEDGER_INDEX.sortKey, AttributeType: 'S' },
        ],
        KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
        GlobalSecondaryIndexes: [
          {
            IndexName: LEDGER_INDEX.name,
            KeySchema: [
              { AttributeName: LEDGER_INDEX.partitionKey, KeyType: 'HASH' },
              { AttributeName: LEDGER_INDEX.sortKey, KeyType: 'RANGE' },
            ],
            Projection: { ProjectionType: 'ALL' },
          },
        ],
        BillingMode: 'PAY_PER_REQUEST',
      }),
    );
  } catch (error) {
    if ((error as { name?: string }).name !== 'ResourceInUseException') throw error;
  }
}
