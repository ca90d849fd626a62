/**
 * The shapes of dynalite 4's engine modules the emulator calls (db/index.js's store and helpers,
 * actions/*.js, validations/*.js): dynalite ships no types. Only what engine.ts and batch-write.ts use.
 */
/** An item in DynamoDB's JSON shapes (as tables.ts's Item). */
export type Item = Record<string, Record<string, unknown>>;

/** dynalite's error: a DynamoDB error body and its HTTP status (db/index.js validationError and others). */
export interface DynaliteError extends Error {
  statusCode?: number;
  body?: { __type?: string; message?: string };
}

export type Callback = (error: DynaliteError | null | undefined, data?: unknown) => void;

/** An operation of dynalite's (actions/*.js): (store, validated request, callback). */
export type Action = (store: DynaliteStore, data: Record<string, unknown>, cb: Callback) => void;

/** A validation module of dynalite's (validations/*.js). */
export interface DynaliteValidation {
  types: unknown;
  custom?: unknown;
}

/** A table's description as dynalite stores it. */
export interface DynaliteTable {
  TableName: string;
  TableStatus: string;
  KeySchema: { AttributeName: string; KeyType: string }[];
  LocalSecondaryIndexes?: DynaliteIndex[];
  GlobalSecondaryIndexes?: DynaliteIndex[];
}

export interface DynaliteIndex {
  IndexName: string;
  KeySchema: { AttributeName: string; KeyType: string }[];
  Projection: { ProjectionType?: string; NonKeyAttributes?: string[] };
}

export interface BatchOperation {
  type: 'put' | 'del';
  key: string;
  value?: unknown;
}

/** dynalite's main LevelDB (abstract-level, JSON values), its get/put/del/batch wrapped to take callbacks. */
export interface DynaliteLevel {
  getMany(keys: string[]): Promise<(Item | undefined)[]>;
  batch(operations: BatchOperation[], callback: (error?: Error | null) => void): void;
}

export interface DynaliteLifecycle {
  trackOperation<T>(operation: Promise<T>): Promise<T>;
  setShutdownTimeout(ms: number): void;
  gracefulClose(callback: (error?: Error | null) => void): void;
  forceClose(callback: (error?: Error | null) => void): void;
}

/** A sub-database of the store: its `lock` is dynalite's per-item lock (the `lock` package). */
export interface DynaliteSubDb {
  lock(keys: string | string[], exec: (release: (done: () => void) => () => void) => void): void;
}

/** What db.create() returns (db/index.js). */
export interface DynaliteStore {
  options: { maxItemSize: number };
  db: DynaliteLevel;
  lifecycleManager: DynaliteLifecycle;
  getTable(name: string, cb: (error: DynaliteError | null, table?: DynaliteTable) => void): void;
  getItemDb(name: string): DynaliteSubDb;
}

/** db/index.js's helpers batch-write.ts uses. */
export interface DynaliteDb {
  validateItem(item: Item, table: DynaliteTable): DynaliteError | undefined | null;
  validateKey(key: Item, table: DynaliteTable): DynaliteError | undefined | null;
  createKey(item: Item, table: DynaliteTable): string;
  validationError(message: string): DynaliteError;
  addConsumedCapacity(
    data: { TableName: string; ReturnConsumedCapacity?: unknown },
    isRead: boolean,
    newItem: Item | undefined,
    oldItem?: Item,
  ): { CapacityUnits: number; TableName: string } | undefined;
  getIndexActions(
    indexes: DynaliteIndex[],
    existingItem: Item | undefined,
    item: Item | null,
    table: DynaliteTable,
  ): { puts: { index: string; key: string; item: Item }[]; deletes: { index: string; key: string }[] };
}
