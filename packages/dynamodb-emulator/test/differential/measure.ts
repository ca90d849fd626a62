/**
 * The differential run: seeded scenarios (generator.ts) through the emulator and DynamoDB Local
 * (harness.ts), the agreement counted per request, and divergences shrunk to their smallest
 * scenario with fast-check. Used by the fast tier (differential.test.ts) and the long run (run.mts).
 */
import fc from 'fast-check';
import { scenarioArb } from './generator.ts';
import { type Request, runScenario, type Scenario, type StepResult } from './harness.ts';

export interface Divergence {
  /** What kind of difference: operation, then each side's outcome (status and error type). */
  signature: string;
  request: Request;
  emulator: unknown;
  reference: unknown;
  /** AWS's documented answer where recorded.ts derives it by a rewritten request to DynamoDB Local. */
  aws?: unknown;
}

export interface Measurement {
  requests: number;
  agreed: number;
  divergences: Divergence[];
}

function outcome(answer: unknown): string {
  const a = answer as { status?: number; type?: string };
  return a.status === 200 ? 'ok' : (a.type ?? String(a.status));
}

export function signatureOf(result: StepResult): string {
  return `${result.request.op}: emulator ${outcome(result.emulator)}, DynamoDB Local ${outcome(result.reference)}`;
}

/**
 * `scenarios` seeded scenarios, each step compared. A scenario's steps after its first divergence
 * still count (they run on what each side holds, which may differ: a divergence can cascade).
 */
export async function measure(
  seed: number,
  scenarios: number,
  emulatorUrl: string,
  referenceUrl: string,
  onProgress?: (done: number) => void,
): Promise<Measurement> {
  const samples = fc.sample(scenarioArb, { seed, numRuns: scenarios });
  const result: Measurement = { requests: 0, agreed: 0, divergences: [] };
  for (const [index, scenario] of samples.entries()) {
    for (const step of await runScenario(scenario, emulatorUrl, referenceUrl)) {
      result.requests += 1;
      if (step.agree) result.agreed += 1;
      else
        result.divergences.push({
          signature: signatureOf(step),
          request: step.request,
          emulator: step.emulator,
          reference: step.reference,
          ...(step.aws !== undefined ? { aws: step.aws } : {}),
        });
    }
    onProgress?.(index + 1);
  }
  return result;
}

/** The smallest scenario fast-check finds (from `seed`) whose requests diverge with `signature`. */
export async function shrink(
  seed: number,
  scenarios: number,
  signature: string,
  emulatorUrl: string,
  referenceUrl: string,
): Promise<{ scenario: Scenario; results: StepResult[] } | undefined> {
  const details = await fc.check(
    fc.asyncProperty(scenarioArb, async (scenario) => {
      const results = await runScenario(scenario, emulatorUrl, referenceUrl);
      return !results.some((r) => !r.agree && signatureOf(r) === signature);
    }),
    { seed, numRuns: scenarios, endOnFailure: false, maxSkipsPerRun: 0 },
  );
  const found = details.counterexample?.[0];
  if (!found) return undefined;
  return { scenario: found, results: await runScenario(found, emulatorUrl, referenceUrl) };
}

/** Divergences grouped by signature, most frequent first. */
export function groups(divergences: Divergence[]): [string, Divergence[]][] {
  const by = new Map<string, Divergence[]>();
  for (const d of divergences) by.set(d.signature, [...(by.get(d.signature) ?? []), d]);
  return [...by.entries()].sort((a, b) => b[1].length - a[1].length);
}

export const percent = (m: { requests: number; agreed: number }) =>
  m.requests === 0 ? 100 : Math.round((m.agreed / m.requests) * 1000) / 10;
