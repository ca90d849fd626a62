import { execFile } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { configOf, functionAssetDir, REAL_ENTRY, REPO_ROOT, synthesize } from './support.ts';

const execFileAsync = promisify(execFile);

/** The real handler (src/lambda/index.ts) bundled exactly as `cdk synth` bundles it, with the local esbuild. */
let dir: string;
let code: string;
let sources: string[];

beforeAll(() => {
  const synthesized = synthesize(configOf({ alarms: { notify: 'nowhere' } }), { handlerEntry: REAL_ENTRY });
  dir = functionAssetDir(synthesized);
  code = readFileSync(`${dir}/index.mjs`, 'utf8');
  const map = JSON.parse(readFileSync(`${dir}/index.mjs.map`, 'utf8')) as {
    sources: string[];
    sourcesContent?: unknown;
  };
  expect(map.sourcesContent).toBeUndefined();
  sources = map.sources;
});

describe('the bundled handler', () => {
  it('is one ES module with its external source map, nothing else', () => {
    expect(readdirSync(dir).sort()).toEqual(['index.mjs', 'index.mjs.map']);
    expect(code.trimEnd().endsWith('//# sourceMappingURL=index.mjs.map')).toBe(true);
    expect(sources.some((source) => source.endsWith('packages/lambda/src/index.ts'))).toBe(true);
  });

  it('is minified', () => {
    const lines = code.split('\n');
    expect(code.length / lines.length).toBeGreaterThan(1000);
  });

  it('carries its own AWS SDK v3 instead of importing the runtime’s', () => {
    for (const client of ['client-s3', 'client-dynamodb', 'client-sns', 'lib-dynamodb']) {
      expect(sources.some((source) => source.includes(`node_modules/@aws-sdk/${client}/`))).toBe(true);
    }
    // No ES import of the SDK is left for the runtime to resolve (the next test loads the bundle from a
    // directory with no node_modules above it, so nothing external can be resolved there either).
    const sdkImport = /(?:^|[;}])\s*import\s*(?:[\w$\s{},*]+from\s*)?["']@aws-sdk\//m;
    expect(sdkImport.test(code)).toBe(false);
    expect(sdkImport.test('import{S3Client as a}from"@aws-sdk/client-s3";')).toBe(true);
  });

  it('loads in Node.js from the cloud assembly and exports the handler (CommonJS dependencies find require)', async () => {
    expect(dir.startsWith(REPO_ROOT)).toBe(false);
    const env = {
      PATH: process.env.PATH,
      AWS_REGION: 'us-east-1',
      TABLE_NAME: 'events',
      TOPIC_ARN: 'arn:aws:sns:us-east-1:123456789012:events-notify',
      BUCKET_NAME: 'eventline-bundle-test',
      DLQ_URL: 'https://sqs.us-east-1.amazonaws.com/123456789012/eventline-dlq',
      POWERTOOLS_SERVICE_NAME: 'eventline',
      POWERTOOLS_METRICS_NAMESPACE: 'eventline',
      POWERTOOLS_LOG_LEVEL: 'ERROR',
    };
    const script = `const m = await import(${JSON.stringify(pathToFileURL(`${dir}/index.mjs`).href)}); console.log(typeof m.handler);`;
    const { stdout } = await execFileAsync(process.execPath, ['--input-type=module', '-e', script], {
      cwd: REPO_ROOT,
      env,
    });
    expect(stdout.trim()).toBe('function');
  });
});
