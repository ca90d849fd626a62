import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from './support.ts';

/**
 * `cdk synth` through the real CLI, offline, as `npm run synth` runs it:
 *   CDK_DISABLE_CLI_TELEMETRY=true CDK_DISABLE_VERSION_CHECK=true cdk synth --no-notices --quiet [-c mode=direct] -o <dir>
 */
interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function cdkSynth(outdir: string, ...args: string[]): Promise<Run> {
  return new Promise((resolveRun) => {
    execFile(
      join(REPO_ROOT, 'node_modules/.bin/cdk'),
      ['synth', '--no-notices', '--quiet', '-o', outdir, ...args],
      {
        cwd: REPO_ROOT,
        env: { ...process.env, CDK_DISABLE_CLI_TELEMETRY: 'true', CDK_DISABLE_VERSION_CHECK: 'true' },
        timeout: 120_000,
      },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
        resolveRun({ code, stdout, stderr });
      },
    );
  });
}

type Template = { Resources: Record<string, { Type: string }>; Outputs: Record<string, unknown> };

let root: string;
const runs: Record<'queue' | 'direct' | 'overlapping' | 'silent', Run> = {} as never;
const templates: Partial<Record<'queue' | 'direct', Template>> = {};

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'eventline-cdk-'));
  const [queue, direct, overlapping, silent] = await Promise.all([
    cdkSynth(join(root, 'queue')),
    cdkSynth(join(root, 'direct'), '-c', 'mode=direct'),
    cdkSynth(join(root, 'overlapping'), '-c', 'config=test/infra/fixtures/overlapping-routes.config.ts'),
    cdkSynth(join(root, 'silent'), '-c', 'config=test/infra/fixtures/no-alarm-recipients.config.ts'),
  ]);
  Object.assign(runs, { queue, direct, overlapping, silent });
  for (const mode of ['queue', 'direct'] as const) {
    if (runs[mode].code === 0) {
      templates[mode] = JSON.parse(
        await readFile(join(root, mode, 'eventline.template.json'), 'utf8'),
      ) as Template;
    }
  }
}, 180_000);

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

const warningLines = (stderr: string) => stderr.split('\n').filter((line) => /WARNING/.test(line));

const typesOf = (template: Template | undefined) =>
  Object.values(template?.Resources ?? {}).map((r) => r.Type);

describe('cdk synth (CLI, offline)', () => {
  it('synthesizes queue mode (the default) with no unacknowledged cdk-nag finding', async () => {
    // The repository's config says alarms: { notify: 'nowhere' }: synth says so, once, and nothing else.
    expect(runs.queue.stderr).not.toMatch(/ERROR/);
    expect(warningLines(runs.queue.stderr)).toEqual([
      expect.stringContaining("alarms.notify is 'nowhere': the alarms reach nobody"),
    ]);
    expect(runs.queue.code).toBe(0);
    expect(typesOf(templates.queue)).toContain('AWS::Lambda::EventSourceMapping');
    expect(typesOf(templates.queue)).not.toContain('AWS::Lambda::EventInvokeConfig');
    const report = JSON.parse(await readFile(join(root, 'queue', 'validation-report.json'), 'utf8')) as {
      pluginReports: Array<{ pluginName: string; violations: Array<{ ruleName: string }> }>;
    };
    // No cdk-nag finding: the one entry is the stack's own annotation about the alarms.
    expect(
      report.pluginReports.flatMap((r) => r.violations.map((v) => `${r.pluginName}: ${v.ruleName}`)),
    ).toEqual(['Construct Annotations: Annotation::eventline:alarmsReachNobody']);
  });

  it('synthesizes direct mode with -c mode=direct', () => {
    expect(runs.direct.stderr).not.toMatch(/ERROR/);
    expect(warningLines(runs.direct.stderr)).toEqual([
      expect.stringContaining("alarms.notify is 'nowhere': the alarms reach nobody"),
      expect.stringContaining('direct mode without function.reservedConcurrency'),
    ]);
    expect(runs.direct.code).toBe(0);
    expect(typesOf(templates.direct)).toContain('AWS::Lambda::EventInvokeConfig');
    expect(typesOf(templates.direct)).not.toContain('AWS::Lambda::EventSourceMapping');
    expect(templates.direct?.Outputs).toHaveProperty('TriggerMode', {
      Description: 'How objects reach the function.',
      Value: 'direct',
    });
  });

  it('refuses overlapping routes with a message naming them, and no stack trace', () => {
    expect(runs.overlapping.code).not.toBe(0);
    expect(runs.overlapping.stderr).toContain(
      'routes.1: routes "all-json" and "yearly-json" overlap (prefix "incoming/"/"incoming/2024/", suffix ".json"/".json")',
    );
    expect(runs.overlapping.stderr).not.toMatch(/^\s+at /m);
  });

  it('refuses a config that does not say who receives the alarms, naming the setting', () => {
    expect(runs.silent.code).not.toBe(0);
    expect(runs.silent.stderr).toContain('alarms.subscriptions: no one would receive the alarms');
    expect(runs.silent.stderr).toContain("alarms: { notify: 'nowhere' }");
    expect(runs.silent.stderr).not.toMatch(/^\s+at /m);
  });
});
