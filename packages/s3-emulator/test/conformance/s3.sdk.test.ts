import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cases } from './cases.ts';
import { startTarget, type Target, targetName } from './target.ts';

/**
 * The S3 conformance cases with the AWS SDK for JavaScript v3, against this package's emulator, or
 * moto_server with CONFORMANCE_TARGET=moto (cases marked motoDiffers must then fail: where moto and
 * AWS's documentation disagree, the documentation wins).
 */
describe(`S3 conformance (SDK v3) against ${targetName()}`, () => {
  let target: Target;
  beforeAll(async () => {
    target = await startTarget();
  });
  afterAll(async () => {
    await target?.close();
  });

  for (const testCase of cases) {
    if (targetName() === 'moto' && testCase.motoDiffers) {
      it(`${testCase.name} — moto differs: ${testCase.motoDiffers}`, async () => {
        await expect(testCase.run(target)).rejects.toThrow();
      });
    } else {
      it(testCase.name, () => testCase.run(target));
    }
  }
});
