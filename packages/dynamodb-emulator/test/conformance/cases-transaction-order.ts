/**
 * TransactWriteItems naming one item twice, when the request has another problem too: the order
 * of checks. AWS documents that "no two actions can target the same item" and that such a request
 * fails; it does not say which error wins when a condition fails as well. These cases follow
 * DynamoDB Local, Amazon's own implementation: the actions are checked in order, each condition on
 * the item as the earlier actions that passed leave it, and the request is refused only when a
 * second action on an item passes too (README, Fidelity).
 */
import { A, API, absent, type Case, getIs, N, put, S, type Step } from './case-kit.ts';

const DOC = `${API}/API_TransactWriteItems.html`;
const MOTO =
  'moto refuses every transaction naming one item twice (ValidationException), whatever its conditions';
const REPEAT = 'ValidationException';
const CANCELLED = 'TransactionCanceledException';
const exists = 'attribute_exists(pk)';
const notExists = 'attribute_not_exists(pk)';

const transact = (actions: Record<string, unknown>[], outcome: Partial<Step>): Step => ({
  op: 'TransactWriteItems',
  params: { TransactItems: actions },
  ...outcome,
});
const putIf = (item: Record<string, unknown>, condition?: string, allOld = false) => ({
  Put: {
    TableName: '$T',
    Item: item,
    ...(condition ? { ConditionExpression: condition } : {}),
    ...(allOld ? { ReturnValuesOnConditionCheckFailure: 'ALL_OLD' } : {}),
  },
});
const check = (condition: string, allOld = false, values?: Record<string, unknown>) => ({
  ConditionCheck: {
    TableName: '$T',
    Key: A,
    ConditionExpression: condition,
    ...(values ? { ExpressionAttributeValues: values } : {}),
    ...(allOld ? { ReturnValuesOnConditionCheckFailure: 'ALL_OLD' } : {}),
  },
});
const reasons = (...codes: (string | Record<string, unknown>)[]) => ({
  CancellationReasons: codes.map((c) => (typeof c === 'string' ? { Code: c } : c)),
});
const stillAbsent = getIs(A, absent);

export const transactionOrderCases: Case[] = [
  {
    name: 'One item twice: the first action failing its condition cancels the transaction; the repeat is not refused',
    says: 'Actions are checked in order; an action whose condition fails is a ConditionalCheckFailed reason and does not count as an action on the item, so the next one on it is checked as if it were the first.',
    doc: DOC,
    differs: { moto: MOTO },
    table: 'hash',
    steps: [
      transact([putIf(A, exists), putIf({ ...A, v: N('2') })], {
        error: CANCELLED,
        fields: reasons('ConditionalCheckFailed', 'None'),
      }),
      transact([check(exists), { Delete: { TableName: '$T', Key: A, ConditionExpression: exists } }], {
        error: CANCELLED,
        fields: reasons('ConditionalCheckFailed', 'ConditionalCheckFailed'),
      }),
      stillAbsent,
    ],
  },
  {
    name: 'One item twice: a later action is checked on the item as the earlier passing action leaves it',
    says: 'After an action on an item passes, a later action on the same item whose condition fails on the item as that action leaves it cancels the transaction; one whose condition passes (or that has none) makes the request fail with ValidationException, even if another action fails its condition.',
    doc: DOC,
    differs: { moto: MOTO },
    table: 'hash',
    steps: [
      // attribute_not_exists(pk) holds for the stored item (absent) but not after the first Put.
      transact([putIf(A), putIf({ ...A, v: N('2') }, notExists)], {
        error: CANCELLED,
        fields: reasons('None', 'ConditionalCheckFailed'),
      }),
      // attribute_exists(pk) fails on the stored item but holds after the first Put: refused.
      transact([putIf(A), putIf({ ...A, v: N('2') }, exists)], { error: REPEAT }),
      // The refusal wins over another action's failed condition, before or after it.
      transact([putIf({ pk: S('other') }, exists), putIf(A), putIf(A)], { error: REPEAT }),
      transact([putIf(A), putIf(A), putIf({ pk: S('other') }, exists)], { error: REPEAT }),
      stillAbsent,
      getIs({ pk: S('other') }, absent),
    ],
  },
  {
    name: 'One item twice: an Update is seen by the later action on its item',
    says: 'A later action on an item is checked on the item as an earlier Update that passed leaves it.',
    doc: DOC,
    differs: { moto: MOTO },
    table: 'hash',
    steps: [
      put({ ...A, c: N('3') }),
      transact(
        [
          {
            Update: {
              TableName: '$T',
              Key: A,
              UpdateExpression: 'SET v = :one',
              ExpressionAttributeValues: { ':one': N('1') },
            },
          },
          check('v = :one', false, { ':one': N('1') }),
        ],
        { error: REPEAT },
      ),
      transact(
        [
          {
            Update: {
              TableName: '$T',
              Key: A,
              UpdateExpression: 'SET v = :one',
              ExpressionAttributeValues: { ':one': N('1') },
            },
          },
          check('attribute_not_exists(v)', true),
        ],
        {
          error: CANCELLED,
          fields: reasons('None', { Code: 'ConditionalCheckFailed', Item: { ...A, c: N('3'), v: N('1') } }),
        },
      ),
      getIs(A, { ...A, c: N('3') }),
    ],
  },
  {
    name: "One item twice: a failed condition's ALL_OLD item is the item as the transaction's passing actions leave it",
    says: 'ReturnValuesOnConditionCheckFailure ALL_OLD returns the item; when a passing action of the same transaction names the item too, DynamoDB Local returns the item as that action leaves it.',
    doc: `${API}/API_CancellationReason.html`,
    differs: { moto: MOTO },
    table: 'hash',
    steps: [
      put({ ...A, c: N('3') }),
      transact([putIf({ ...A, v: N('1') }, notExists, true), putIf({ ...A, b: N('2') })], {
        error: CANCELLED,
        fields: reasons({ Code: 'ConditionalCheckFailed', Item: { ...A, b: N('2') } }, 'None'),
      }),
      transact([check(notExists, true), { Delete: { TableName: '$T', Key: A } }], {
        error: CANCELLED,
        fields: reasons({ Code: 'ConditionalCheckFailed', Item: absent }, 'None'),
      }),
      getIs(A, { ...A, c: N('3') }),
    ],
  },
  {
    name: 'An Update of a key attribute in a transaction: a failing condition is reported first, then ValidationError',
    says: "A key attribute cannot be updated; inside TransactWriteItems that is the cancellation reason ValidationError, reported only once the action's condition holds (AWS is silent on the order; DynamoDB Local checks the condition first).",
    doc: `${API}/API_TransactWriteItems.html#API_TransactWriteItems_Errors`,
    differs: {
      moto: 'moto answers a top-level ValidationException to an update of a key attribute whose condition holds',
    },
    table: 'hash',
    steps: [
      transact(
        [
          {
            Update: {
              TableName: '$T',
              Key: A,
              UpdateExpression: 'SET pk = :b',
              ConditionExpression: exists,
              ExpressionAttributeValues: { ':b': S('b') },
            },
          },
        ],
        { error: CANCELLED, fields: reasons('ConditionalCheckFailed') },
      ),
      transact(
        [
          {
            Update: {
              TableName: '$T',
              Key: A,
              UpdateExpression: 'SET pk = :b',
              ConditionExpression: notExists,
              ExpressionAttributeValues: { ':b': S('b') },
            },
          },
        ],
        { error: CANCELLED, fields: reasons('ValidationError') },
      ),
      stillAbsent,
    ],
  },
];
