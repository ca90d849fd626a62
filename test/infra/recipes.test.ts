// Each recipe's config deploys as `cdk deploy -c config=examples/<recipe>/eventline.config.ts` builds it:
// the real Lambda entry bundled with the recipe's own code (transforms, schemas) imported from the
// recipe's file, not from the root eventline.config.ts; each stack passes cdk-nag, the templates cfn-lint.
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { BUNDLED_CONFIG_FILE, loadConfig } from '@eventline/config';
import { beforeAll, describe, expect, it } from 'vitest';
import { FIXTURE_ENTRY, functionAssetDir, REAL_ENTRY, REPO_ROOT, synthesize } from './support.ts';

const execFileAsync = promisify(execFile);

/** The recipes whose config holds code, and a piece of it only their bundle may hold (minified as esbuild writes it). */
const RECIPES = {
  orders: '"GBP"', // the schema's currency enum (zod)
  iot: '"CAL"', // the transform drops calibration readings
  'security-logs': 'userAgent:', // the ALB transform's normalized field
} as const;
type Recipe = keyof typeof RECIPES;
/** uploads holds no code (its config is data only): synthesized for cfn-lint with the tiny fixture handler. */
let uploadsTemplate: string;

interface Built {
  configFile: string;
  dir: string;
  code: string;
  sources: string[];
  template: string;
}
const built = {} as Record<Recipe, Built>;

beforeAll(async () => {
  for (const recipe of Object.keys(RECIPES) as Recipe[]) {
    const configFile = `examples/${recipe}/eventline.config.ts`;
    const synthesized = synthesize(await loadConfig(configFile), { handlerEntry: REAL_ENTRY, configFile });
    const dir = functionAssetDir(synthesized);
    const map = JSON.parse(readFileSync(`${dir}/index.mjs.map`, 'utf8')) as { sources: string[] };
    built[recipe] = {
      configFile,
      dir,
      code: readFileSync(`${dir}/index.mjs`, 'utf8'),
      // The source map names files relative to the bundle: absolute paths, to compare.
      sources: map.sources.map((source) => resolve(dir, source)),
      template: join(synthesized.app.synth().directory, synthesized.stack.templateFile),
    };
  }
  const uploads = 'examples/uploads/eventline.config.ts';
  const synthesized = synthesize(await loadConfig(uploads), {
    handlerEntry: FIXTURE_ENTRY,
    configFile: uploads,
  });
  uploadsTemplate = join(synthesized.app.synth().directory, synthesized.stack.templateFile);
}, 240_000);

function run(command: string, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolveRun, reject) => {
    execFile(command, args, { timeout: 300_000, maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
      if (error && (error as NodeJS.ErrnoException).code === 'ENOENT') {
        reject(
          new Error(
            `${command} is not on PATH: this test needs cfn-lint 1.x (pip install 'cfn-lint>=1.51,<2')`,
          ),
        );
        return;
      }
      resolveRun({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr });
    });
  });
}

describe.each(Object.keys(RECIPES) as Recipe[])(
  'the %s recipe, synthesized from its own config file',
  (recipe) => {
    it('bundles its own code, and not the root eventline.config.ts', () => {
      const { configFile, code, sources } = built[recipe];
      expect(sources).not.toContain(BUNDLED_CONFIG_FILE);
      expect(sources).toContain(resolve(REPO_ROOT, configFile));
      expect(code).toContain(RECIPES[recipe]);
    });

    it('loads in Node.js: the cold start finds every key function, schema and transform it was synthesized with', async () => {
      const script = `const m = await import(${JSON.stringify(pathToFileURL(`${built[recipe].dir}/index.mjs`).href)}); console.log(typeof m.handler);`;
      const run = await execFileAsync(process.execPath, ['--input-type=module', '-e', script], {
        cwd: REPO_ROOT,
        env: {
          PATH: process.env.PATH,
          AWS_REGION: 'us-east-1',
          TABLE_NAME: 'events',
          TOPIC_ARN: 'arn:aws:sns:us-east-1:123456789012:events-notify',
          BUCKET_NAME: 'eventline-recipe-test',
          DLQ_URL: 'https://sqs.us-east-1.amazonaws.com/123456789012/eventline-dlq',
          // Queue mode, as deployed: the iot recipe's digest closes its windows through the ingest queue.
          INGEST_QUEUE_URL: 'https://sqs.us-east-1.amazonaws.com/123456789012/eventline-ingest',
          POWERTOOLS_LOG_LEVEL: 'ERROR',
        },
      }).catch((error: { stderr: string }) => ({
        // The minified line the error points at is long: its message is the last lines.
        stdout: `failed to load: ${error.stderr.split('\n').slice(-6).join('\n')}`,
      }));
      const { stdout } = run;
      expect(stdout.trim()).toBe('function');
    });
  },
);

describe('cfn-lint on the recipes’ templates', () => {
  it('finds no error and no warning other than W3005 (as test/infra/cfn-lint.test.ts allows)', async () => {
    await run('cfn-lint', ['--version']);
    const templates = [...Object.values(built).map((b) => b.template), uploadsTemplate];
    expect(templates).toHaveLength(4);
    const result = await run('cfn-lint', ['--format', 'json', '--', ...templates]);
    if (result.stdout.trim() === '' && result.code !== 0) {
      throw new Error(`cfn-lint failed (exit ${result.code}): ${result.stderr}`);
    }
    const findings = (result.stdout.trim() === '' ? [] : JSON.parse(result.stdout)) as {
      Level: string;
      Rule: { Id: string };
      Message: string;
      Filename: string;
    }[];
    const reported = findings
      .filter((f) => f.Level !== 'Informational' && f.Rule.Id !== 'W3005')
      .map((f) => `${f.Rule.Id} ${f.Filename}: ${f.Message}`);
    expect(reported).toEqual([]);
  }, 300_000);
});
