import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { EventlineConfig } from '@eventline/config';
import { parseConfig } from '@eventline/config';
import { EventlineStack } from '@eventline/infra';
import { App } from 'aws-cdk-lib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import projectConfig from '../../eventline.config.ts';
import { cdkJsonContext, configOf, FIXTURE_ENTRY } from './support.ts';

/**
 * cfn-lint (CloudFormation's own linter, 1.x, installed with Python: `pip install cfn-lint`) on the
 * synthesized templates of both trigger modes, with the project config and with every optional part
 * switched on. No error and no warning is allowed except W3005: aws-cdk-lib writes DependsOn entries
 * that a Ref/GetAtt already implies, which is harmless.
 */
const ALLOWED = new Set(['W3005']);

interface Finding {
  Level: 'Error' | 'Warning' | 'Informational';
  Rule: { Id: string };
  Message: string;
  Filename: string;
  Location: { Path?: unknown[] };
}

function run(command: string, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolveRun, reject) => {
    execFile(command, args, { timeout: 300_000, maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
      if (error && (error as NodeJS.ErrnoException).code === 'ENOENT') {
        reject(
          new Error(
            `${command} is not on PATH: this test needs cfn-lint 1.x (pip install 'cfn-lint>=1.51,<2'), it does not skip without it`,
          ),
        );
        return;
      }
      resolveRun({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr });
    });
  });
}

const everything = configOf({
  topic: {
    subscriptions: [
      { protocol: 'https', endpoint: 'https://hooks.example.com/eventline' },
      {
        protocol: 'sqs',
        queue: 'moderation',
        filterPolicy: { route: ['uploads'] },
        rawMessageDelivery: true,
      },
      {
        protocol: 'sqs',
        endpoint: 'arn:aws:sqs:eu-west-1:123456789012:workflows',
        filterPolicyScope: 'MessageBody',
        filterPolicy: { status: ['FAILED'], records: { written: [{ numeric: ['>', 0] }] } },
      },
      {
        protocol: 'lambda',
        endpoint: 'arn:aws:lambda:eu-west-1:123456789012:function:moderate',
        filterPolicy: { route: [{ prefix: 'up' }], status: [{ 'anything-but': ['FAILED'] }] },
      },
      { protocol: 'sms', endpoint: '+14155550100', filterPolicy: { status: ['FAILED'] } },
    ],
  },
  alarms: {
    subscriptions: [{ protocol: 'email', endpoint: 'oncall@example.com' }],
    topicArns: ['arn:aws:sns:eu-west-1:123456789012:oncall'],
  },
  ledger: { ttlDays: 30 },
  stack: { tags: { team: 'data' } },
});
const VARIANTS: Record<string, EventlineConfig> = {
  project: parseConfig(projectConfig),
  everything,
};

let root: string;
const templates: string[] = [];
let findings: Finding[] = [];

beforeAll(async () => {
  await run('cfn-lint', ['--version']);
  root = await mkdtemp(join(tmpdir(), 'eventline-cfn-lint-'));
  for (const [name, config] of Object.entries(VARIANTS)) {
    for (const mode of ['queue', 'direct'] as const) {
      const outdir = join(root, `${name}-${mode}`);
      const app = new App({ outdir, context: cdkJsonContext() });
      const stack = new EventlineStack(app, `Eventline-${name}-${mode}`, {
        config: { ...config, trigger: { ...config.trigger, mode } },
        handlerEntry: FIXTURE_ENTRY,
      });
      app.synth();
      templates.push(join(outdir, stack.templateFile));
    }
  }
  const result = await run('cfn-lint', ['--format', 'json', '--', ...templates]);
  if (result.stdout.trim() === '') {
    if (result.code !== 0) throw new Error(`cfn-lint failed (exit ${result.code}): ${result.stderr}`);
    findings = [];
  } else {
    findings = JSON.parse(result.stdout) as Finding[];
  }
}, 600_000);

afterAll(async () => {
  if (root) await rm(root, { recursive: true, force: true });
});

describe('cfn-lint on the synthesized templates', () => {
  it('lints the four templates (both modes, the project config and everything switched on)', () => {
    expect(templates).toHaveLength(4);
  });

  it('finds no error and no warning other than W3005', () => {
    const reported = findings
      .filter((f) => f.Level !== 'Informational' && !ALLOWED.has(f.Rule.Id))
      .map(
        (f) =>
          `${f.Rule.Id} ${f.Filename.replace(`${root}/`, '')} ${JSON.stringify(f.Location.Path)}: ${f.Message}`,
      );
    expect(reported).toEqual([]);
  });
});
