import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

/**
 * The workspace's package boundaries, checked on every run: a package imports only what its
 * package.json declares, never reaches into another package by a relative path, and the layers point one
 * way: the deployable product never imports the local stack, and an emulator imports nothing of eventline.
 * Each package has a face: its `exports` name its entry points (no `./*`), and nothing else of it is
 * imported from outside, tests included (a package's own `test` folder may import its own `src`). Every
 * source file opens with a comment saying what it is for and stays under 500 lines.
 */
const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const PACKAGES = join(ROOT, 'packages');

/** What each package may be: the deployable product, a standalone emulator, or the local tooling. */
const PRODUCT = ['core', 'config', 'aws', 'lambda', 'infra'];
const LOCAL = ['local', 'cli'];
/** Generic utilities that import nothing of eventline; emulators may depend on them and on nothing else of ours. */
const UTILITIES = ['durable-file'];
/** What the test suites share (moto_server, matchers): imports nothing of eventline, and is only ever a devDependency. */
const TEST_KITS = ['test-kit'];
/** Files outside every package that a package may import: the user's own configuration. */
const ALLOWED_OUTSIDE = new Set([join(ROOT, 'eventline.config.ts')]);

interface Manifest {
  name: string;
  exports?: Record<string, string>;
  dependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
}

const packageDirs = readdirSync(PACKAGES).filter((name) => statSync(join(PACKAGES, name)).isDirectory());
const manifest = (dir: string): Manifest =>
  JSON.parse(readFileSync(join(PACKAGES, dir, 'package.json'), 'utf8')) as Manifest;
/** Standalone emulators of AWS services: each imports nothing of eventline (utilities aside). */
const EMULATORS = ['s3-emulator', 'dynamodb-emulator', 'sns-emulator', 'sqs-emulator', 'lambda-emulator'];
const isEmulator = (dir: string) => EMULATORS.includes(dir) || dir.endsWith('-emulator');

function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...sourceFiles(path));
    else if (/\.(ts|mts|js|mjs)$/.test(entry.name) && !entry.name.endsWith('.d.ts')) out.push(path);
  }
  return out;
}

/** Static and dynamic import specifiers of one file (comments are not stripped: they rarely hold `from '...'`). */
function specifiers(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const found: string[] = [];
  const pattern =
    /(?:^|[^.\w])(?:import|export)\s[^'"]*?from\s*['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)|^import\s+['"]([^'"]+)['"]/gm;
  for (const match of text.matchAll(pattern)) found.push((match[1] ?? match[2] ?? match[3]) as string);
  return found;
}

const packageName = (specifier: string) =>
  specifier.startsWith('@')
    ? specifier.split('/').slice(0, 2).join('/')
    : (specifier.split('/')[0] as string);
const builtins = new Set(builtinModules);

const MAX_LINES = 500;

/** Files that import packages: every package's src and test, the root tests, the benchmarks. */
function importingFiles(): string[] {
  const roots = [
    ...packageDirs.flatMap((dir) => [join(PACKAGES, dir, 'src'), join(PACKAGES, dir, 'test')]),
    join(ROOT, 'test'),
    join(ROOT, 'bench'),
  ].filter((dir) => existsSync(dir));
  return roots.flatMap((dir) => sourceFiles(dir));
}

/** Modules named by `require.resolve('…')` / `createRequire(…).resolve('…')`: a path by package name. */
function resolvedSpecifiers(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  return [...text.matchAll(/\bresolve\(\s*['"](@eventline\/[^'"]+)['"]\s*\)/g)].map((m) => m[1] as string);
}

/** The modules a face exposes: its file and, transitively, what it re-exports by relative path. */
function reexported(face: string, seen = new Set<string>()): Set<string> {
  if (seen.has(face) || !existsSync(face)) return seen;
  seen.add(face);
  const text = readFileSync(face, 'utf8');
  for (const match of text.matchAll(/^export\s[^;]*?from\s*['"](\.[^'"]+)['"]/gm))
    reexported(resolve(dirname(face), match[1] as string), seen);
  return seen;
}

/** Which face to import instead of `target` (a file of packages/<dir>), for the failure message. */
function faceAdvice(dir: string, target: string): string {
  const exports = manifest(dir).exports ?? {};
  const spec = (key: string) => (key === '.' ? `@eventline/${dir}` : `@eventline/${dir}/${key.slice(2)}`);
  const faces = Object.entries(exports)
    .filter(([, path]) => reexported(join(PACKAGES, dir, path)).has(target))
    .map(([key]) => `'${spec(key)}'`);
  const all = Object.keys(exports).map(spec).join(', ');
  return faces.length > 0
    ? `import it from ${faces.join(' or ')} instead`
    : `it is no face's; export what you need from one of ${all} (packages/${dir}/package.json "exports") and import it from there`;
}

/**
 * Whether a file opens with a comment: the first thing after its imports and re-exports (a shebang
 * aside) is a comment, or the file starts with one.
 */
function opensWithComment(text: string): boolean {
  let rest = text.replace(/^#![^\n]*\n/, '').trimStart();
  if (rest.startsWith('/*') || rest.startsWith('//')) return true;
  const statement =
    /^(?:import\s[^;]*?from\s*['"][^'"]+['"];?|import\s*['"][^'"]+['"];?|export\s+(?:type\s+)?(?:\*|\{[^}]*\})[^;]*?from\s*['"][^'"]+['"];?)/s;
  for (let match = statement.exec(rest); match; match = statement.exec(rest)) {
    rest = rest.slice(match[0].length).trimStart();
    if (rest.startsWith('/*') || rest.startsWith('//')) return true;
  }
  return false;
}

describe('the workspace layout', () => {
  it('has the packages the README draws', () => {
    for (const dir of [...PRODUCT, ...LOCAL, ...UTILITIES, ...TEST_KITS, ...EMULATORS])
      expect(packageDirs).toContain(dir);
  });

  for (const dir of packageDirs) {
    const own = manifest(dir);
    const declared = new Set(
      Object.keys({ ...own.dependencies, ...own.devDependencies, ...own.peerDependencies }),
    );
    const srcDir = join(PACKAGES, dir, 'src');
    const files = sourceFiles(srcDir);

    it(`${own.name}: imports only what its package.json declares, and no other package by path`, () => {
      const problems: string[] = [];
      for (const file of files) {
        const where = relative(ROOT, file);
        for (const specifier of specifiers(file)) {
          if (specifier.startsWith('.')) {
            const target = resolve(dirname(file), specifier);
            const inside = target.startsWith(join(PACKAGES, dir) + sep);
            if (!inside && !ALLOWED_OUTSIDE.has(target))
              problems.push(`${where}: ${specifier} leaves the package`);
            continue;
          }
          if (specifier.startsWith('node:') || builtins.has(specifier)) continue;
          const name = packageName(specifier);
          if (name === own.name) problems.push(`${where}: imports its own package by name (${specifier})`);
          else if (!declared.has(name) && !declared.has(`@types/${name}`))
            problems.push(`${where}: ${name} is not in ${dir}/package.json`);
        }
      }
      expect(problems).toEqual([]);
    });
  }

  it('points one way: the product never depends on the local stack, emulators on nothing of eventline but utilities', () => {
    const problems: string[] = [];
    for (const dir of packageDirs) {
      const deps = Object.keys(manifest(dir).dependencies ?? {}).filter((d) => d.startsWith('@eventline/'));
      const targets = deps.map((d) => d.slice('@eventline/'.length));
      const ofEventline = targets.filter((t) => !UTILITIES.includes(t));
      if (isEmulator(dir) && ofEventline.length > 0)
        problems.push(`${dir} (an emulator) depends on @eventline/${ofEventline.join(', @eventline/')}`);
      if (UTILITIES.includes(dir) && targets.length > 0)
        problems.push(`${dir} (a utility) depends on ${deps.join(', ')}`);
      if (PRODUCT.includes(dir)) {
        for (const target of targets) {
          if (!PRODUCT.includes(target)) problems.push(`${dir} (product) depends on @eventline/${target}`);
        }
      }
    }
    expect(problems).toEqual([]);
  });

  it('keeps the test kit for tests: it imports nothing of eventline, and no package ships it', () => {
    const problems: string[] = [];
    for (const dir of packageDirs) {
      const own = manifest(dir);
      const all = { ...own.dependencies, ...own.devDependencies, ...own.peerDependencies };
      if (TEST_KITS.includes(dir)) {
        const ours = Object.keys(all).filter((d) => d.startsWith('@eventline/'));
        if (ours.length > 0) problems.push(`${dir} (a test kit) depends on ${ours.join(', ')}`);
      }
      for (const kit of TEST_KITS) {
        for (const field of ['dependencies', 'peerDependencies'] as const) {
          if (own[field]?.[`@eventline/${kit}`])
            problems.push(`${dir}: @eventline/${kit} is in ${field} (only devDependencies may name it)`);
        }
      }
    }
    expect(problems).toEqual([]);
  });

  it('has no dependency cycle between packages', () => {
    const graph = new Map(
      packageDirs.map((dir) => [
        `@eventline/${dir}`,
        Object.keys(manifest(dir).dependencies ?? {}).filter((d) => d.startsWith('@eventline/')),
      ]),
    );
    const cycles: string[] = [];
    const visit = (node: string, path: string[]) => {
      if (path.includes(node)) {
        cycles.push([...path.slice(path.indexOf(node)), node].join(' -> '));
        return;
      }
      for (const next of graph.get(node) ?? []) visit(next, [...path, node]);
    };
    for (const node of graph.keys()) visit(node, []);
    expect(cycles).toEqual([]);
  });

  it('has no import cycle between source files', () => {
    const graph = new Map<string, string[]>();
    for (const dir of packageDirs) {
      for (const file of sourceFiles(join(PACKAGES, dir, 'src'))) {
        const local = specifiers(file)
          .filter((s) => s.startsWith('.'))
          .map((s) => resolve(dirname(file), s));
        graph.set(file, local);
      }
    }
    const cycles = new Set<string>();
    const state = new Map<string, 'open' | 'done'>();
    const visit = (file: string, path: string[]) => {
      if (state.get(file) === 'done') return;
      if (state.get(file) === 'open') {
        const loop = [...path.slice(path.indexOf(file)), file].map((f) => relative(ROOT, f));
        cycles.add(loop.join(' -> '));
        return;
      }
      state.set(file, 'open');
      for (const next of graph.get(file) ?? []) visit(next, [...path, file]);
      state.set(file, 'done');
    };
    for (const file of graph.keys()) visit(file, []);
    expect([...cycles]).toEqual([]);
  });

  it('gives every package a face: named entry points in `exports`, no wildcard', () => {
    const problems: string[] = [];
    for (const dir of packageDirs) {
      const exports = manifest(dir).exports;
      if (!exports || typeof exports !== 'object' || !exports['.']) {
        problems.push(`packages/${dir}/package.json: "exports" needs "." (the package's face)`);
        continue;
      }
      for (const [key, target] of Object.entries(exports)) {
        if (key.includes('*') || target.includes('*'))
          problems.push(
            `packages/${dir}/package.json: exports "${key}" is a wildcard; name each entry point`,
          );
        else if (!existsSync(join(PACKAGES, dir, target)))
          problems.push(
            `packages/${dir}/package.json: exports "${key}" points at ${target}, which does not exist`,
          );
      }
    }
    expect(problems).toEqual([]);
  });

  it('imports other packages through their faces only, tests and benchmarks included', () => {
    const problems: string[] = [];
    const owner = (file: string) => relative(PACKAGES, file).split(sep)[0] as string;
    for (const file of [...importingFiles(), join(ROOT, 'eventline.config.ts')]) {
      const where = relative(ROOT, file);
      const inPackage = file.startsWith(PACKAGES + sep) ? owner(file) : undefined;
      const texts = [...specifiers(file), ...resolvedSpecifiers(file)];
      for (const specifier of texts) {
        if (specifier.startsWith('@eventline/')) {
          const [, name, ...rest] = specifier.split('/');
          const dir = name as string;
          if (!packageDirs.includes(dir)) continue;
          const key = rest.length > 0 ? `./${rest.join('/')}` : '.';
          const exports = manifest(dir).exports ?? {};
          if (exports[key]) continue;
          const target = join(PACKAGES, dir, 'src', rest.join('/'));
          problems.push(
            `${where}: '${specifier}' is not a face of @eventline/${dir}; ${faceAdvice(dir, target)}`,
          );
        } else if (specifier.startsWith('.')) {
          const target = resolve(dirname(file), specifier);
          if (!target.startsWith(PACKAGES + sep)) continue;
          const dir = owner(target);
          if (dir === inPackage) continue;
          problems.push(
            `${where}: '${specifier}' reaches into packages/${dir} by path; ${faceAdvice(dir, target)}`,
          );
        }
      }
    }
    expect(problems).toEqual([]);
  });

  it(`keeps every source file under ${MAX_LINES} lines, opening with a comment that says what it is for`, () => {
    const problems: string[] = [];
    for (const dir of packageDirs) {
      for (const file of sourceFiles(join(PACKAGES, dir, 'src'))) {
        const text = readFileSync(file, 'utf8');
        const lines = text.split('\n').length - (text.endsWith('\n') ? 1 : 0);
        const where = relative(ROOT, file);
        if (lines > MAX_LINES)
          problems.push(`${where}: ${lines} lines (at most ${MAX_LINES}); split it along a seam`);
        if (!opensWithComment(text))
          problems.push(
            `${where}: no opening comment; before its first declaration, say in a comment what the file is for`,
          );
      }
    }
    expect(problems).toEqual([]);
  });
});
