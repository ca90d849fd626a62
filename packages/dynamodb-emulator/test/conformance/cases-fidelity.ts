/**
 * The divergences issue 27 measured between the emulator and DynamoDB (by a differential test
 * against DynamoDB Local), one case each, numbered as in the issue. #5 (a data error inside a
 * transaction) is the transaction case "A write that cannot be applied cancels the transaction
 * with a ValidationError reason".
 */
import { A, API, absent, type Case, CONDITION_FAILED, GUIDE, getIs, N, put, S } from './case-kit.ts';

const VALIDATION = 'ValidationException';
const cond = (expression: string, values?: Record<string, unknown>) => ({
  op: 'UpdateItem',
  params: {
    TableName: '$T',
    Key: A,
    UpdateExpression: 'SET touched = :one',
    ConditionExpression: expression,
    ExpressionAttributeValues: { ':one': N('1'), ...values },
  },
});
const CONDITIONS = `${GUIDE}/Expressions.OperatorsAndFunctions.html`;
const LIMITS = `${GUIDE}/ServiceQuotas.html#limits-expression-parameters`;

export const fidelityCases: Case[] = [
  {
    name: '#1 Two absent attributes do not compare equal (PutItem, transaction, Scan filter)',
    says: 'A comparison with an attribute that does not exist is false (`a = b`, `a >= b`), `<>` true; a transaction whose condition is false is cancelled.',
    doc: CONDITIONS,
    differs: { moto: 'moto treats two absent attributes as equal: `a = b` passes on a new item' },
    table: 'hash',
    steps: [
      {
        op: 'PutItem',
        params: { TableName: '$T', Item: { pk: S('new') }, ConditionExpression: 'a = b' },
        error: CONDITION_FAILED,
      },
      {
        op: 'PutItem',
        params: { TableName: '$T', Item: { pk: S('new') }, ConditionExpression: 'a <> b' },
        ok: {},
      },
      {
        op: 'TransactWriteItems',
        params: {
          TransactItems: [{ Put: { TableName: '$T', Item: { pk: S('t') }, ConditionExpression: 'a <= b' } }],
        },
        error: 'TransactionCanceledException',
        fields: { CancellationReasons: [{ Code: 'ConditionalCheckFailed' }] },
      },
      {
        op: 'Scan',
        params: { TableName: '$T', FilterExpression: 'a >= b' },
        ok: { Count: 0, ScannedCount: 1 },
      },
    ],
  },
  {
    name: '#2 Empty strings are ordinary operands of IN, BETWEEN, size() and attribute_type()',
    says: 'Non-key String and Binary attributes may be empty; an empty string equals an empty string, sorts first, and has size 0.',
    doc: `${GUIDE}/HowItWorks.NamingRulesDataTypes.html#HowItWorks.DataTypes`,
    differs: { moto: 'moto fails IN, BETWEEN and size() conditions on an empty string' },
    table: 'hash',
    steps: [
      put({ pk: S('a'), st: S(''), bin: { B: '' } }),
      cond('st IN (:none, :pending)', { ':none': S(''), ':pending': S('pending') }),
      cond('st BETWEEN :e AND :z', { ':e': S(''), ':z': S('z') }),
      cond('size(st) = :zero AND size(bin) = :zero', { ':zero': N('0') }),
      cond('attribute_type(st, :s) AND attribute_type(bin, :b)', { ':s': S('S'), ':b': S('B') }),
    ].map((step, i) => (i === 0 ? step : { ...step, ok: {} })),
  },
  {
    name: '#3 Arithmetic past 38 significant digits or out of range is refused',
    says: 'Numbers have up to 38 digits of precision and range from 1E-130 to 9.9999999999999999999999999999999999999E+125; a result outside refuses the update.',
    doc: `${GUIDE}/HowItWorks.NamingRulesDataTypes.html#HowItWorks.DataTypes.Number`,
    differs: {
      moto: 'moto accepts the arithmetic and stores the sum rounded (1.234567890123456789012345679E+37)',
    },
    table: 'hash',
    steps: [
      put({ pk: S('a'), bal: N('12345678901234567890123456789012345678') }),
      {
        op: 'UpdateItem',
        params: {
          TableName: '$T',
          Key: A,
          UpdateExpression: 'ADD bal :c',
          ExpressionAttributeValues: { ':c': N('0.01') },
        },
        error: VALIDATION,
      },
      {
        op: 'UpdateItem',
        params: {
          TableName: '$T',
          Key: A,
          UpdateExpression: 'SET big = :m + :m',
          ExpressionAttributeValues: { ':m': N('9.9999999999999999999999999999999999999E+125') },
        },
        error: VALIDATION,
      },
      getIs(A, { pk: S('a'), bal: N('12345678901234567890123456789012345678') }),
    ],
  },
  {
    name: '#4 An operand of a type that cannot be ordered refuses the expression',
    says: '`<`, `<=`, `>`, `>=` and BETWEEN compare Strings, Numbers and Binaries; a map, list, set or boolean value is an incorrect operand type (ValidationException), even behind OR.',
    doc: `${GUIDE}/Expressions.OperatorsAndFunctions.html#Expressions.OperatorsAndFunctions.Comparators`,
    differs: { moto: 'moto accepts a map operand of `<`, and the write behind OR happens' },
    table: 'hash',
    steps: [
      put({ pk: S('a'), v: N('1') }),
      { ...cond('v < :map', { ':map': { M: {} } }), error: VALIDATION },
      {
        op: 'PutItem',
        params: {
          TableName: '$T',
          Item: { pk: S('b') },
          ConditionExpression: 'v < :map OR attribute_not_exists(pk)',
          ExpressionAttributeValues: { ':map': { M: {} } },
        },
        error: VALIDATION,
      },
      {
        op: 'GetItem',
        params: { TableName: '$T', Key: { pk: S('b') }, ConsistentRead: true },
        ok: { Item: absent },
      },
    ],
  },
  {
    name: '#6 An empty string as a global secondary index key is refused',
    says: 'Key attributes of a table or an index cannot be empty strings or binaries.',
    doc: `${GUIDE}/HowItWorks.NamingRulesDataTypes.html#HowItWorks.DataTypes`,
    table: 'indexed',
    steps: [
      { op: 'PutItem', params: { TableName: '$T', Item: { pk: S('a'), g: S('') } }, error: VALIDATION },
      put({ pk: S('a'), g: S('g1') }),
      {
        op: 'UpdateItem',
        params: {
          TableName: '$T',
          Key: A,
          UpdateExpression: 'SET g = :e',
          ExpressionAttributeValues: { ':e': S('') },
        },
        error: VALIDATION,
      },
      getIs(A, { pk: S('a'), g: S('g1') }),
    ],
  },
  {
    name: '#7 A Query of an INCLUDE index may not name attributes the index does not project',
    says: 'Global secondary index queries cannot fetch attributes from the parent table; the index answers what it projects.',
    doc: `${GUIDE}/GSI.html#GSI.Projections`,
    differs: { moto: 'moto answers a Query that filters on an attribute the index does not project' },
    table: 'indexed',
    steps: [
      put({ pk: S('a'), g: S('g1'), a: N('1'), n: N('5') }),
      {
        op: 'Query',
        params: {
          TableName: '$T',
          IndexName: 'byG',
          KeyConditionExpression: 'g = :g',
          FilterExpression: 'n = :n',
          ExpressionAttributeValues: { ':g': S('g1'), ':n': N('5') },
        },
        error: VALIDATION,
      },
      {
        op: 'Query',
        params: {
          TableName: '$T',
          IndexName: 'byG',
          KeyConditionExpression: 'g = :g',
          FilterExpression: 'a = :a',
          ExpressionAttributeValues: { ':g': S('g1'), ':a': N('1') },
        },
        ok: { Count: 1, Items: [{ pk: S('a'), g: S('g1'), a: N('1') }] },
      },
    ],
  },
  {
    name: '#7 A Scan of an INCLUDE index filters what the index projects',
    says: 'Global secondary index queries cannot fetch attributes from the parent table: an attribute the index does not project is absent from its entries, so a filter on it matches none.',
    doc: `${GUIDE}/GSI.html#GSI.Projections`,
    differs: {
      ddblocal: 'DynamoDB Local evaluates the filter against the table item and returns the index entry',
    },
    table: 'indexed',
    steps: [
      put({ pk: S('a'), g: S('g1'), a: N('1'), n: N('5') }),
      {
        op: 'Scan',
        params: {
          TableName: '$T',
          IndexName: 'byG',
          FilterExpression: 'n = :n',
          ExpressionAttributeValues: { ':n': N('5') },
        },
        ok: { Count: 0, ScannedCount: 1 },
      },
    ],
  },
  {
    name: '#8 One item twice in a transaction is refused (1.5 and 1.50 are one key)',
    says: 'A transaction cannot include multiple operations on one item; Number keys are equal by value (leading and trailing zeroes are trimmed).',
    doc: `${API}/API_TransactWriteItems.html`,
    differs: { moto: 'moto applies both puts of one item (sk 1.5 and 1.50) and reads one item twice' },
    table: 'composite',
    steps: [
      {
        op: 'TransactWriteItems',
        params: {
          TransactItems: [
            { Put: { TableName: '$T', Item: { pk: S('a'), sk: N('1.5') } } },
            { Put: { TableName: '$T', Item: { pk: S('a'), sk: N('1.50') } } },
          ],
        },
        error: VALIDATION,
      },
      {
        op: 'TransactGetItems',
        params: {
          TransactItems: [
            { Get: { TableName: '$T', Key: { pk: S('a'), sk: N('1') } } },
            { Get: { TableName: '$T', Key: { pk: S('a'), sk: N('1') } } },
          ],
        },
        error: VALIDATION,
      },
    ],
  },
  {
    name: '#9 A failing condition is reported before a key-attribute update; an oversized value before the condition',
    says: 'The condition is evaluated before the update is applied to the item; the request is validated (item size included) before that.',
    doc: `${API}/API_UpdateItem.html#API_UpdateItem_Errors`,
    differs: {
      moto: 'moto answers HTTP 500 to an update of a key attribute under a failing condition, and checks the size after the condition',
    },
    table: 'hash',
    steps: [
      put({ pk: S('a') }),
      {
        op: 'UpdateItem',
        params: {
          TableName: '$T',
          Key: A,
          UpdateExpression: 'SET pk = :x',
          ConditionExpression: 'attribute_not_exists(pk)',
          ExpressionAttributeValues: { ':x': S('x') },
        },
        error: CONDITION_FAILED,
      },
      {
        op: 'UpdateItem',
        params: {
          TableName: '$T',
          Key: A,
          UpdateExpression: 'SET big = :x',
          ConditionExpression: 'attribute_not_exists(pk)',
          ExpressionAttributeValues: { ':x': S('x'.repeat(410_000)) },
        },
        error: VALIDATION,
      },
    ],
  },
  {
    name: '#10 UPDATED_OLD / UPDATED_NEW: none when nothing was updated; the top-level attribute of a nested path',
    says: 'UPDATED_OLD returns only the updated attributes, as they appeared before the UpdateItem operation; UPDATED_NEW as they appear after it.',
    doc: `${API}/API_UpdateItem.html#DDB-UpdateItem-request-ReturnValues`,
    differs: { moto: 'moto returns only the updated sub-path of a nested attribute' },
    table: 'hash',
    steps: [
      put({ pk: S('a'), m: { M: { x: N('1'), y: N('2') } } }),
      {
        op: 'UpdateItem',
        params: { TableName: '$T', Key: A, UpdateExpression: 'REMOVE nothing', ReturnValues: 'UPDATED_OLD' },
        ok: { Attributes: absent },
      },
      {
        op: 'UpdateItem',
        params: {
          TableName: '$T',
          Key: A,
          UpdateExpression: 'SET m.x = :z',
          ExpressionAttributeValues: { ':z': N('9') },
          ReturnValues: 'UPDATED_NEW',
        },
        ok: { Attributes: { m: { M: { x: N('9'), y: N('2') } } } },
      },
    ],
  },
  {
    name: '#11 DeleteItem refuses ReturnValues ALL_NEW',
    says: 'For DeleteItem, ReturnValues is NONE or ALL_OLD.',
    doc: `${API}/API_DeleteItem.html#DDB-DeleteItem-request-ReturnValues`,
    table: 'hash',
    steps: [
      put({ pk: S('a') }),
      { op: 'DeleteItem', params: { TableName: '$T', Key: A, ReturnValues: 'ALL_NEW' }, error: VALIDATION },
      getIs(A, { pk: S('a') }),
    ],
  },
  {
    name: '#12 Expression and request limits are enforced',
    says: 'Nesting up to 32 levels, at most 100 operands for IN, expressions up to 4 KB; Segment and TotalSegments go together; ALL_PROJECTED_ATTRIBUTES needs an index.',
    doc: LIMITS,
    differs: { moto: 'moto enforces none of these limits (some answer HTTP 500)' },
    table: 'hash',
    steps: [
      put({ pk: S('a'), l: { L: [N('1')] } }),
      { ...cond(`${Array.from({ length: 33 }, () => 'm').join('.')} = :one`), error: VALIDATION },
      {
        ...cond(
          `v IN (${Array.from({ length: 101 }, (_, i) => `:v${i}`).join(', ')})`,
          Object.fromEntries(Array.from({ length: 101 }, (_, i) => [`:v${i}`, N(String(i))])),
        ),
        error: VALIDATION,
      },
      { ...cond(`attribute_exists(pk) OR ${'v = :one OR '.repeat(400)}v = :one`), error: VALIDATION },
      // Over 4 KB with 20 operands and 2 operators: the size limit alone.
      {
        ...cond(
          `attribute_exists(pk) OR v IN (${Array.from({ length: 20 }, (_, i) => `:${'v'.repeat(200)}${i}`).join(', ')})`,
          Object.fromEntries(Array.from({ length: 20 }, (_, i) => [`:${'v'.repeat(200)}${i}`, N(String(i))])),
        ),
        error: VALIDATION,
      },
      { op: 'Scan', params: { TableName: '$T', Segment: 0 }, error: VALIDATION },
      { op: 'Scan', params: { TableName: '$T', Select: 'ALL_PROJECTED_ATTRIBUTES' }, error: VALIDATION },
      {
        op: 'GetItem',
        params: { TableName: '$T', Key: A, ProjectionExpression: 'l[99999999999]' },
        error: VALIDATION,
      },
    ],
  },
  {
    name: '#13 NOT NOT is evaluated; a Number may be written with a leading plus sign',
    says: 'NOT negates a condition, and a negation is a condition. Numbers are sent as strings and stored without insignificant signs and zeroes (+1 is 1).',
    doc: `${GUIDE}/Expressions.OperatorsAndFunctions.html#Expressions.OperatorsAndFunctions.Syntax`,
    differs: { moto: 'moto answers HTTP 500 to NOT NOT' },
    table: 'hash',
    steps: [
      put({ pk: S('a') }),
      { ...cond('NOT NOT attribute_exists(pk)'), ok: {} },
      { ...cond('NOT NOT attribute_not_exists(pk)'), error: CONDITION_FAILED },
      put({ pk: S('b'), v: N('+1'), w: N('+1.50') }),
      getIs({ pk: S('b') }, { pk: S('b'), v: N('1'), w: N('1.5') }),
    ],
  },
];
