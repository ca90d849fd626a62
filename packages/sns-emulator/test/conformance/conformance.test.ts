import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { SNSClient } from '@aws-sdk/client-sns';
import { awsCliEnv, documentedCase, mismatches, runPythonJson } from '@eventline/test-kit';
import { afterAll, beforeAll, describe } from 'vitest';
import { type Case, cases, SDK_NAMES, type Step } from './cases.ts';
import { type Outcome, runWithSdk, Subscriber, substitute } from './sdk-runner.ts';
import { type Endpoint, startTarget, targetFromEnv } from './targets.ts';

/**
 * The SNS conformance cases (cases.ts), each through SDK v3 and through boto3 (runner.py), and those
 * made of API calls only through the aws CLI v1 as well, against the emulator;
 * `CONFORMANCE_TARGET=moto` runs the same table against moto_server as a second opinion.
 */

const target = targetFromEnv();
let endpoint: Endpoint;
let client: SNSClient;
const subscriber = new Subscriber();

beforeAll(async () => {
  endpoint = await startTarget(target);
  client = new SNSClient({
    endpoint: endpoint.url,
    region: 'us-east-1',
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    maxAttempts: 1,
  });
  await subscriber.start();
}, 120_000);

afterAll(async () => {
  client?.destroy();
  await subscriber.close();
  await endpoint?.close();
});

/** The case's steps with $U made unique to this run and `$repeat` expanded. */
function prepare(c: Case): Step[] {
  const unique = randomUUID().slice(0, 8);
  const expand = (value: unknown): unknown => {
    if (typeof value === 'string') return value.replaceAll('$U', unique);
    if (Array.isArray(value)) return value.map(expand);
    if (value && typeof value === 'object') {
      const repeat = (value as { $repeat?: [string, number] }).$repeat;
      if (repeat) return repeat[0].repeat(repeat[1]);
      return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, expand(v)]));
    }
    return value;
  };
  return c.steps.map((step) => ({
    ...step,
    params: expand(step.params) as Record<string, unknown>,
    ...(step.ok !== undefined ? { ok: expand(step.ok) } : {}),
  }));
}

/** `codeOnly`: the runner sees the error code but not the HTTP status or Type (the aws CLI). */
function verdict(
  steps: Step[],
  outcomes: Outcome[],
  vars: Record<string, unknown>,
  codeOnly = false,
): string[] {
  return steps.flatMap((step, i) => {
    const outcome = outcomes[i];
    const where = `step ${i + 1} (${step.op})`;
    if (!outcome) return [`${where}: did not run`];
    if (step.error) {
      if (outcome.ok)
        return [
          `${where}: expected ${step.error.code}, but it succeeded: ${JSON.stringify(outcome.data).slice(0, 300)}`,
        ];
      const { code, status, type } = step.error;
      const problems: string[] = [];
      if (outcome.code !== code && outcome.code !== SDK_NAMES[code])
        problems.push(`${where}: expected ${code}, got ${outcome.code}: ${outcome.message}`);
      if (codeOnly) return problems;
      if (outcome.status !== status)
        problems.push(`${where}: expected HTTP ${status}, got ${outcome.status}`);
      if (outcome.type !== type) problems.push(`${where}: expected Type ${type}, got ${outcome.type}`);
      return problems;
    }
    if (!outcome.ok) return [`${where}: expected success, got ${outcome.code}: ${outcome.message}`];
    // Saved values are known only now: expected answers may refer to them.
    return step.ok === undefined
      ? []
      : mismatches(substitute(step.ok, vars), outcome.data).map((m) => `${where}: ${m}`);
  });
}

/** The case as a test; cases the target is known to get wrong assert that it still does. */
const caseTest = (c: Case, run: () => Promise<string[]>) => documentedCase(c, target, run);

describe(`SNS conformance, SDK v3 → ${target}`, () => {
  for (const c of cases) {
    caseTest(c, async () => {
      const steps = prepare(c);
      const vars: Record<string, unknown> = {};
      const outcomes: Outcome[] = [];
      const runner = { client, endpoint: endpoint.url, subscriber };
      for (const step of steps) {
        const outcome = await runWithSdk(runner, step, vars);
        outcomes.push(outcome);
      }
      return verdict(steps, outcomes, vars);
    });
  }
}, 60_000);

describe(`SNS conformance, boto3 → ${target}`, () => {
  const prepared = cases.map(prepare);
  let results: { outcomes: Outcome[] }[] = [];
  beforeAll(async () => {
    const script = fileURLToPath(new URL('./runner.py', import.meta.url));
    const output = await runPythonJson<{ results: Outcome[][] }>(
      script,
      { endpoint: endpoint.url, cases: prepared.map((steps, i) => ({ name: cases[i]!.name, steps })) },
      { timeoutMs: 240_000 },
    );
    results = output.results.map((outcomes) => ({ outcomes }));
  }, 300_000);

  for (const [index, c] of cases.entries()) {
    caseTest(c, async () => {
      const outcomes = results[index]?.outcomes ?? [];
      // The boto3 runner keeps its saved values to itself: rebuild them from its answers.
      const vars: Record<string, unknown> = {};
      prepared[index]!.forEach((step, i) => {
        const outcome = outcomes[i];
        if (!outcome?.ok) return;
        for (const [name, path] of Object.entries(step.save ?? {}))
          vars[name] = path
            .split('.')
            .reduce<unknown>((v, k) => (v as Record<string, unknown> | undefined)?.[k], outcome.data);
      });
      return verdict(prepared[index]!, outcomes, vars);
    });
  }
});

/** Operations only the runners' own code performs (see cases.ts). */
const PSEUDO = new Set([
  'SubscribeHttp',
  'AwaitConfirmation',
  'AwaitNotifications',
  'CreateTopics',
  'ListTopicsAll',
  'Raw',
]);
const run = promisify(execFile);

describe(`SNS conformance, aws CLI v1 → ${target} (the cases made of API calls only)`, () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sns-conformance-cli-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const kebab = (op: string) => op.replace(/(?<!^)(?=[A-Z])/g, '-').toLowerCase();
  async function cli(op: string, params: Record<string, unknown>, n: number): Promise<Outcome> {
    // Parameters go in a file: a 256 KB message is longer than one command-line argument may be.
    const input = join(dir, `input-${n}.json`);
    await writeFile(input, JSON.stringify(params));
    try {
      const { stdout } = await run(
        'aws',
        [
          'sns',
          kebab(op),
          '--cli-input-json',
          `file://${input}`,
          '--endpoint-url',
          endpoint.url,
          '--region',
          'us-east-1',
          '--output',
          'json',
        ],
        {
          env: awsCliEnv({ AWS_MAX_ATTEMPTS: '1' }),
          timeout: 60_000,
          maxBuffer: 16 * 1024 * 1024,
        },
      );
      return { ok: true, data: stdout.trim() === '' ? {} : (JSON.parse(stdout) as Record<string, unknown>) };
    } catch (error) {
      const stderr = String((error as { stderr?: string }).stderr ?? '');
      const code = /An error occurred \(([^)]+)\)/.exec(stderr);
      if (!code) throw new Error(`aws sns ${kebab(op)} failed without an AWS error: ${stderr.slice(-2000)}`);
      return { ok: false, code: code[1]!, message: stderr.trim() };
    }
  }

  let calls = 0;
  for (const c of cases.filter((c) => c.steps.every((step) => !PSEUDO.has(step.op)))) {
    caseTest(c, async () => {
      const steps = prepare(c);
      const vars: Record<string, unknown> = {};
      const outcomes: Outcome[] = [];
      for (const step of steps) {
        const outcome = await cli(step.op, substitute(step.params, vars) as Record<string, unknown>, ++calls);
        if (outcome.ok) {
          for (const [name, path] of Object.entries(step.save ?? {}))
            vars[name] = path
              .split('.')
              .reduce<unknown>((v, k) => (v as Record<string, unknown> | undefined)?.[k], outcome.data);
        }
        outcomes.push(outcome);
      }
      return verdict(steps, outcomes, vars, true);
    });
  }
});
