import { A, API, absent, type Case, CONDITION_FAILED, GUIDE, getIs, N, OLD, put, S } from './case-kit.ts';

/** Single-item and batch writes with conditions, reads, Query and Scan paging, number and item size limits. */
export const itemCases: Case[] = [
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
];
