import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  dropTornTailSync,
  isTemporaryName,
  renameAllDurable,
  renameDurable,
  temporaryPathFor,
  writeFileDurable,
  writeFileDurableSync,
} from '../src/index.ts';

const HERE = dirname(fileURLToPath(import.meta.url));
let root: string;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'durable-file-'));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

const fresh = async (name: string) => {
  const dir = join(root, name);
  await mkdir(dir, { recursive: true });
  return dir;
};

describe.each([
  ['writeFileDurable', writeFileDurable],
  [
    'writeFileDurableSync',
    async (...args: Parameters<typeof writeFileDurableSync>) => writeFileDurableSync(...args),
  ],
] as const)('%s', (name, write) => {
  it('creates and then replaces the target, leaving no temporary file', async () => {
    const dir = await fresh(`${name}-replace`);
    const target = join(dir, 'state.json');

    await write(target, '{"v":1}');
    await write(target, new TextEncoder().encode('{"v":2}'));

    expect(await readFile(target, 'utf8')).toBe('{"v":2}');
    expect(await readdir(dir)).toEqual(['state.json']);
  });

  it('gives a new file the requested mode', async () => {
    const dir = await fresh(`${name}-mode`);
    const target = join(dir, 'key.pem');

    await write(target, 'secret', { mode: 0o600 });

    if (process.platform !== 'win32') expect((await stat(target)).mode & 0o777).toBe(0o600);
  });

  it('removes its temporary file and keeps the target when the rename fails', async () => {
    const dir = await fresh(`${name}-rename-fails`);
    const target = join(dir, 'occupied');
    await mkdir(join(target, 'child'), { recursive: true });

    const failure = await Promise.resolve()
      .then(() => write(target, 'data'))
      .then(
        () => undefined,
        (error: unknown) => error as NodeJS.ErrnoException,
      );

    expect(failure?.code).toMatch(/^(EISDIR|ENOTEMPTY|EEXIST|EPERM)$/);
    expect(await readdir(dir)).toEqual(['occupied']);
    expect(await readdir(target)).toEqual(['child']);
  });

  it('fails naming the path when the directory does not exist', async () => {
    const target = join(root, `${name}-missing`, 'file.json');

    await expect(Promise.resolve().then(() => write(target, 'x'))).rejects.toThrow(`${name}-missing`);
  });
});

describe('temporary names', () => {
  it('live beside the target and are recognisable, so a scan can skip or remove them', () => {
    const temporary = temporaryPathFor('/data/dlq/0001-abc.json');

    expect(dirname(temporary)).toBe('/data/dlq');
    expect(isTemporaryName(temporary.slice('/data/dlq/'.length))).toBe(true);
    expect(temporary.endsWith('.json')).toBe(false);
    expect(isTemporaryName('0001-abc.json')).toBe(false);
    expect(temporaryPathFor('/d/a')).not.toBe(temporaryPathFor('/d/a'));
  });
});

describe('renameDurable', () => {
  it('moves a written file over the target', async () => {
    const dir = await fresh('rename');
    await writeFile(join(dir, 'staged'), 'new');
    await writeFile(join(dir, 'final'), 'old');

    await renameDurable(join(dir, 'staged'), join(dir, 'final'));

    expect(await readFile(join(dir, 'final'), 'utf8')).toBe('new');
    expect(await readdir(dir)).toEqual(['final']);
  });
});

describe('renameAllDurable', () => {
  it('moves several written files into place, in the order given', async () => {
    const dir = await fresh('rename-all');
    await mkdir(join(dir, 'out'));
    await writeFile(join(dir, 'meta.tmp'), 'meta');
    await writeFile(join(dir, 'data.tmp'), 'data');

    await renameAllDurable([
      { source: join(dir, 'meta.tmp'), target: join(dir, 'out', 'meta') },
      { source: join(dir, 'data.tmp'), target: join(dir, 'out', 'data') },
    ]);

    expect(await readdir(dir)).toEqual(['out']);
    expect(await readFile(join(dir, 'out', 'meta'), 'utf8')).toBe('meta');
    expect(await readFile(join(dir, 'out', 'data'), 'utf8')).toBe('data');
  });

  it('fails before renaming anything when a source is missing', async () => {
    const dir = await fresh('rename-all-missing');
    await writeFile(join(dir, 'present.tmp'), 'x');

    await expect(
      renameAllDurable([
        { source: join(dir, 'present.tmp'), target: join(dir, 'present') },
        { source: join(dir, 'absent.tmp'), target: join(dir, 'absent') },
      ]),
    ).rejects.toThrow('absent.tmp');

    expect(await readdir(dir)).toEqual(['present.tmp']);
  });
});

describe('crash safety', () => {
  it('a reader never sees a partial target while it is rewritten', async () => {
    const dir = await fresh('readers');
    const target = join(dir, 'big.json');
    const payload = (n: number) => JSON.stringify({ n, fill: String(n % 10).repeat(256 * 1024) });
    await writeFileDurable(target, payload(0));

    let writing = true;
    const writer = (async () => {
      for (let n = 1; n <= 40; n++) await writeFileDurable(target, payload(n));
      writing = false;
    })();
    const seen = new Set<number>();
    for (let reads = 0; writing && reads < 10_000; reads++) {
      const { n } = JSON.parse(await readFile(target, 'utf8')) as { n: number };
      seen.add(n);
    }
    await writer;

    expect(JSON.parse(await readFile(target, 'utf8'))).toEqual(JSON.parse(payload(40)));
    expect(seen.size).toBeGreaterThan(0);
  });

  it('a process killed (SIGKILL) mid-rewrite leaves the target whole; only a temporary file may remain', async () => {
    const dir = await fresh('killed');
    const target = join(dir, 'state.json');
    const child = spawn(process.execPath, ['--import', 'tsx', join(HERE, 'fixtures', 'writer.ts'), target], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const exited = new Promise<NodeJS.Signals | null>((resolve) =>
      child.on('exit', (_code, signal) => resolve(signal)),
    );
    // Prepare: let it finish a few whole writes, then kill it while it is in the middle of more.
    let finished = 0;
    await new Promise<void>((resolve, reject) => {
      child.stdout.setEncoding('utf8');
      child.stdout.on('data', (chunk: string) => {
        finished += chunk.split('\n').filter(Boolean).length;
        if (finished >= 5) resolve();
      });
      child.on('exit', () => reject(new Error('the writer exited before five writes')));
    });

    child.kill('SIGKILL');
    expect(await exited).toBe('SIGKILL');

    const { n, fill } = JSON.parse(await readFile(target, 'utf8')) as { n: number; fill: string };
    expect(n).toBeGreaterThanOrEqual(4);
    expect(fill).toBe(String(n % 10).repeat(512 * 1024));
    const others = (await readdir(dir)).filter((name) => name !== 'state.json');
    expect(others.every(isTemporaryName)).toBe(true);
  });
});

describe('dropTornTailSync', () => {
  it('cuts an unfinished last line, keeps whole lines, and leaves a clean file alone', async () => {
    const dir = await fresh('torn');
    const torn = join(dir, 'torn.ndjson');
    await writeFile(torn, '{"a":1}\n{"b":2}\n{"c":');
    const clean = join(dir, 'clean.ndjson');
    await writeFile(clean, '{"a":1}\n');
    const fragmentOnly = join(dir, 'fragment.ndjson');
    await writeFile(fragmentOnly, '{"x":');
    // A tail longer than one read chunk (64 KiB) before its line's start.
    const long = join(dir, 'long.ndjson');
    await writeFile(long, `{"a":1}\n{"big":"${'x'.repeat(200_000)}`);

    expect(dropTornTailSync(torn)).toBe(5);
    expect(await readFile(torn, 'utf8')).toBe('{"a":1}\n{"b":2}\n');
    expect(dropTornTailSync(clean)).toBe(0);
    expect(await readFile(clean, 'utf8')).toBe('{"a":1}\n');
    expect(dropTornTailSync(fragmentOnly)).toBe(5);
    expect(await readFile(fragmentOnly, 'utf8')).toBe('');
    expect(dropTornTailSync(long)).toBe(200_008);
    expect(await readFile(long, 'utf8')).toBe('{"a":1}\n');
    expect(dropTornTailSync(join(dir, 'absent.ndjson'))).toBe(0);
  });
});
