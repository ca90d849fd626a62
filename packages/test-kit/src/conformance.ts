import { execFile } from 'node:child_process';
import { expect, it } from 'vitest';

/**
 * What the emulators' conformance suites share: which target they run against
 * (`CONFORMANCE_TARGET`), a documented case as a test that knows where a target differs, and a
 * runner script in another language fed JSON on stdin.
 */

/** `CONFORMANCE_TARGET`, one of `allowed`; the first when unset. */
export function conformanceTarget<T extends string>(allowed: readonly [T, ...T[]]): T {
  const value = process.env.CONFORMANCE_TARGET ?? allowed[0];
  if (!(allowed as readonly string[]).includes(value))
    throw new Error(`CONFORMANCE_TARGET: "${value}" is not one of ${allowed.join(', ')}`);
  return value as T;
}

/** A case that states what AWS documents (`doc`: the page) and the targets known to differ from it. */
export interface DocumentedCase<T extends string> {
  name: string;
  doc: string;
  differs?: Partial<Record<T, string>>;
}

/**
 * The case as a test: `run` answers its mismatches (none when it conforms). A target known to get
 * it wrong asserts that it still does, so the note stays true (the documentation wins).
 */
export function documentedCase<T extends string>(
  c: DocumentedCase<T>,
  target: T,
  run: () => Promise<string[]>,
): void {
  const known = c.differs?.[target];
  const title = `${c.name} — ${c.doc}`;
  if (known) {
    it.fails(`${title} [${target} differs: ${known}]`, async () => {
      expect(await run()).toEqual([]);
    });
  } else {
    it(title, async () => {
      expect(await run()).toEqual([]);
    });
  }
}

/** Runs `python3 script` with `input` as JSON on stdin and answers its stdout parsed as JSON. */
export async function runPythonJson<T>(
  script: string,
  input: unknown,
  options: { timeoutMs?: number } = {},
): Promise<T> {
  const output = await new Promise<string>((resolve, reject) => {
    const child = execFile(
      'python3',
      [script],
      { maxBuffer: 256 * 1024 * 1024, ...(options.timeoutMs ? { timeout: options.timeoutMs } : {}) },
      (error, stdout, stderr) =>
        error
          ? reject(new Error(`${script} failed: ${stderr.slice(-3000)}`, { cause: error }))
          : resolve(stdout),
    );
    child.stdin?.end(JSON.stringify(input));
  });
  return JSON.parse(output) as T;
}
