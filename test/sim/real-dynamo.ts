/**
 * The simulator's slower tier: the ledger's table on the project's DynamoDB emulator (dynalite
 * behind its layer, in this process on loopback) instead of fake-dynamo.ts, so a fake that drifts
 * from DynamoDB's semantics is caught (drift.ts compares the two tiers' endings). Requests go
 * through an SDK v3 client (one try: the world's faults are the only retries), their answers and
 * errors are the emulator's. The world's checks read the table synchronously (`items`, `onWrite`):
 * after each write this store reads back the items it touched (consistent GetItem, not a port
 * call) and keeps them as a mirror; at quiescence `sync` replaces the mirror by a Scan of the table.
 * Faults stay at the port boundary: `unprocessed` keeps the batch's last request from the emulator
 * and returns it as UnprocessedItems, a transaction's `conflict` is refused before it is sent.
 */
import {
  type AttributeValue,
  type BatchWriteItemCommandInput,
  DeleteTableCommand,
  DynamoDBClient,
  type GetItemCommandInput,
  type PutItemCommandInput,
  ScanCommand,
  type TransactWriteItemsCommandInput,
  type UpdateItemCommandInput,
  type WriteRequest,
} from '@aws-sdk/client-dynamodb';
import type { DynamoDbApi } from '@eventline/aws';
import { withDynamoDbApi } from '@eventline/aws/sdk';
import { type DynamoEmulator, ensureLedgerTable, startDynamoEmulator } from '@eventline/dynamodb-emulator';
import { type DynamoStore, FakeDynamo } from './fake-dynamo.ts';

type Item = Record<string, AttributeValue>;
type Client = DynamoDBClient & DynamoDbApi;

const same = (a: Item | undefined, b: Item | undefined) => JSON.stringify(a) === JSON.stringify(b);

export class RealDynamo implements DynamoStore {
  readonly items = new Map<string, Item>();
  onWrite: DynamoStore['onWrite'] = () => {};
  /** Transactions this store saw commit, by token: a repeat is expected to write nothing. */
  private readonly committed = new Set<string>();

  constructor(
    private readonly client: Client,
    /** The emulator's table; the ledger's requests name `ledger`, renamed on the way. */
    readonly table: string,
  ) {}

  private named<T extends { TableName?: string | undefined }>(input: T): T {
    return { ...input, TableName: this.table };
  }

  private async read(pk: string): Promise<Item | undefined> {
    const { Item } = await this.client.getItem({
      TableName: this.table,
      Key: { pk: { S: pk } },
      ConsistentRead: true,
    });
    return Item;
  }

  /** The items `pks` as stored now, each kept in the mirror and shown to `onWrite` in order. */
  private async stored(pks: string[], transaction?: string[], onlyChanged = false): Promise<void> {
    const after = await Promise.all(pks.map((pk) => this.read(pk)));
    for (const [i, pk] of pks.entries()) {
      const before = this.items.get(pk);
      const item = after[i];
      if (onlyChanged && same(before, item)) continue;
      if (!item) {
        this.items.delete(pk);
        continue;
      }
      this.items.set(pk, item);
      this.onWrite(structuredClone(item), before, transaction);
    }
  }

  async getItem(input: GetItemCommandInput): Promise<{ Item?: Item }> {
    const { Item } = await this.client.getItem(this.named(input));
    return Item ? { Item } : {};
  }

  async putItem(input: PutItemCommandInput): Promise<unknown> {
    await this.client.putItem(this.named(input));
    await this.stored([String(input.Item?.pk?.S)]);
    return {};
  }

  async updateItem(input: UpdateItemCommandInput): Promise<{ Attributes?: Item }> {
    const { Attributes } = await this.client.updateItem(this.named(input));
    await this.stored([String(input.Key?.pk?.S)]);
    return Attributes ? { Attributes } : {};
  }

  async transactWriteItems(
    input: TransactWriteItemsCommandInput,
    now: number,
    conflict = false,
  ): Promise<unknown> {
    const actions = input.TransactItems ?? [];
    if (conflict) {
      // Refused as a concurrent transaction would refuse it, never sent: the fake's answer (the
      // other items' conditions evaluated on the items as stored) on a copy of the mirror.
      const copy = new FakeDynamo();
      for (const [pk, item] of this.items) copy.items.set(pk, structuredClone(item));
      return copy.transactWriteItems(input, now, true);
    }
    const send = this.client.transactWriteItems!;
    await send({
      ...input,
      TransactItems: actions.map((action) => {
        const renamed = { ...action };
        if (renamed.Put) renamed.Put = this.named(renamed.Put);
        if (renamed.Update) renamed.Update = this.named(renamed.Update);
        if (renamed.Delete) renamed.Delete = this.named(renamed.Delete);
        if (renamed.ConditionCheck) renamed.ConditionCheck = this.named(renamed.ConditionCheck);
        return renamed;
      }),
    });
    const pks = actions.map((a) =>
      String((a.Put?.Item ?? a.Update?.Key ?? a.Delete?.Key ?? a.ConditionCheck?.Key)?.pk?.S),
    );
    const token = input.ClientRequestToken;
    const repeat = token !== undefined && this.committed.has(token);
    if (token !== undefined) this.committed.add(token);
    const written = pks.filter((_pk, i) => !actions[i]!.Delete && !actions[i]!.ConditionCheck);
    // As the fake names them: every key the transaction leaves an item under.
    const transaction = pks.filter(
      (pk, i) => !actions[i]!.Delete && (this.items.has(pk) || written.includes(pk)),
    );
    for (const [i, pk] of pks.entries()) if (actions[i]!.Delete) this.items.delete(pk);
    // A repeat within ten minutes writes nothing: any item it changed shows (and is a drift).
    await this.stored(written, transaction, repeat);
    return {};
  }

  async batchWriteItem(
    input: BatchWriteItemCommandInput,
    unprocessed = 0,
  ): Promise<{ UnprocessedItems?: Record<string, WriteRequest[]> }> {
    const [table, requests] = Object.entries(input.RequestItems ?? {})[0] ?? ['', []];
    const cut = Math.max(0, requests.length - unprocessed);
    const sent = requests.slice(0, cut);
    const left = requests.slice(cut);
    if (sent.length > 0) {
      const { UnprocessedItems } = await this.client.batchWriteItem({
        ...input,
        RequestItems: { [this.table]: sent },
      });
      const back = UnprocessedItems?.[this.table] ?? [];
      left.unshift(...back);
      const done = sent.filter((r) => !back.includes(r));
      for (const r of done) if (r.DeleteRequest) this.items.delete(String(r.DeleteRequest.Key?.pk?.S));
      await this.stored(done.filter((r) => r.PutRequest).map((r) => String(r.PutRequest?.Item?.pk?.S)));
    }
    return left.length > 0 ? { UnprocessedItems: { [table]: structuredClone(left) } } : {};
  }

  async overwrite(pk: string, item: Item): Promise<void> {
    await this.client.putItem({ TableName: this.table, Item: item });
    this.items.set(pk, structuredClone(item));
  }

  async sync(): Promise<void> {
    this.items.clear();
    let start: Item | undefined;
    do {
      const page = await this.client.send(
        new ScanCommand({ TableName: this.table, ConsistentRead: true, ExclusiveStartKey: start }),
      );
      for (const item of page.Items ?? []) this.items.set(String(item.pk?.S), item);
      start = page.LastEvaluatedKey;
    } while (start);
  }
}

/** The DynamoDB emulator of a run of the slower tier, a fresh table per plan. */
export class DynamoTier {
  private tables = 0;

  private constructor(
    private readonly emulator: DynamoEmulator,
    private readonly client: Client,
  ) {}

  static async start(): Promise<DynamoTier> {
    const emulator = await startDynamoEmulator({ ttlSweepIntervalMs: 0 });
    const client = withDynamoDbApi(
      new DynamoDBClient({
        region: 'us-east-1',
        endpoint: `http://127.0.0.1:${emulator.port}`,
        credentials: { accessKeyId: 'sim', secretAccessKey: 'sim' },
        maxAttempts: 1,
      }),
    );
    return new DynamoTier(emulator, client);
  }

  /** A new, empty ledger table (the deployed table's shape: `pk`, the attention index, on demand). */
  async table(): Promise<RealDynamo> {
    this.tables += 1;
    const name = `sim-${this.tables}`;
    await ensureLedgerTable(this.client, name);
    return new RealDynamo(this.client, name);
  }

  async drop(store: RealDynamo): Promise<void> {
    await this.client.send(new DeleteTableCommand({ TableName: store.table }));
  }

  async close(): Promise<void> {
    this.client.destroy();
    await this.emulator.close();
  }
}
