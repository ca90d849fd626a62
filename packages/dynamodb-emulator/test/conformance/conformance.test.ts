import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { CreateTableCommand, type CreateTableCommandInput, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { documentedCase, mismatches, runPythonJson } from '@eventline/test-kit';
import { afterAll, beforeAll, describe } from 'vitest';
import { type Case, cases, type Step } from './cases.ts';
import { type Outcome, runWithSdk } from './sdk-runner.ts';
import { type Endpoint, startTarget, targetFromEnv } from './targets.ts';

/**
 * The DynamoDB conformance cases (cases.ts), each through SDK v3 and through boto3, against the
 * emulator; `CONFORMANCE_TARGET=moto` or `=ddblocal` runs the same table against moto_server or
 * Amazon's DynamoDB Local (Java) as second opinions.
 */

const target = targetFromEnv();
let endpoint: Endpoint;
let client: DynamoDBClient;

beforeAll(async () => {
  endpoint = await startTarget(target);
  client = new DynamoDBClient({
    endpoint: endpoint.url,
    region: 'us-east-1',
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    maxAttempts: 1,
  });
}, 120_000);

afterAll(async () => {
  client?.destroy();
  await endpoint?.close();
});

function tableInput(kind: Case['table'], name: string): CreateTableCommandInput {
  if (kind === 'indexed') {
    return {
      TableName: name,
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: [
        { AttributeName: 'pk', AttributeType: 'S' },
        { AttributeName: 'g', AttributeType: 'S' },
      ],
      KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
      GlobalSecondaryIndexes: [
        {
          IndexName: 'byG',
          KeySchema: [{ AttributeName: 'g', KeyType: 'HASH' }],
          Projection: { ProjectionType: 'INCLUDE', NonKeyAttributes: ['a'] },
        },
      ],
    };
  }
  const range = kind === 'composite';
  return {
    TableName: name,
    BillingMode: 'PAY_PER_REQUEST',
    AttributeDefinitions: [
      { AttributeName: 'pk', AttributeType: 'S' },
      ...(range ? [{ AttributeName: 'sk', AttributeType: 'N' as const }] : []),
    ],
    KeySchema: [
      { AttributeName: 'pk', KeyType: 'HASH' },
      ...(range ? [{ AttributeName: 'sk', KeyType: 'RANGE' as const }] : []),
    ],
  };
}

/** The case's steps on a fresh table of its own. */
async function prepare(c: Case, via: string): Promise<Step[]> {
  const unique = randomUUID().slice(0, 8);
  const table = `conformance-${via}-${unique}`;
  await client.send(new CreateTableCommand(tableInput(c.table, table)));
  return c.steps.map((step) => ({
    ...step,
    params: JSON.parse(
      JSON.stringify(step.params).replaceAll('"$T"', JSON.stringify(table)).replaceAll('$U', unique),
    ) as Record<string, unknown>,
  }));
}

function verdict(c: Case, outcomes: Outcome[]): string[] {
  return c.steps.flatMap((step, i) => {
    const outcome = outcomes[i];
    const at = `step ${i + 1} (${step.op})`;
    if (!outcome) return [`${at}: did not run`];
    if (step.error) {
      if (outcome.ok)
        return [
          `${at}: expected ${step.error}, but it succeeded: ${JSON.stringify(outcome.data).slice(0, 300)}`,
        ];
      if (outcome.code !== step.error)
        return [`${at}: expected ${step.error}, got ${outcome.code}: ${String(outcome.data.message)}`];
      return step.fields ? mismatches(step.fields, outcome.data).map((m) => `${at}: ${m}`) : [];
    }
    if (!outcome.ok) return [`${at}: expected success, got ${outcome.code}: ${String(outcome.data.message)}`];
    return step.ok === undefined ? [] : mismatches(step.ok, outcome.data).map((m) => `${at}: ${m}`);
  });
}

/** The case as a test; cases the target is known to get wrong assert that it still does. */
const caseTest = (c: Case, run: () => Promise<string[]>) => documentedCase(c, target, run);

describe(`DynamoDB conformance, SDK v3 → ${target}`, () => {
  for (const c of cases) {
    caseTest(c, async () => {
      const steps = await prepare(c, 'sdk');
      const outcomes: Outcome[] = [];
      for (const step of steps) outcomes.push(await runWithSdk(client, step));
      return verdict(c, outcomes);
    });
  }
});

describe(`DynamoDB conformance, boto3 → ${target}`, () => {
  let results: Outcome[][] = [];
  beforeAll(async () => {
    const prepared: { name: string; steps: Step[] }[] = [];
    for (const c of cases) prepared.push({ name: c.name, steps: await prepare(c, 'boto3') });
    const script = fileURLToPath(new URL('./runner.py', import.meta.url));
    const output = await runPythonJson<{ results: Outcome[][] }>(script, {
      endpoint: endpoint.url,
      cases: prepared,
    });
    results = output.results;
  }, 120_000);

  for (const [index, c] of cases.entries()) {
    caseTest(c, async () => verdict(c, results[index] ?? []));
  }
});
