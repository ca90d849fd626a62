/**
 * The face of @eventline/dynamodb-emulator: the server, the local DynamoDB the stack starts on a data
 * directory (with its lock), and the errors they raise. Imports nothing of eventline.
 */
export {
  ensureLedgerTable,
  LEDGER_INDEX,
  type LocalDynamo,
  type LocalDynamoOptions,
  startLocalDynamo,
} from './dynamodb.ts';
export { type DynamoEmulator, type DynamoEmulatorOptions, startDynamoEmulator } from './emulator.ts';
export { DataDirectoryLockedError, DynamoEmulatorError, DynamoProtocolError } from './errors.ts';
export { acquireDirectoryLock, type DirectoryLock, type LockOwner } from './lock.ts';
