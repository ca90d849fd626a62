/**
 * DynamoDB's Time to Live for the emulator: the per-table settings, their API, and the sweep (TimeToLive below).
 */
import { readFile, rename, writeFile } from 'node:fs/promises';
import type { Backend } from './backend.ts';
import { DynamoProtocolError } from './errors.ts';
import type { Locks } from './rwlock.ts';
import { type Item, isConditionFailure, itemIdentity, type KeySchemas, validation } from './tables.ts';

const FIVE_YEARS_S = 5 * 365 * 24 * 3600;
const MAX_SWEEP_PAGES = 100_000;

/**
 * Time to Live: the settings per table (kept in a JSON file beside dynalite's database, or in
 * memory), UpdateTimeToLive/DescribeTimeToLive, and the sweep that deletes expired items. Like
 * AWS, an item expires when its TTL attribute is a Number of epoch seconds in the past, but not
 * more than five years in the past; until a sweep deletes it, reads still return it.
 */
export class TimeToLive {
  private settings: Record<string, string> = {};
  private sweeping: Promise<number> | undefined;

  constructor(
    private readonly backend: Backend,
    private readonly keys: KeySchemas,
    private readonly locks: Locks,
    private readonly file?: string,
  ) {}

  async load(): Promise<void> {
    if (!this.file) return;
    try {
      const parsed = JSON.parse(await readFile(this.file, 'utf8')) as { tables?: Record<string, string> };
      this.settings = { ...(parsed.tables ?? {}) };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw new Error(`DynamoDB TTL settings: cannot read "${this.file}": ${(error as Error).message}`, {
        cause: error,
      });
    }
  }

  async update(params: Record<string, unknown>): Promise<Record<string, unknown>> {
    const table = params.TableName;
    const spec = params.TimeToLiveSpecification as { Enabled?: unknown; AttributeName?: unknown } | undefined;
    if (typeof table !== 'string') throw validation('TableName is required');
    if (!spec || typeof spec.Enabled !== 'boolean') {
      throw validation(
        "1 validation error detected: Value null at 'timeToLiveSpecification.enabled' failed to satisfy constraint: Member must not be null",
      );
    }
    const name = spec.AttributeName;
    if (typeof name !== 'string' || name.length < 1 || name.length > 255) {
      throw validation(
        "1 validation error detected: Value at 'timeToLiveSpecification.attributeName' failed to satisfy constraint: Member must have length between 1 and 255",
      );
    }
    return this.locks.alone(async () => {
      await this.backend.call('DescribeTable', { TableName: table });
      const current = this.settings[table];
      if (spec.Enabled && current) throw validation('TimeToLive is already enabled');
      if (!spec.Enabled && !current) throw validation('TimeToLive is already disabled');
      if (!spec.Enabled && current !== name) {
        throw validation(
          `TimeToLive is active on a different AttributeName: current AttributeName is ${current}`,
        );
      }
      if (spec.Enabled) this.settings[table] = name;
      else delete this.settings[table];
      await this.save();
      return { TimeToLiveSpecification: { Enabled: spec.Enabled, AttributeName: name } };
    });
  }

  async describe(params: Record<string, unknown>): Promise<Record<string, unknown>> {
    const table = params.TableName;
    if (typeof table !== 'string') throw validation('TableName is required');
    await this.backend.call('DescribeTable', { TableName: table });
    const name = this.settings[table];
    return {
      TimeToLiveDescription: name
        ? { TimeToLiveStatus: 'ENABLED', AttributeName: name }
        : { TimeToLiveStatus: 'DISABLED' },
    };
  }

  /** A deleted table takes its TTL setting with it. */
  async forget(table: string): Promise<void> {
    if (!(table in this.settings)) return;
    delete this.settings[table];
    await this.save();
  }

  /** Resolves when no sweep is running (whatever its outcome): before the database closes under it. */
  async settled(): Promise<void> {
    await this.sweeping?.catch(() => undefined);
  }

  /** Deletes every expired item now; resolves to how many. Overlapping calls share one sweep. */
  sweep(nowMs = Date.now()): Promise<number> {
    this.sweeping ??= this.sweepAll(nowMs).finally(() => {
      this.sweeping = undefined;
    });
    return this.sweeping;
  }

  private async sweepAll(nowMs: number): Promise<number> {
    let deleted = 0;
    for (const [table, attribute] of Object.entries(this.settings)) {
      deleted += await this.sweepTable(table, attribute, Math.floor(nowMs / 1000));
    }
    return deleted;
  }

  private async sweepTable(table: string, attribute: string, now: number): Promise<number> {
    let keyNames: string[];
    try {
      keyNames = await this.keys.keyNames(table);
    } catch (error) {
      if (error instanceof DynamoProtocolError && error.type === 'ResourceNotFoundException') {
        await this.forget(table);
        return 0;
      }
      throw error;
    }
    const expired = {
      FilterExpression: '#ttl < :now AND #ttl >= :oldest',
      ExpressionAttributeValues: { ':now': { N: String(now) }, ':oldest': { N: String(now - FIVE_YEARS_S) } },
    };
    const names: Record<string, string> = { '#ttl': attribute };
    for (const [i, name] of keyNames.entries()) names[`#k${i}`] = name;
    let deleted = 0;
    let start: Item | undefined;
    for (let page = 0; page < MAX_SWEEP_PAGES; page++) {
      const scanned = await this.locks.shared(() =>
        this.backend.call('Scan', {
          TableName: table,
          ...expired,
          ExpressionAttributeNames: names,
          ProjectionExpression: keyNames.map((_, i) => `#k${i}`).join(', '),
          ...(start ? { ExclusiveStartKey: start } : {}),
        }),
      );
      for (const found of (scanned.Items ?? []) as Item[]) {
        const key: Item = Object.fromEntries(keyNames.map((name) => [name, found[name] ?? {}]));
        try {
          // The item may have been given a later expiry since the scan: the condition checks again.
          await this.locks.items([itemIdentity(table, key)], true, () =>
            this.backend.call('DeleteItem', {
              TableName: table,
              Key: key,
              ConditionExpression: expired.FilterExpression,
              ExpressionAttributeNames: { '#ttl': attribute },
              ExpressionAttributeValues: expired.ExpressionAttributeValues,
            }),
          );
          deleted += 1;
        } catch (error) {
          if (!isConditionFailure(error)) throw error;
        }
      }
      start = scanned.LastEvaluatedKey as Item | undefined;
      if (!start) break;
    }
    return deleted;
  }

  private async save(): Promise<void> {
    if (!this.file) return;
    const temporary = `${this.file}.${process.pid}.tmp`;
    await writeFile(temporary, `${JSON.stringify({ tables: this.settings }, null, 2)}\n`);
    await rename(temporary, this.file);
  }
}
