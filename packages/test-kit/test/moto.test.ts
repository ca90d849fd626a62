import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MotoUnavailableError, mismatches, startMoto } from '../src/index.ts';

/**
 * The shared moto_server spawner. A missing binary must fail at once with how to install it: each
 * case below sets a readiness wait of ten minutes, far past the test's own timeout, so a spawner that
 * waited instead of failing would time the test out rather than pass it.
 */
const NEVER = 600_000;

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'test-kit-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('startMoto without moto_server', () => {
  it('names the binary and how to install it when it is not on the PATH', async () => {
    const error = await startMoto({ env: { PATH: dir }, readyTimeoutMs: NEVER }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MotoUnavailableError);
    expect((error as Error).message).toBe(
      `moto_server is not installed: no executable on the PATH (${dir}). Install it: pip install 'moto[server]' (on Debian's Python inside a virtual environment, as .ci/run does)`,
    );
  }, 5_000);

  it('names an explicit binary that does not exist', async () => {
    const bogus = join(dir, 'no-such-moto_server');
    await expect(startMoto({ binary: bogus, readyTimeoutMs: NEVER })).rejects.toThrow(
      `${bogus} is not installed: no executable at ${bogus}. Install it: pip install 'moto[server]'`,
    );
  }, 5_000);

  it('fails as soon as the binary exits, as a pyenv shim does for a Python without moto', async () => {
    const shim = join(dir, 'moto_server');
    await writeFile(shim, '#!/bin/sh\necho "pyenv: moto_server: command not found" >&2\nexit 127\n');
    await chmod(shim, 0o755);
    const error = await startMoto({ env: { PATH: dir }, readyTimeoutMs: NEVER }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MotoUnavailableError);
    expect((error as Error).message).toMatch(
      new RegExp(
        `^${shim} exited \\(127\\) before it answered on http://127\\.0\\.0\\.1:\\d+: pyenv: moto_server: command not found\\. If moto is not installed for this Python: pip install 'moto\\[server\\]'`,
      ),
    );
  }, 5_000);
});

describe('startMoto with moto_server', () => {
  it('answers on a loopback port and is gone after close', async () => {
    const moto = await startMoto();
    expect(moto.url).toBe(`http://127.0.0.1:${moto.port}`);
    const response = await fetch(`${moto.url}/moto-api/`);
    expect(response.status).toBe(200);
    await response.arrayBuffer();
    await moto.close();
    await moto.close();
    expect(() => process.kill(moto.pid, 0)).toThrow(/ESRCH/);
    await expect(fetch(`${moto.url}/moto-api/`)).rejects.toThrow();
  });
});

describe('mismatches', () => {
  it('names each path where the answer differs from the matcher', () => {
    const expected = {
      a: 1,
      gone: { $absent: true },
      here: { $present: true },
      state: { $in: ['ENABLING', 'ENABLED'] },
      arn: { $re: '^arn:' },
      list: { $len: 2 },
      items: [{ k: 'x' }],
    };
    const good = {
      a: 1,
      here: 0,
      state: 'ENABLED',
      arn: 'arn:aws',
      list: [1, 2],
      items: [{ k: 'x', more: 1 }],
    };
    expect(mismatches(expected, good)).toEqual([]);
    expect(mismatches(expected, { a: 2, gone: 'x', state: 'OFF', arn: 'x', list: [], items: [] })).toEqual([
      '$.a: expected 1, got 2',
      '$.gone: expected absent, got "x"',
      '$.here: expected a value, got nothing',
      '$.state: expected one of ["ENABLING","ENABLED"], got "OFF"',
      '$.arn: expected a string matching /^arn:/, got "x"',
      '$.list: expected an array of 2, got []',
      '$.items: expected 1 elements, got []',
    ]);
  });
});
