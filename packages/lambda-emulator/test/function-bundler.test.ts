import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { type BuiltBundle, FunctionBundler } from '../src/bundler.ts';
import { FunctionPool } from '../src/function-pool.ts';

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function sources(version: string) {
  const dir = await mkdtemp(join(tmpdir(), 'eventline-bundler-'));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  await writeFile(join(dir, 'version.ts'), `export const version: string = '${version}';\n`);
  await writeFile(
    join(dir, 'index.ts'),
    "import { version } from './version.ts';\nexport const handler = async () => ({ version });\n",
  );
  return dir;
}

describe('the function bundle, built and rebuilt like a dev loop', () => {
  it('bundles the entry into one ES module that a function instance loads', async () => {
    const dir = await sources('one');
    const bundler = new FunctionBundler({
      entry: join(dir, 'index.ts'),
      outRoot: join(dir, 'build'),
      build: { bundle: true, platform: 'node', format: 'esm', minify: true, target: 'node20' },
    });
    cleanups.push(() => bundler.stop());

    const built = await bundler.start();
    const pool = new FunctionPool({
      functionName: 'f',
      region: 'us-east-1',
      accountId: '000000000000',
      handlerModule: () => bundler.bundle.module,
      memoryMb: 128,
      timeoutMs: 5_000,
      concurrency: 1,
      environment: {},
    });
    cleanups.push(() => pool.close());

    expect(built.module).toMatch(/g1\/index\.mjs$/);
    expect(built.bytes).toBeGreaterThan(0);
    expect(await pool.invoke({})).toEqual({ version: 'one' });
  });

  it('rebuilds when a source changes; new instances run the new code', async () => {
    const dir = await sources('one');
    const rebuilt: BuiltBundle[] = [];
    let announce: (() => void) | undefined;
    const bundler = new FunctionBundler({
      entry: join(dir, 'index.ts'),
      outRoot: join(dir, 'build'),
      build: { bundle: true, platform: 'node', format: 'esm', target: 'node20' },
      watch: true,
      onRebuild: (bundle) => {
        rebuilt.push(bundle);
        announce?.();
      },
    });
    cleanups.push(() => bundler.stop());
    await bundler.start();
    const pool = new FunctionPool({
      functionName: 'f',
      region: 'us-east-1',
      accountId: '000000000000',
      handlerModule: () => bundler.bundle.module,
      memoryMb: 128,
      timeoutMs: 5_000,
      concurrency: 1,
      environment: {},
    });
    cleanups.push(() => pool.close());
    expect(await pool.invoke({})).toEqual({ version: 'one' });

    const seen = new Promise<void>((resolve) => {
      announce = resolve;
    });
    await writeFile(join(dir, 'version.ts'), "export const version: string = 'two';\n");
    await seen;

    expect(rebuilt[0]?.generation).toBe(2);
    expect(await pool.invoke({})).toEqual({ version: 'two' });
  });

  it('refuses to start when the first build fails, with esbuild naming the file and line', async () => {
    const dir = await sources('one');
    await writeFile(join(dir, 'version.ts'), 'export const version = ;\n');
    const bundler = new FunctionBundler({
      entry: join(dir, 'index.ts'),
      outRoot: join(dir, 'build'),
      build: { bundle: true, platform: 'node', format: 'esm' },
    });
    cleanups.push(() => bundler.stop());

    await expect(bundler.start()).rejects.toThrow(/version\.ts:1/);
  });
});
