/**
 * BatchWriteItem on dynalite's store with three LevelDB calls a table instead of three an item:
 * the table's description read once, the old items read with one `getMany`, and every item and
 * index entry written with one `batch`. dynalite's own action (actions/batchWriteItem.js) runs
 * dynalite's PutItem or DeleteItem per request, each reading the table's description and the old
 * item and writing the new one (76 LevelDB calls for 25 items: most of the operation's CPU).
 * What is stored is what dynalite stores (the same keys, items and index entries, made by
 * dynalite's own helpers), so every other operation reads it as its own; the answer, the checks
 * and their order are dynalite's. One difference: the batch's writes land together or not at all
 * (dynalite's separate writes could stop half way on a storage error).
 */
import { createRequire } from 'node:module';
import type {
  Action,
  BatchOperation,
  DynaliteDb,
  DynaliteError,
  DynaliteStore,
  DynaliteTable,
  Item,
} from './types/dynalite-engine.ts';

const require = createRequire(import.meta.url);
const db = require('dynalite/db/index.js') as DynaliteDb;

interface WriteRequest {
  PutRequest?: { Item: Item };
  DeleteRequest?: { Key: Item };
}

/** One table's requests, checked: each with its storage key. */
interface TableWrites {
  name: string;
  table: DynaliteTable;
  writes: { key: string; put?: Item }[];
}

/**
 * Table descriptions as BatchWriteItem last read them, ACTIVE ones only, so that a batch reads none
 * (it was one LevelDB read in three a batch, and the costliest). dynalite writes a description only
 * in CreateTable, UpdateTable and DeleteTable (and their timers); the engine forgets all when one of
 * them starts and when it answers, and the emulator runs them alone and waits until the table has
 * settled. A read begun before a forget is not kept.
 */
export class TableDescriptions {
  private readonly known = new Map<string, DynaliteTable>();
  private generation = 0;

  forget(): void {
    this.generation++;
    this.known.clear();
  }

  async get(store: DynaliteStore, name: string): Promise<DynaliteTable> {
    const known = this.known.get(name);
    if (known) return known;
    const generation = this.generation;
    const table = await tableOf(store, name);
    if (table.TableStatus === 'ACTIVE' && generation === this.generation) this.known.set(name, table);
    return table;
  }
}

/** BatchWriteItem as a dynalite action (see engine.ts), for a request dynalite's validations have passed. */
export function batchWriteItem(tables: TableDescriptions): Action {
  return (store, data, cb) => {
    write(store, tables, data).then(
      (answer) => cb(null, answer),
      (error: DynaliteError) => {
        const message = error.body?.message;
        if (message && (/Missing the key/.test(message) || /Type mismatch for key/.test(message))) {
          error.body = { ...error.body, message: 'The provided key element does not match the schema' };
        }
        cb(error);
      },
    );
  };
}

async function write(
  store: DynaliteStore,
  tables: TableDescriptions,
  data: Record<string, unknown>,
): Promise<Record<string, unknown>> {
  const requestItems = data.RequestItems as Record<string, WriteRequest[]>;
  const names = Object.keys(requestItems);
  // dynalite reads the tables side by side and checks each table's requests once its description
  // has come, in order: the first table's error wins.
  const reads = names.map((name) => tables.get(store, name));
  for (const read of reads) read.catch(() => {});
  const checked: TableWrites[] = [];
  for (const [i, name] of names.entries()) {
    checked.push(checkTable(name, await (reads[i] as Promise<DynaliteTable>), requestItems[name] ?? []));
  }
  const wanted = data.ReturnConsumedCapacity;
  const units = new Map<string, number>();
  const operations: BatchOperation[] = [];
  const locked = await Promise.all(checked.map((t) => lock(store, t)));
  try {
    const olds = await store.lifecycleManager.trackOperation(
      store.db.getMany(checked.flatMap((t) => t.writes.map((w) => itemKey(t.name, w.key)))),
    );
    let at = 0;
    for (const { name, table, writes } of checked) {
      for (const { key, put } of writes) {
        const old = olds[at++] ?? undefined;
        const capacity = put
          ? db.addConsumedCapacity({ TableName: name, ReturnConsumedCapacity: wanted }, false, old, put)
          : db.addConsumedCapacity({ TableName: name, ReturnConsumedCapacity: wanted }, false, old);
        if (capacity) units.set(name, (units.get(name) ?? 0) + capacity.CapacityUnits);
        indexOperations(operations, table, old, put ?? null);
        operations.push(
          put
            ? { type: 'put', key: itemKey(name, key), value: put }
            : { type: 'del', key: itemKey(name, key) },
        );
      }
    }
    await new Promise<void>((resolve, reject) =>
      store.db.batch(operations, (error) => (error ? reject(error) : resolve())),
    );
  } finally {
    for (const release of locked) release();
  }
  const answer: Record<string, unknown> = { UnprocessedItems: {} };
  if (wanted === 'TOTAL' || wanted === 'INDEXES') {
    answer.ConsumedCapacity = [...units].map(([table, capacity]) => ({
      CapacityUnits: capacity,
      TableName: table,
      ...(wanted === 'INDEXES' ? { Table: { CapacityUnits: capacity } } : {}),
    }));
  }
  return answer;
}

function tableOf(store: DynaliteStore, name: string): Promise<DynaliteTable> {
  return new Promise((resolve, reject) =>
    store.getTable(name, (error, table) => (error ? reject(error) : resolve(table as DynaliteTable))),
  );
}

/** dynalite's checks of one table's requests, in its order: each item or key against the schema, then duplicates. */
function checkTable(name: string, table: DynaliteTable, requests: WriteRequest[]): TableWrites {
  const seen = new Set<string>();
  const writes: TableWrites['writes'] = [];
  for (const request of requests) {
    let key: string | undefined;
    if (request.PutRequest) {
      const invalid = db.validateItem(request.PutRequest.Item, table);
      if (invalid != null) throw invalid;
      key = db.createKey(request.PutRequest.Item, table);
      writes.push({ key, put: request.PutRequest.Item });
    } else if (request.DeleteRequest) {
      const invalid = db.validateKey(request.DeleteRequest.Key, table);
      if (invalid != null) throw invalid;
      key = db.createKey(request.DeleteRequest.Key, table);
      writes.push({ key });
    }
    if (key !== undefined && seen.has(key))
      throw db.validationError('Provided list of item keys contains duplicates');
    if (key !== undefined) seen.add(key);
  }
  return { name, table, writes };
}

/** dynalite's per-item locks (those its PutItem and DeleteItem take), for all of a table's items at once. */
function lock(store: DynaliteStore, t: TableWrites): Promise<() => void> {
  return new Promise((resolve) => {
    if (t.writes.length === 0) {
      resolve(() => {});
      return;
    }
    store.getItemDb(t.name).lock(
      t.writes.map((w) => w.key),
      (release) => resolve(release(() => {})),
    );
  });
}

/** The index entries a write removes and adds (dynalite's updateIndexes, as batch operations: removals first). */
function indexOperations(
  operations: BatchOperation[],
  table: DynaliteTable,
  old: Item | undefined,
  item: Item | null,
): void {
  if (!old && !item) return;
  const puts: BatchOperation[] = [];
  for (const kind of ['Local', 'Global'] as const) {
    const indexes = table[`${kind}SecondaryIndexes`] ?? [];
    if (indexes.length === 0) continue;
    const actions = db.getIndexActions(indexes, old, item, table);
    for (const d of actions.deletes)
      operations.push({ type: 'del', key: indexKey(kind, table.TableName, d.index, d.key) });
    for (const p of actions.puts)
      puts.push({ type: 'put', key: indexKey(kind, table.TableName, p.index, p.key), value: p.item });
  }
  operations.push(...puts);
}

/** dynalite 4's key layout in its one LevelDB (db/index.js getItemDb, getIndexDb: a prefix, then `~`). */
function itemKey(table: string, key: string): string {
  return `item-${table}~${key}`;
}

function indexKey(kind: 'Local' | 'Global', table: string, index: string, key: string): string {
  return `index-${kind.toLowerCase()}~${table}~${index}~${key}`;
}
