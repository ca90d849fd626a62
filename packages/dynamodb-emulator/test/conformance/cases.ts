/**
 * The DynamoDB conformance cases: each states what AWS documents (with the page), as data — steps
 * of (operation, parameters in DynamoDB's JSON shapes, expected outcome) — so that the same table
 * runs through SDK v3 and through boto3 (runner.py) against any endpoint.
 *
 * In parameters, "$T" is replaced by a table made fresh for the case, and $U in any string by
 * a word unique to the run (client tokens are account-wide). Table shapes: `hash` (pk S)
 * or `composite` (pk S, sk N). Pseudo-operations `ScanAll`/`QueryAll` page until there is no
 * LastEvaluatedKey and answer `{ Pages, Count, Distinct, Items }`.
 *
 * Matchers: objects match when every named member matches (others may be present), arrays
 * element by element with the same length; `{ $absent: true }` for a member that must not be
 * there, `{ $in: [...] }` for one of several values, `{ $len: n }` for an array's length.
 *
 * `differs` records where a second-opinion emulator disagrees with the documentation: the case
 * then asserts that it still does (the documentation wins; the case says what the other does).
 */
export interface Step {
  op: string;
  params: Record<string, unknown>;
  /** The successful answer's shape. */
  ok?: unknown;
  /** The error's name (SDK v3 `error.name`, boto3 `Error.Code`). */
  error?: string;
  /** Members of the error response (e.g. `Item`, `CancellationReasons`). */
  fields?: unknown;
}

/** `dynalite` is the engine without the emulator's layer: it shows what the layer adds, and is expected to fail those cases. */
export type Target = 'emulator' | 'moto' | 'ddblocal' | 'dynalite';

export interface Case {
  name: string;
  /** What AWS documents, in a sentence. */
  says: string;
  /** The documentation page. */
  doc: string;
  table: 'hash' | 'composite';
  steps: Step[];
  /** Targets known to disagree with the documentation, and how. */
  differs?: Partial<Record<Target, string>>;
}

const API = 'https://docs.aws.amazon.com/amazondynamodb/latest/APIReference';
const GUIDE = 'https://docs.aws.amazon.com/amazondynamodb/latest/developerguide';

const S = (value: string) => ({ S: value });
const N = (value: string) => ({ N: value });
const absent = { $absent: true };
const put = (item: Record<string, unknown>): Step => ({
  op: 'PutItem',
  params: { TableName: '$T', Item: item },
  ok: {},
});
const getIs = (key: Record<string, unknown>, item: unknown): Step => ({
  op: 'GetItem',
  params: { TableName: '$T', Key: key, ConsistentRead: true },
  ok: { Item: item },
});

const A = { pk: S('a') };
const OLD = { pk: S('a'), v: N('1'), note: S('old') };
const CONDITION_FAILED = 'ConditionalCheckFailedException';

export const cases: Case[] = [
  {
    name: 'PutItem with attribute_not_exists writes once, then fails the condition',
    says: 'A conditional put succeeds only if the condition evaluates to true; otherwise ConditionalCheckFailedException, and without ReturnValuesOnConditionCheckFailure no Item comes back.',
    doc: `${GUIDE}/Expressions.ConditionExpressions.html#Expressions.ConditionExpressions.PreventingOverwrites`,
    table: 'hash',
    steps: [
      {
        op: 'PutItem',
        params: { TableName: '$T', Item: OLD, ConditionExpression: 'attribute_not_exists(pk)' },
        ok: {},
      },
      {
        op: 'PutItem',
        params: {
          TableName: '$T',
          Item: { pk: S('a'), v: N('2') },
          ConditionExpression: 'attribute_not_exists(pk)',
        },
        error: CONDITION_FAILED,
        fields: { Item: absent },
      },
      getIs(A, OLD),
    ],
  },
  {
    name: 'PutItem condition failure with ReturnValuesOnConditionCheckFailure ALL_OLD carries the item',
    says: 'With ReturnValuesOnConditionCheckFailure set to ALL_OLD, a failed condition returns the item as it was (the Item member of ConditionalCheckFailedException).',
    doc: `${API}/API_PutItem.html#DDB-PutItem-request-ReturnValuesOnConditionCheckFailure`,
    table: 'hash',
    steps: [
      put(OLD),
      {
        op: 'PutItem',
        params: {
          TableName: '$T',
          Item: { pk: S('a'), v: N('2') },
          ConditionExpression: 'attribute_not_exists(pk)',
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        },
        error: CONDITION_FAILED,
        fields: { Item: OLD },
      },
    ],
  },
  {
    name: 'UpdateItem condition failure with ALL_OLD carries the item; NONE does not',
    says: 'UpdateItem takes ReturnValuesOnConditionCheckFailure ALL_OLD | NONE; ALL_OLD returns the item attributes as they were before the failed check.',
    doc: `${API}/API_UpdateItem.html#DDB-UpdateItem-request-ReturnValuesOnConditionCheckFailure`,
    table: 'hash',
    steps: [
      put(OLD),
      {
        op: 'UpdateItem',
        params: {
          TableName: '$T',
          Key: A,
          UpdateExpression: 'SET v = :three',
          ConditionExpression: 'v = :two',
          ExpressionAttributeValues: { ':two': N('2'), ':three': N('3') },
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        },
        error: CONDITION_FAILED,
        fields: { Item: OLD },
      },
      {
        op: 'UpdateItem',
        params: {
          TableName: '$T',
          Key: A,
          UpdateExpression: 'SET v = :three',
          ConditionExpression: 'v = :two',
          ExpressionAttributeValues: { ':two': N('2'), ':three': N('3') },
          ReturnValuesOnConditionCheckFailure: 'NONE',
        },
        error: CONDITION_FAILED,
        fields: { Item: absent },
      },
      getIs(A, OLD),
    ],
  },
  {
    name: 'DeleteItem condition failure with ALL_OLD carries the item; an absent item gives none',
    says: 'DeleteItem with ReturnValuesOnConditionCheckFailure ALL_OLD returns the item on a failed condition; there is nothing to return when the item does not exist.',
    doc: `${API}/API_DeleteItem.html#DDB-DeleteItem-request-ReturnValuesOnConditionCheckFailure`,
    table: 'hash',
    steps: [
      put(OLD),
      {
        op: 'DeleteItem',
        params: {
          TableName: '$T',
          Key: A,
          ConditionExpression: 'note = :x',
          ExpressionAttributeValues: { ':x': S('other') },
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        },
        error: CONDITION_FAILED,
        fields: { Item: OLD },
      },
      {
        op: 'DeleteItem',
        params: {
          TableName: '$T',
          Key: { pk: S('missing') },
          ConditionExpression: 'attribute_exists(pk)',
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        },
        error: CONDITION_FAILED,
        fields: { Item: absent },
      },
      getIs(A, OLD),
    ],
  },
  {
    name: 'ReturnValuesOnConditionCheckFailure accepts only ALL_OLD and NONE',
    says: 'Valid values: ALL_OLD | NONE; anything else is a ValidationException.',
    doc: `${API}/API_PutItem.html#DDB-PutItem-request-ReturnValuesOnConditionCheckFailure`,
    table: 'hash',
    differs: { moto: 'moto accepts ALL_NEW and writes the item' },
    steps: [
      {
        op: 'PutItem',
        params: { TableName: '$T', Item: OLD, ReturnValuesOnConditionCheckFailure: 'ALL_NEW' },
        error: 'ValidationException',
      },
    ],
  },
  {
    name: 'Conditional UpdateItem and DeleteItem succeed when the condition holds, with ReturnValues',
    says: 'UpdateItem with ReturnValues ALL_NEW returns the item after the update; DeleteItem with ReturnValues ALL_OLD returns the deleted item.',
    doc: `${API}/API_UpdateItem.html#DDB-UpdateItem-request-ReturnValues`,
    table: 'hash',
    steps: [
      put(OLD),
      {
        op: 'UpdateItem',
        params: {
          TableName: '$T',
          Key: A,
          UpdateExpression: 'SET v = v + :one',
          ConditionExpression: 'v = :one',
          ExpressionAttributeValues: { ':one': N('1') },
          ReturnValues: 'ALL_NEW',
        },
        ok: { Attributes: { pk: S('a'), v: N('2'), note: S('old') } },
      },
      {
        op: 'DeleteItem',
        params: {
          TableName: '$T',
          Key: A,
          ConditionExpression: 'v = :two',
          ExpressionAttributeValues: { ':two': N('2') },
          ReturnValues: 'ALL_OLD',
        },
        ok: { Attributes: { pk: S('a'), v: N('2'), note: S('old') } },
      },
      { op: 'GetItem', params: { TableName: '$T', Key: A, ConsistentRead: true }, ok: { Item: absent } },
    ],
  },
  {
    name: 'BatchWriteItem takes 25 puts and answers an empty UnprocessedItems map',
    says: 'A batch holds up to 25 put or delete requests; UnprocessedItems is a map of table name to the requests not processed, empty when all were.',
    doc: `${API}/API_BatchWriteItem.html#DDB-BatchWriteItem-response-UnprocessedItems`,
    table: 'hash',
    steps: [
      {
        op: 'BatchWriteItem',
        params: {
          RequestItems: {
            $T: Array.from({ length: 25 }, (_, i) => ({
              PutRequest: { Item: { pk: S(`k${i}`), n: N(String(i)) } },
            })),
          },
        },
        ok: { UnprocessedItems: {} },
      },
      { op: 'ScanAll', params: { TableName: '$T', Limit: 10 }, ok: { Count: 25, Distinct: 25 } },
    ],
  },
  {
    name: 'BatchWriteItem refuses 26 requests, and two requests for one key',
    says: 'More than 25 requests in the batch, or operations on the same item in one BatchWriteItem, are a ValidationException.',
    doc: `${API}/API_BatchWriteItem.html`,
    table: 'hash',
    differs: { moto: 'moto accepts 26 requests, and two requests for one key' },
    steps: [
      {
        op: 'BatchWriteItem',
        params: {
          RequestItems: {
            $T: Array.from({ length: 26 }, (_, i) => ({ PutRequest: { Item: { pk: S(`k${i}`) } } })),
          },
        },
        error: 'ValidationException',
      },
      {
        op: 'BatchWriteItem',
        params: {
          RequestItems: {
            $T: [{ PutRequest: { Item: { pk: S('same') } } }, { DeleteRequest: { Key: { pk: S('same') } } }],
          },
        },
        error: 'ValidationException',
      },
    ],
  },
  {
    name: 'A strongly consistent GetItem sees the write just made, and a missing item has no Item',
    says: 'ConsistentRead true returns a result that reflects all writes that received a successful response before the read; no matching item means no Item element.',
    doc: `${API}/API_GetItem.html#DDB-GetItem-request-ConsistentRead`,
    table: 'hash',
    steps: [
      put({ pk: S('c'), v: N('1') }),
      { op: 'PutItem', params: { TableName: '$T', Item: { pk: S('c'), v: N('2') } }, ok: {} },
      getIs({ pk: S('c') }, { pk: S('c'), v: N('2') }),
      {
        op: 'GetItem',
        params: { TableName: '$T', Key: { pk: S('nope') }, ConsistentRead: true },
        ok: { Item: absent },
      },
    ],
  },
  {
    name: 'Query: key condition on the sort key, descending order, paging with Limit',
    says: 'Query returns items with the partition key value, sorted by sort key (ScanIndexForward false: descending); Limit caps a page and LastEvaluatedKey continues it.',
    doc: `${GUIDE}/Query.Pagination.html`,
    table: 'composite',
    steps: [
      ...[1, 2, 3, 4, 5].map((i) => put({ pk: S('p'), sk: N(String(i)) })),
      put({ pk: S('other'), sk: N('9') }),
      {
        op: 'Query',
        params: {
          TableName: '$T',
          KeyConditionExpression: 'pk = :p AND sk > :s',
          ExpressionAttributeValues: { ':p': S('p'), ':s': N('2') },
          ScanIndexForward: false,
          ConsistentRead: true,
        },
        ok: {
          Count: 3,
          Items: [{ sk: N('5') }, { sk: N('4') }, { sk: N('3') }],
          LastEvaluatedKey: absent,
        },
      },
      {
        op: 'QueryAll',
        params: {
          TableName: '$T',
          KeyConditionExpression: 'pk = :p',
          ExpressionAttributeValues: { ':p': S('p') },
          Limit: 2,
        },
        ok: { Count: 5, Distinct: 5, Items: [1, 2, 3, 4, 5].map((i) => ({ sk: N(String(i)) })) },
      },
    ],
  },
  {
    name: 'Scan pages with Limit and ExclusiveStartKey until LastEvaluatedKey is absent',
    says: 'A Scan returns at most Limit items and a LastEvaluatedKey while more remain; passing it as ExclusiveStartKey gives the next page; every item is returned once.',
    doc: `${GUIDE}/Scan.html#Scan.Pagination`,
    table: 'hash',
    steps: [
      ...[1, 2, 3, 4, 5, 6, 7].map((i) => put({ pk: S(`s${i}`) })),
      { op: 'Scan', params: { TableName: '$T', Limit: 3 }, ok: { Count: 3, Items: { $len: 3 } } },
      {
        op: 'ScanAll',
        params: { TableName: '$T', Limit: 3 },
        ok: { Count: 7, Distinct: 7, Pages: { $in: [3, 4] } },
      },
    ],
  },
  {
    name: 'Numbers keep 38 significant digits; 39 are refused',
    says: 'Numbers can have up to 38 digits of precision; exceeding it is a ValidationException.',
    doc: `${GUIDE}/HowItWorks.NamingRulesDataTypes.html#HowItWorks.DataTypes.Number`,
    table: 'hash',
    differs: { moto: 'moto stores a number of 39 significant digits' },
    steps: [
      put({
        pk: S('n'),
        big: N('12345678901234567890123456789012345678'),
        small: N('-0.12345678901234567890123456789012345678'),
      }),
      getIs(
        { pk: S('n') },
        {
          pk: S('n'),
          big: N('12345678901234567890123456789012345678'),
          small: N('-0.12345678901234567890123456789012345678'),
        },
      ),
      {
        op: 'PutItem',
        params: { TableName: '$T', Item: { pk: S('n'), big: N('123456789012345678901234567890123456789') } },
        error: 'ValidationException',
      },
    ],
  },
  {
    name: 'An item up to 400 KB is stored; a larger one is refused',
    says: 'The maximum item size is 400 KB, attribute names and values together; a larger PutItem is a ValidationException.',
    doc: `${GUIDE}/ServiceQuotas.html#limits-items`,
    table: 'hash',
    differs: { moto: 'moto refuses an item of 399 KB as over the maximum size' },
    steps: [
      put({ pk: S('big'), d: S('x'.repeat(400 * 1024 - 1024)) }),
      {
        op: 'PutItem',
        params: { TableName: '$T', Item: { pk: S('big'), d: S('x'.repeat(400 * 1024 + 1)) } },
        error: 'ValidationException',
      },
      {
        op: 'GetItem',
        params: { TableName: '$T', Key: { pk: S('big') }, ConsistentRead: true, ProjectionExpression: 'pk' },
        ok: { Item: { pk: S('big') } },
      },
    ],
  },
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
  {
    name: 'UpdateTimeToLive turns TTL on; DescribeTimeToLive reports it; enabling twice is refused',
    says: 'UpdateTimeToLive answers the TimeToLiveSpecification it applied; DescribeTimeToLive gives TimeToLiveStatus (DISABLED before, ENABLING or ENABLED after) and the AttributeName; TTL already enabled is a ValidationException.',
    doc: `${API}/API_UpdateTimeToLive.html`,
    table: 'hash',
    differs: { moto: 'moto accepts enabling TTL twice' },
    steps: [
      {
        op: 'DescribeTimeToLive',
        params: { TableName: '$T' },
        ok: { TimeToLiveDescription: { TimeToLiveStatus: 'DISABLED' } },
      },
      {
        op: 'UpdateTimeToLive',
        params: { TableName: '$T', TimeToLiveSpecification: { Enabled: true, AttributeName: 'expires' } },
        ok: { TimeToLiveSpecification: { Enabled: true, AttributeName: 'expires' } },
      },
      {
        op: 'DescribeTimeToLive',
        params: { TableName: '$T' },
        ok: {
          TimeToLiveDescription: {
            TimeToLiveStatus: { $in: ['ENABLING', 'ENABLED'] },
            AttributeName: 'expires',
          },
        },
      },
      {
        op: 'UpdateTimeToLive',
        params: { TableName: '$T', TimeToLiveSpecification: { Enabled: true, AttributeName: 'expires' } },
        error: 'ValidationException',
      },
    ],
  },
  {
    name: 'DescribeTimeToLive on a table that does not exist',
    says: 'ResourceNotFoundException: the operation tried to access a nonexistent table.',
    doc: `${API}/API_DescribeTimeToLive.html#API_DescribeTimeToLive_Errors`,
    table: 'hash',
    differs: { moto: 'moto answers the error code ResourceNotFound, not ResourceNotFoundException' },
    steps: [
      {
        op: 'DescribeTimeToLive',
        params: { TableName: 'no-such-table-conformance' },
        error: 'ResourceNotFoundException',
      },
    ],
  },
];
