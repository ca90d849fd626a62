export {
  ensureLedgerTable,
  type LocalDynamo,
  type LocalDynamoOptions,
  startLocalDynamo,
} from './dynamodb.ts';
export { type DynamoEmulator, type DynamoEmulatorOptions, startDynamoEmulator } from './emulator.ts';
export { DataDirectoryLockedError, DynamoEmulatorError, DynamoProtocolError } from './errors.ts';
export { acquireDirectoryLock, type DirectoryLock, type LockOwner } from './lock.ts';
