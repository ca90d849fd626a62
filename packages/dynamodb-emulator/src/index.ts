export { ensureLedgerTable, type LocalDynamo, startLocalDynamo } from './dynamodb.ts';
