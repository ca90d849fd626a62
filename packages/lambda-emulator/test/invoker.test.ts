import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { AsyncInvoker, type InvokerOptions, type OnFailureRecord } from '../src/invoker.ts';
import { EventJournal } from '../src/journal.ts';

/** Lambda's asynchronous invocation: retries, the on-failure record, and the caller's throttle decision. */
const dirs: string[] = [];
afterEach(async () => {
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
});

class Throttled extends Error {}

async function invokerWith(invoke: InvokerOptions['invoke'], extra: Partial<InvokerOptions> = {}) {
  const dir = await mkdtemp(join(tmpdir(), 'invoker-'));
  dirs.push(dir);
  const journal = new EventJournal(dir);
  await journal.open();
  const failed: OnFailureRecord[] = [];
  const invoker = new AsyncInvoker({
    concurrency: 1,
    retryAttempts: 2,
    retryDelaysMs: [1, 1],
    maxEventAgeMs: 60_000,
    invoke,
    journal,
    deadLetters: { send: async (record) => void failed.push(record) },
    logger: { warn: () => {}, error: () => {} },
    functionArn: 'arn:aws:lambda:us-east-1:000000000000:function:f',
    throttleDelayMs: 1,
    ...extra,
  });
  return { invoker, journal, failed };
}

const entry = (id: string) => ({ id, event: { n: id }, attempts: 0, enqueuedAt: new Date().toISOString() });

describe('AsyncInvoker', () => {
  it('retries a failure retryAttempts times, then sends the invocation record on and empties the journal', async () => {
    let calls = 0;
    const { invoker, journal, failed } = await invokerWith(async () => {
      calls += 1;
      throw new Error('boom');
    });
    await invoker.submit(entry('a'));
    await invoker.idle();
    expect(calls).toBe(3);
    expect(failed).toHaveLength(1);
    expect(failed[0]).toMatchObject({ code: 'RetriesExhausted', reason: 'boom', attempts: 3 });
    expect(failed[0]?.event).toMatchObject({
      requestContext: { condition: 'RetriesExhausted', approximateInvokeCount: 3 },
      requestPayload: { n: 'a' },
    });
    expect(await journal.pending()).toEqual([]);
    await invoker.stop();
  });

  it('does not count a failure the caller classes as a throttle: it waits and runs again', async () => {
    let calls = 0;
    const { invoker, failed } = await invokerWith(
      async () => {
        calls += 1;
        if (calls <= 5) throw new Throttled('held by another invocation');
        return 'ok';
      },
      { classifyFailure: (error) => (error instanceof Throttled ? 'throttled' : 'failed') },
    );
    const results: boolean[] = [];
    invoker.on('result', (result: { ok: boolean }) => results.push(result.ok));
    await invoker.submit(entry('b'));
    await invoker.idle();
    // Five throttles, more than retryAttempts allows for failures, and no dead letter.
    expect(calls).toBe(6);
    expect(results).toEqual([true]);
    expect(failed).toEqual([]);
    await invoker.stop();
  });

  it('counts every failure as an attempt when no classifier is given', async () => {
    const { invoker, failed } = await invokerWith(async () => {
      throw new Throttled('held by another invocation');
    });
    await invoker.submit(entry('c'));
    await invoker.idle();
    expect(failed).toHaveLength(1);
    await invoker.stop();
  });
});
