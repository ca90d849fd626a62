import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cases, families } from './cases.ts';
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
  const outcomes = new Map<string, boolean>();
  afterAll(async () => {
    await target?.close();
    // The report: cases per operation family, how many held here, and how many moto is known to depart from.
    const rows = Object.entries(families).map(([family, list]) => {
      const held = list.filter((c) => outcomes.get(c.name) === true).length;
      const differs = list.filter((c) => c.motoDiffers).length;
      return `  ${family}: ${list.length} cases, ${held} as expected on ${targetName()}; moto departs from AWS in ${differs}`;
    });
    process.stdout.write(`S3 conformance (SDK v3) by operation family:\n${rows.join('\n')}\n`);
  });

  for (const testCase of cases) {
    if (targetName() === 'moto' && testCase.motoDiffers) {
      it(`${testCase.name} — moto differs: ${testCase.motoDiffers}`, async () => {
        await expect(testCase.run(target)).rejects.toThrow();
        outcomes.set(testCase.name, true);
      });
    } else {
      it(testCase.name, async () => {
        await testCase.run(target);
        outcomes.set(testCase.name, true);
      });
    }
  }
});
