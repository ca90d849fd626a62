import type { Case } from './case-kit.ts';
import { fidelityCases } from './cases-fidelity.ts';
import { itemCases } from './cases-items.ts';
import { limitCases } from './cases-limits.ts';
import { transactionOrderCases } from './cases-transaction-order.ts';
import { transactionCases } from './cases-transactions.ts';
import { ttlCases } from './cases-ttl.ts';

/**
 * The DynamoDB conformance cases: each states what AWS documents (with the page), as data — steps
 * of (operation, parameters in DynamoDB's JSON shapes, expected outcome) — so that the same table
 * runs through SDK v3 and through boto3 (runner.py) against any endpoint.
 *
 * In parameters, "$T" is replaced by a table made fresh for the case, and $U in any string by
 * a word unique to the run (client tokens are account-wide). Table shapes: `hash` (pk S)
 * or `composite` (pk S, sk N), or `indexed` (pk S; GSI byG on g S, projecting INCLUDE a). Pseudo-operations `ScanAll`/`QueryAll` page until there is no
 * LastEvaluatedKey and answer `{ Pages, Count, Distinct, Items }`.
 *
 * Matchers (`mismatches` of @eventline/test-kit): objects match when every named member matches (others may be present), arrays
 * element by element with the same length; `{ $absent: true }` for a member that must not be
 * there, `{ $in: [...] }` for one of several values, `{ $len: n }` for an array's length.
 *
 * `differs` records where a second-opinion emulator disagrees with the documentation: the case
 * then asserts that it still does (the documentation wins; the case says what the other does).
 */

export type { Case, Step, Target } from './case-kit.ts';

/** Every case, in the order they run: items (`cases-items.ts`), transactions (`cases-transactions.ts`, `cases-transaction-order.ts`), TTL (`cases-ttl.ts`), issue 27's divergences (`cases-fidelity.ts`), documented limits (`cases-limits.ts`). */
export const cases: Case[] = [
  ...itemCases,
  ...transactionCases,
  ...transactionOrderCases,
  ...ttlCases,
  ...fidelityCases,
  ...limitCases,
];
