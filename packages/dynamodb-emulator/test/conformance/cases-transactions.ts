import { A, API, absent, type Case, getIs, N, OLD, put, S, type Step } from './case-kit.ts';

/** TransactWriteItems and TransactGetItems: atomicity, cancellation reasons, limits, idempotency. */
export const transactionCases: Case[] = [
  {
    name: 'TransactWriteItems applies Put, Update, Delete and ConditionCheck together',
    says: 'TransactWriteItems is a synchronous write grouping up to 100 actions (ConditionCheck, Put, Update, Delete) that succeed or fail together.',
    doc: `${API}/API_TransactWriteItems.html`,
    table: 'hash',
    steps: [
      put({ pk: S('u'), v: N('1') }),
      put({ pk: S('d') }),
      put({ pk: S('c'), state: S('open') }),
      {
        op: 'TransactWriteItems',
        params: {
          TransactItems: [
            {
              Put: {
                TableName: '$T',
                Item: { pk: S('p'), v: N('1') },
                ConditionExpression: 'attribute_not_exists(pk)',
              },
            },
            {
              Update: {
                TableName: '$T',
                Key: { pk: S('u') },
                UpdateExpression: 'ADD v :one',
                ExpressionAttributeValues: { ':one': N('1') },
              },
            },
            { Delete: { TableName: '$T', Key: { pk: S('d') } } },
            {
              ConditionCheck: {
                TableName: '$T',
                Key: { pk: S('c') },
                ConditionExpression: '#s = :open',
                ExpressionAttributeNames: { '#s': 'state' },
                ExpressionAttributeValues: { ':open': S('open') },
              },
            },
          ],
        },
        ok: {},
      },
      getIs({ pk: S('p') }, { pk: S('p'), v: N('1') }),
      getIs({ pk: S('u') }, { pk: S('u'), v: N('2') }),
      {
        op: 'GetItem',
        params: { TableName: '$T', Key: { pk: S('d') }, ConsistentRead: true },
        ok: { Item: absent },
      },
    ],
  },
  {
    name: 'A failed condition cancels the whole transaction, with a reason per action and ALL_OLD items',
    says: 'If any condition is not met the transaction is cancelled: TransactionCanceledException with CancellationReasons in the order of the actions (Code None where nothing failed, ConditionalCheckFailed with the Item when ALL_OLD was asked); nothing is written.',
    doc: `${API}/API_TransactWriteItems.html#API_TransactWriteItems_Errors`,
    table: 'hash',
    steps: [
      put(OLD),
      {
        op: 'TransactWriteItems',
        params: {
          TransactItems: [
            { Put: { TableName: '$T', Item: { pk: S('new') } } },
            {
              ConditionCheck: {
                TableName: '$T',
                Key: A,
                ConditionExpression: 'attribute_not_exists(pk)',
                ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
              },
            },
            {
              Update: {
                TableName: '$T',
                Key: { pk: S('upd') },
                UpdateExpression: 'SET v = :v',
                ExpressionAttributeValues: { ':v': N('1') },
              },
            },
          ],
        },
        error: 'TransactionCanceledException',
        fields: {
          CancellationReasons: [
            { Code: 'None', Item: absent },
            { Code: 'ConditionalCheckFailed', Item: OLD },
            { Code: 'None', Item: absent },
          ],
        },
      },
      {
        op: 'GetItem',
        params: { TableName: '$T', Key: { pk: S('new') }, ConsistentRead: true },
        ok: { Item: absent },
      },
      {
        op: 'GetItem',
        params: { TableName: '$T', Key: { pk: S('upd') }, ConsistentRead: true },
        ok: { Item: absent },
      },
      getIs(A, OLD),
    ],
  },
  {
    name: 'A write that cannot be applied cancels the transaction with a ValidationError reason',
    says: 'A user error such as an operand of the wrong data type cancels the transaction: TransactionCanceledException, the reason Code ValidationError at that action, None elsewhere; nothing is written.',
    doc: `${API}/API_TransactWriteItems.html#API_TransactWriteItems_Errors`,
    table: 'hash',
    // The documented ValidationError reasons include "An operand in the update expression has an
    // incorrect data type"; a response captured from AWS in aws/aws-sdk-net#1292 has this shape.
    differs: {
      moto: 'moto answers a top-level ValidationException',
      ddblocal: 'DynamoDB Local answers a top-level ValidationException',
    },
    steps: [
      put({ pk: S('text'), v: S('not a number') }),
      {
        op: 'TransactWriteItems',
        params: {
          TransactItems: [
            { Put: { TableName: '$T', Item: { pk: S('first') } } },
            {
              Update: {
                TableName: '$T',
                Key: { pk: S('text') },
                UpdateExpression: 'ADD v :one',
                ExpressionAttributeValues: { ':one': N('1') },
              },
            },
          ],
        },
        error: 'TransactionCanceledException',
        fields: { CancellationReasons: [{ Code: 'None' }, { Code: 'ValidationError' }] },
      },
      {
        op: 'GetItem',
        params: { TableName: '$T', Key: { pk: S('first') }, ConsistentRead: true },
        ok: { Item: absent },
      },
      getIs({ pk: S('text') }, { pk: S('text'), v: S('not a number') }),
    ],
  },
  {
    name: 'TransactWriteItems refuses two actions on one item, and more than 100 actions',
    says: 'You cannot target the same item with multiple operations in one transaction; a transaction holds at most 100 actions. Both are a ValidationException.',
    doc: `${API}/API_TransactWriteItems.html#DDB-TransactWriteItems-request-TransactItems`,
    table: 'hash',
    steps: [
      {
        op: 'TransactWriteItems',
        params: {
          TransactItems: [
            { Put: { TableName: '$T', Item: { pk: S('twice'), v: N('1') } } },
            { Delete: { TableName: '$T', Key: { pk: S('twice') } } },
          ],
        },
        error: 'ValidationException',
      },
      {
        op: 'TransactWriteItems',
        params: {
          TransactItems: Array.from({ length: 101 }, (_, i) => ({
            Put: { TableName: '$T', Item: { pk: S(`t${i}`) } },
          })),
        },
        error: 'ValidationException',
      },
      {
        op: 'GetItem',
        params: { TableName: '$T', Key: { pk: S('twice') }, ConsistentRead: true },
        ok: { Item: absent },
      },
    ],
  },
  {
    name: 'TransactWriteItems with a ClientRequestToken is idempotent; the token with other parameters is refused',
    says: 'A repeat with the same client token within 10 minutes succeeds without making changes; the same token with different parameters is IdempotentParameterMismatchException.',
    doc: `${API}/API_TransactWriteItems.html#DDB-TransactWriteItems-request-ClientRequestToken`,
    table: 'hash',
    differs: { moto: 'moto applies a repeated token again, and accepts the token with other parameters' },
    steps: [
      ...[1, 2].map(
        (): Step => ({
          op: 'TransactWriteItems',
          params: {
            ClientRequestToken: 'token-$U',
            TransactItems: [
              {
                Update: {
                  TableName: '$T',
                  Key: { pk: S('ctr') },
                  UpdateExpression: 'ADD n :one',
                  ExpressionAttributeValues: { ':one': N('1') },
                },
              },
            ],
          },
          ok: {},
        }),
      ),
      getIs({ pk: S('ctr') }, { pk: S('ctr'), n: N('1') }),
      {
        op: 'TransactWriteItems',
        params: {
          ClientRequestToken: 'token-$U',
          TransactItems: [
            {
              Update: {
                TableName: '$T',
                Key: { pk: S('ctr') },
                UpdateExpression: 'ADD n :two',
                ExpressionAttributeValues: { ':two': N('2') },
              },
            },
          ],
        },
        error: 'IdempotentParameterMismatchException',
      },
    ],
  },
  {
    name: 'TransactGetItems answers one response per Get, in order, empty for a missing item',
    says: 'Responses is an ordered array of up to 100 ItemResponse objects, each corresponding to the TransactGetItem at the same position; an item that does not exist gives an ItemResponse without Item.',
    doc: `${API}/API_TransactGetItems.html#DDB-TransactGetItems-response-Responses`,
    table: 'hash',
    differs: { moto: 'moto ignores the ProjectionExpression of a Get' },
    steps: [
      put({ pk: S('g1'), v: N('1') }),
      put({ pk: S('g2'), v: N('2') }),
      {
        op: 'TransactGetItems',
        params: {
          TransactItems: [
            { Get: { TableName: '$T', Key: { pk: S('g2') } } },
            { Get: { TableName: '$T', Key: { pk: S('none') } } },
            { Get: { TableName: '$T', Key: { pk: S('g1') }, ProjectionExpression: 'v' } },
          ],
        },
        ok: {
          Responses: [
            { Item: { pk: S('g2'), v: N('2') } },
            { Item: absent },
            { Item: { v: N('1'), pk: absent } },
          ],
        },
      },
    ],
  },
];
