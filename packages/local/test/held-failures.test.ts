// Which failed invocations the local direct-mode invoker holds back (a throttle: no attempt counted)
// and which count an attempt: only "another invocation holds this object, until <lease end>".
import { InProgressError, TransientError } from '@eventline/core';
import { FunctionError } from '@eventline/lambda-emulator';
import { describe, expect, it } from 'vitest';
import { waitsForAnother } from '../src/function-runtime.ts';

const held = () => new InProgressError('in-progress', 'a.json: held', { heldUntil: Date.now() + 30_000 });

describe('waitsForAnother', () => {
  it('holds back a failure whose every cause is a live hold with its end', () => {
    expect(waitsForAnother(held())).toBe(true);
    expect(
      waitsForAnother(
        new TransientError('retry', '2 records', { cause: new AggregateError([held(), held()]) }),
      ),
    ).toBe(true);
    // From a worker instance the type is all that crosses the process boundary (handler.ts throws it only then).
    expect(waitsForAnother(new FunctionError('InProgressError', '1 record must be retried'))).toBe(true);
  });

  it('counts an attempt for a lost race for the claim: no holder, no end, so waiting could last for ever', () => {
    const contention = new InProgressError('contention', 'a.json: could not claim the file after 5 attempts');
    expect(waitsForAnother(contention)).toBe(false);
    expect(waitsForAnother(new TransientError('retry', '1 record', { cause: contention }))).toBe(false);
    expect(
      waitsForAnother(
        new TransientError('retry', '2 records', { cause: new AggregateError([held(), contention]) }),
      ),
    ).toBe(false);
    expect(waitsForAnother(new FunctionError('TransientError', '1 record must be retried'))).toBe(false);
  });
});
