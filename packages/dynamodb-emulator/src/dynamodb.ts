import { CreateTableCommand, DescribeTableCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { type DynamoEmulator, type DynamoEmulatorOptions, startDynamoEmulator } from './emulator.ts';

/** The DynamoDB API: dynalite (LevelDB on disk under `path`, in memory without it) behind the emulator's layer. */
export type LocalDynamo = DynamoEmulator;
export type LocalDynamoOptions = DynamoEmulatorOptions;

export function startLocalDynamo(options: LocalDynamoOptions = {}): Promise<LocalDynamo> {
  return startDynamoEmulator(options);
}

/** Creates the ledger table (pk string, on demand) unless it exists. The same shape infra/ deploys. */
export async function ensureLedgerTable(dynamodb: DynamoDBClient, tableName: string): Promise<void> {
  try {
    await dynamodb.send(new DescribeTableCommand({ TableName: tableName }));
    return;
  } catch (error) {
    if ((error as { name?: string }).name !== 'ResourceNotFoundException') throw error;
  }
  try {
    await dynamodb.send(
      new CreateTableCommand({
        TableName: tableName,
        AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
        KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
        BillingMode: 'PAY_PER_REQUEST',
      }),
    );
  } catch (error) {
    if ((error as { name?: string }).name !== 'ResourceInUseException') throw error;
  }
}
