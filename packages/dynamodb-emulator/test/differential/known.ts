/**
 * How a difference between the emulator and DynamoDB Local is explained: a recorded contradiction
 * (recorded.ts: DynamoDB Local contradicts AWS, and the emulator's answer is checked to be AWS's),
 * or a difference kept by choice or not yet owned (below, each with its reason). The README's
 * fidelity section lists both. The fast tier fails on any divergence explained by neither; the
 * long run counts a recorded contradiction for AWS in its second figure, a choice in neither.
 */
import type { Divergence } from './measure.ts';
import { RECORDED, type RecordedContradiction } from './recorded.ts';

export interface KeptDifference {
  name: string;
  /** Why the emulator answers differently. */
  reason: string;
  matches(d: Divergence): boolean;
}

const answer = (x: unknown) => x as { status: number; type?: string };

export const KEPT: KeptDifference[] = [
  {
    name: 'DELETE from an absent index-key attribute',
    reason:
      "Not yet owned: UpdateItem DELETE of a set from an index-key attribute the item does not have is refused by dynalite's index-key type check (ValidationException); DynamoDB Local, like DynamoDB, does nothing to the absent attribute and succeeds.",
    matches: (d) => {
      const names = (d.request.params.ExpressionAttributeNames ?? {}) as Record<string, string>;
      const target = /\bDELETE\s+([#\w]+)\s/.exec(String(d.request.params.UpdateExpression ?? ''))?.[1] ?? '';
      return (
        d.request.op === 'UpdateItem' &&
        ['n', 'g'].includes(names[target] ?? target) &&
        answer(d.emulator).type === 'ValidationException' &&
        answer(d.reference).status === 200
      );
    },
  },
];

export type Explanation =
  | { kind: 'aws'; name: string; record: RecordedContradiction }
  | { kind: 'kept'; name: string; kept: KeptDifference };

/**
 * A recorded contradiction explains a divergence only when the emulator's answer is AWS's (its
 * `answersAsAws` check); one that applies but fails that check is unexplained.
 */
export function explain(d: Divergence): Explanation | undefined {
  const record = RECORDED.find((r) => r.applies(d) && r.answersAsAws(d));
  if (record) return { kind: 'aws', name: record.name, record };
  const kept = KEPT.find((k) => k.matches(d));
  return kept ? { kind: 'kept', name: kept.name, kept } : undefined;
}

/** The two figures: raw agreement with DynamoDB Local, and with recorded contradictions counted for AWS. */
export function figures(m: { requests: number; agreed: number; divergences: Divergence[] }) {
  const explained = m.divergences.map(explain);
  const aws = explained.filter((e) => e?.kind === 'aws').length;
  const kept = explained.filter((e) => e?.kind === 'kept').length;
  return { aws, kept, unexplained: m.divergences.length - aws - kept, agreedOrAws: m.agreed + aws };
}
