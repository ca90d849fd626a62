import * as ddb from '@aws-sdk/client-dynamodb';
import type { Step } from './cases.ts';

/** What one step did: the answer, or the error's name and members. Same shape as runner.py's. */
export type Outcome =
  | { ok: true; data: Record<string, unknown> }
  | { ok: false; code: string; data: Record<string, unknown> };

const MAX_PAGES = 1000;
type Command = new (input: unknown) => ddb.DynamoDBClient extends { send(c: infer C): unknown } ? C : never;
const commands = ddb as unknown as Record<string, Command | undefined>;

function strip(value: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(value).filter(([name]) => !name.startsWith('$')));
}

async function call(client: ddb.DynamoDBClient, op: string, params: Record<string, unknown>) {
  const Command = commands[`${op}Command`];
  if (!Command) throw new Error(`conformance: SDK v3 has no ${op}Command`);
  return strip((await client.send(new Command(params) as never)) as unknown as Record<string, unknown>);
}

export async function runWithSdk(client: ddb.DynamoDBClient, step: Step): Promise<Outcome> {
  try {
    if (step.op === 'ScanAll' || step.op === 'QueryAll') {
      const items: unknown[] = [];
      let pages = 0;
      let start: unknown;
      while (pages < MAX_PAGES) {
        const page = await call(client, step.op === 'ScanAll' ? 'Scan' : 'Query', {
          ...step.params,
          ...(start ? { ExclusiveStartKey: start } : {}),
        });
        pages += 1;
        items.push(...((page.Items as unknown[]) ?? []));
        start = page.LastEvaluatedKey;
        if (!start) break;
      }
      const distinct = new Set(items.map((item) => JSON.stringify(Object.entries(item as object).sort())))
        .size;
      return { ok: true, data: { Pages: pages, Count: items.length, Distinct: distinct, Items: items } };
    }
    return { ok: true, data: await call(client, step.op, step.params) };
  } catch (error) {
    if (!(error instanceof ddb.DynamoDBServiceException)) throw error;
    const { name, message, stack: _, ...members } = error as unknown as Record<string, unknown> & Error;
    return { ok: false, code: name, data: { ...strip(members), message } };
  }
}
