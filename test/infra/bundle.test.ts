import { execFile } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { BUNDLED_CONFIG_FILE } from '@eventline/config';
import { beforeAll, describe, expect, it } from 'vitest';
import { configOf, functionAssetDir, REAL_ENTRY, REPO_ROOT, synthesize } from './support.ts';

const execFileAsync = promisify(execFile);

/** The real handler (packages/lambda/src/index.ts) bundled exactly as `cdk synth` bundles it, with the local esbuild. */
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

  it('carries its own AWS clients (signed requests, no SDK v3 client) instead of importing the runtime’s', () => {
    // The entry's clients are packages/aws/src/http: SDK v3's signer alone, no client or command.
    expect(sources.some((source) => source.endsWith('packages/aws/src/http/clients.ts'))).toBe(true);
    expect(sources.some((source) => source.includes('node_modules/@smithy/signature-v4/'))).toBe(true);
    expect(sources.filter((source) => /node_modules\/@aws-sdk\/(client-|lib-dynamodb)/.test(source))).toEqual(
      [],
    );
    // No ES import of the SDK is left for the runtime to resolve (the next test loads the bundle from a
    // directory with no node_modules above it, so nothing external can be resolved there either).
    const sdkImport = /(?:^|[;}])\s*import\s*(?:[\w$\s{},*]+from\s*)?["']@aws-sdk\//m;
    expect(sdkImport.test(code)).toBe(false);
    expect(sdkImport.test('import{S3Client as a}from"@aws-sdk/client-s3";')).toBe(true);
  });

  it('carries the config as data: no zod, no config module, no validation code', () => {
    for (const absent of [
      'node_modules/zod/',
      'eventline.config.ts',
      'packages/config/src/schema.ts',
      'packages/config/src/index.ts',
    ]) {
      expect(sources.filter((source) => source.includes(absent))).toEqual([]);
    }
    expect(code.includes('internalPrefix:"_eventline/"'), 'the config object literal').toBe(true);
  });

  it('holds the json path only: the csv and json-array decoders of formats no route uses are left out', () => {
    for (const absent of [
      'node_modules/csv-parse/',
      'node_modules/stream-json/',
      'packages/core/src/formats/csv.ts',
      'packages/core/src/formats/parquet.ts',
      'node_modules/hyparquet/',
    ]) {
      expect(sources.filter((source) => source.includes(absent))).toEqual([]);
    }
    expect(sources.some((source) => source.endsWith('packages/core/src/formats/json.ts'))).toBe(true);
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

  it('does no network I/O at init: no socket, no DNS lookup until the process has nothing left to do', async () => {
    // Counts every connection and lookup the process starts, through Node's own entry points, and
    // reports at exit: anything init set off (a credential fetch, a warm-up call) is counted.
    const script = `
      import net from 'node:net';
      import dns from 'node:dns';
      import { syncBuiltinESMExports } from 'node:module';
      const calls = [];
      const connect = net.Socket.prototype.connect;
      net.Socket.prototype.connect = function (...args) { calls.push('connect'); return connect.apply(this, args); };
      const lookup = dns.lookup;
      dns.lookup = function (...args) { calls.push('lookup ' + args[0]); return lookup.apply(this, args); };
      const fetch0 = globalThis.fetch;
      globalThis.fetch = (...args) => { calls.push('fetch'); return fetch0(...args); };
      syncBuiltinESMExports();
      process.on('exit', () => process.stdout.write(JSON.stringify(calls)));
      const m = await import(${JSON.stringify(pathToFileURL(`${dir}/index.mjs`).href)});
      if (typeof m.handler !== 'function') throw new Error('no handler');
    `;
    const { stdout } = await execFileAsync(process.execPath, ['--input-type=module', '-e', script], {
      cwd: REPO_ROOT,
      env: {
        PATH: process.env.PATH,
        AWS_REGION: 'us-east-1',
        DLQ_URL: 'https://sqs.us-east-1.amazonaws.com/123456789012/eventline-dlq',
        POWERTOOLS_LOG_LEVEL: 'ERROR',
      },
    });
    expect(JSON.parse(stdout)).toEqual([]);
  });
});

describe('the bundle of another config', () => {
  it('holds the decoders its routes use, and only those', () => {
    const config = configOf({
      alarms: { notify: 'nowhere' },
      routes: [{ id: 'csv', prefix: 'csv/', suffix: '.csv', format: 'csv' }],
    });
    const csvDir = functionAssetDir(synthesize(config, { handlerEntry: REAL_ENTRY }));
    const map = JSON.parse(readFileSync(`${csvDir}/index.mjs.map`, 'utf8')) as { sources: string[] };
    expect(map.sources.some((source) => source.includes('node_modules/csv-parse/'))).toBe(true);
    expect(map.sources.some((source) => source.includes('node_modules/stream-json/'))).toBe(false);
    expect(map.sources.some((source) => source.includes('node_modules/zod/'))).toBe(false);
  });

  it('carries hyparquet for a parquet route, and loads in Node.js', async () => {
    const config = configOf({
      alarms: { notify: 'nowhere' },
      routes: [{ id: 'iot', prefix: 'iot/', suffix: '.parquet', format: 'parquet' }],
    });
    const parquetDir = functionAssetDir(synthesize(config, { handlerEntry: REAL_ENTRY }));
    const map = JSON.parse(readFileSync(`${parquetDir}/index.mjs.map`, 'utf8')) as { sources: string[] };
    expect(map.sources.some((source) => source.includes('node_modules/hyparquet/src/read.js'))).toBe(true);
    expect(map.sources.some((source) => source.endsWith('packages/core/src/formats/parquet.ts'))).toBe(true);
    expect(map.sources.some((source) => source.includes('node_modules/csv-parse/'))).toBe(false);
    const script = `const m = await import(${JSON.stringify(pathToFileURL(`${parquetDir}/index.mjs`).href)}); console.log(typeof m.handler);`;
    const { stdout } = await execFileAsync(process.execPath, ['--input-type=module', '-e', script], {
      cwd: REPO_ROOT,
      env: {
        PATH: process.env.PATH,
        AWS_REGION: 'us-east-1',
        TABLE_NAME: 'events',
        TOPIC_ARN: 'arn:aws:sns:us-east-1:123456789012:events-notify',
        BUCKET_NAME: 'eventline-bundle-test',
        DLQ_URL: 'https://sqs.us-east-1.amazonaws.com/123456789012/eventline-dlq',
        POWERTOOLS_LOG_LEVEL: 'ERROR',
      },
    });
    expect(stdout.trim()).toBe('function');
  });

  it('is refused at synth when its code comes from no file the bundle could import', () => {
    const config = configOf({
      alarms: { notify: 'nowhere' },
      routes: [{ key: (record) => String(record.sku) }],
    });
    expect(() => synthesize(config, { handlerEntry: REAL_ENTRY })).toThrow(
      /^routes\.0\.key is code, which reaches the function only by importing the file the config was read from/,
    );
  });

  it('imports the config file for a key function, and refuses to start when it no longer has it', async () => {
    const config = configOf({
      alarms: { notify: 'nowhere' },
      routes: [{ key: (record) => String(record.sku) }],
    });
    const codeDir = functionAssetDir(
      synthesize(config, { handlerEntry: REAL_ENTRY, configFile: BUNDLED_CONFIG_FILE }),
    );
    const map = JSON.parse(readFileSync(`${codeDir}/index.mjs.map`, 'utf8')) as { sources: string[] };
    expect(map.sources.some((source) => source.endsWith('eventline.config.ts'))).toBe(true);
    // eventline.config.ts (bundled) keys by the field "id": not the function this synth saw.
    const script = `await import(${JSON.stringify(pathToFileURL(`${codeDir}/index.mjs`).href)});`;
    const failure = await execFileAsync(process.execPath, ['--input-type=module', '-e', script], {
      cwd: REPO_ROOT,
      env: { PATH: process.env.PATH, AWS_REGION: 'us-east-1' },
    }).catch((error: { stderr: string }) => error);
    expect((failure as { stderr: string }).stderr).toMatch(/routes\.0\.key: was a function at synth/);
  });
});
