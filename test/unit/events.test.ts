import { compareSequencers, decodeS3Key, encodeS3Key, normaliseEvent } from '@eventline/core';
import { describe, expect, it } from 'vitest';

const s3Record = (key: string, extra: Record<string, unknown> = {}) => ({
  eventVersion: '2.1',
  eventSource: 'aws:s3',
  awsRegion: 'us-east-1',
  eventTime: '2026-01-05T10:00:00.123Z',
  eventName: 'ObjectCreated:Put',
  userIdentity: { principalId: 'AWS:AIDAEXAMPLE' },
  requestParameters: { sourceIPAddress: '127.0.0.1' },
  responseElements: { 'x-amz-request-id': 'C3D13FE58DE4C810', 'x-amz-id-2': 'FMyU' },
  s3: {
    s3SchemaVersion: '1.0',
    configurationId: 'incoming-json',
    bucket: {
      name: 'my-bucket',
      ownerIdentity: { principalId: 'A3NL1KOZZKExample' },
      arn: 'arn:aws:s3:::my-bucket',
    },
    object: {
      key,
      size: 1024,
      eTag: 'd41d8cd98f00b204e9800998ecf8427e',
      sequencer: '0055AED6DCD90281E5',
      ...extra,
    },
  },
});

describe('normaliseEvent: direct S3 notifications', () => {
  it('reads every record of the batch, not only the first', () => {
    const messages = normaliseEvent({ Records: [s3Record('incoming/a.json'), s3Record('incoming/b.json')] });
    expect(messages.map((m) => m.objects[0]?.key)).toEqual(['incoming/a.json', 'incoming/b.json']);
    expect(messages.map((m) => m.id)).toEqual(['record-0', 'record-1']);
  });

  it('decodes keys as S3 encodes them: + is a space, %2B a plus, UTF-8 percent-encoded', () => {
    const [message] = normaliseEvent({ Records: [s3Record('incoming/my+file%2Bv2+%C3%A9t%C3%A9%3A1.json')] });
    expect(message?.objects[0]).toMatchObject({
      bucket: 'my-bucket',
      key: 'incoming/my file+v2 été:1.json',
      size: 1024,
      eTag: 'd41d8cd98f00b204e9800998ecf8427e',
      sequencer: '0055AED6DCD90281E5',
      eventName: 'ObjectCreated:Put',
      origin: 's3',
    });
  });

  it('keeps versionId when the bucket is versioned and strips quotes from eTags', () => {
    const [message] = normaliseEvent({
      Records: [s3Record('incoming/a.json', { versionId: 'v1', eTag: '"abc"' })],
    });
    expect(message?.objects[0]?.versionId).toBe('v1');
    expect(message?.objects[0]?.eTag).toBe('abc');
  });

  it('skips (and reports) events that are not creations', () => {
    const removed = { ...s3Record('incoming/a.json'), eventName: 'ObjectRemoved:Delete' };
    const [message] = normaliseEvent({ Records: [removed] });
    expect(message?.objects).toEqual([]);
    expect(message?.skipped).toEqual([{ eventName: 'ObjectRemoved:Delete', key: 'incoming/a.json' }]);
  });

  it('accepts newer minor versions and unknown fields', () => {
    const record = { ...s3Record('incoming/a.json'), eventVersion: '2.6', somethingNew: { x: 1 } };
    expect(normaliseEvent({ Records: [record] })[0]?.kind).toBe('objects');
  });

  it('marks a record with a bad shape invalid and says which field', () => {
    const broken = s3Record('incoming/a.json');
    (broken.s3 as { bucket?: unknown }).bucket = undefined;
    const [message] = normaliseEvent({ Records: [s3Record('incoming/ok.json'), broken] }).slice(1);
    expect(message?.kind).toBe('invalid');
    expect(message?.reason).toMatch(/Records\[1\].*s3\.bucket/);
  });

  it('marks a key with a broken percent-encoding invalid instead of throwing', () => {
    const [message] = normaliseEvent({ Records: [s3Record('incoming/100%.json')] });
    expect(message?.kind).toBe('invalid');
    expect(message?.reason).toMatch(/s3\.object\.key/);
  });

  it('acknowledges the s3:TestEvent', () => {
    const test = {
      Service: 'Amazon S3',
      Event: 's3:TestEvent',
      Time: '2026-01-05T10:00:00.123Z',
      Bucket: 'b',
      RequestId: 'r',
      HostId: 'h',
    };
    expect(normaliseEvent(test)).toMatchObject([{ kind: 'test' }]);
  });

  it('calls an unrecognised event invalid, never throws', () => {
    for (const input of [null, 42, 'text', {}, { Records: 'no' }, []]) {
      const messages = normaliseEvent(input);
      expect(messages).toHaveLength(1);
      expect(messages[0]?.kind).toBe('invalid');
    }
  });
});

describe('normaliseEvent: SQS', () => {
  const sqs = (body: string, messageId = 'm-1') => ({
    messageId,
    receiptHandle: 'rh',
    body,
    attributes: {
      ApproximateReceiveCount: '1',
      SentTimestamp: '1',
      SenderId: 's',
      ApproximateFirstReceiveTimestamp: '1',
    },
    messageAttributes: {},
    md5OfBody: 'x',
    eventSource: 'aws:sqs',
    eventSourceARN: 'arn:aws:sqs:us-east-1:111122223333:q',
    awsRegion: 'us-east-1',
  });

  it('unwraps S3 notifications from message bodies, one message per SQS record', () => {
    const messages = normaliseEvent({
      Records: [
        sqs(JSON.stringify({ Records: [s3Record('incoming/a.json')] }), 'm-1'),
        sqs(JSON.stringify({ Records: [s3Record('incoming/b.json'), s3Record('incoming/c.json')] }), 'm-2'),
      ],
    });
    expect(messages.map((m) => [m.id, m.objects.map((o) => o.key)])).toEqual([
      ['m-1', ['incoming/a.json']],
      ['m-2', ['incoming/b.json', 'incoming/c.json']],
    ]);
  });

  it('unwraps S3 -> SNS -> SQS envelopes', () => {
    const envelope = {
      Type: 'Notification',
      MessageId: 'dc1e94d9',
      TopicArn: 'arn:aws:sns:us-east-1:111122223333:s3-events',
      Subject: 'Amazon S3 Notification',
      Message: JSON.stringify({ Records: [s3Record('incoming/x.json')] }),
      Timestamp: '2026-01-05T10:00:01.456Z',
    };
    const [message] = normaliseEvent({ Records: [sqs(JSON.stringify(envelope))] });
    expect(message?.objects[0]?.key).toBe('incoming/x.json');
  });

  it('recognises the test event in a body and garbage bodies as invalid, naming the message', () => {
    const [test, garbage, notS3] = normaliseEvent({
      Records: [
        sqs(JSON.stringify({ Service: 'Amazon S3', Event: 's3:TestEvent' }), 't'),
        sqs('{not json', 'g'),
        sqs(JSON.stringify({ hello: 'world' }), 'n'),
      ],
    });
    expect(test?.kind).toBe('test');
    expect(garbage).toMatchObject({ id: 'g', kind: 'invalid' });
    expect(garbage?.reason).toMatch(/SQS message g: body is not JSON/);
    expect(notS3).toMatchObject({ id: 'n', kind: 'invalid' });
  });
});

describe('normaliseEvent: EventBridge', () => {
  const event = {
    version: '0',
    id: '17793124-05d4-b198-2fde-7ededc63b103',
    'detail-type': 'Object Created',
    source: 'aws.s3',
    account: '111122223333',
    time: '2026-01-05T10:00:00Z',
    region: 'us-east-1',
    resources: ['arn:aws:s3:::my-bucket'],
    detail: {
      version: '0',
      bucket: { name: 'my-bucket' },
      object: {
        key: 'incoming/a b+c.json',
        size: 5,
        etag: 'b1946ac92492d2347c6235b4d2611184',
        'version-id': 'IYV3p45BT0ac8hjHg1houSdS1a.Mro8e',
        sequencer: '617f08299329d189',
      },
      'request-id': 'N4N7GDK58NMKJ12R',
      requester: '123456789012',
      'source-ip-address': '1.2.3.4',
      reason: 'PutObject',
    },
  };

  it('normalises Object Created with the raw (not URL-encoded) key', () => {
    const [message] = normaliseEvent(event);
    expect(message?.objects[0]).toEqual({
      bucket: 'my-bucket',
      key: 'incoming/a b+c.json',
      size: 5,
      eTag: 'b1946ac92492d2347c6235b4d2611184',
      versionId: 'IYV3p45BT0ac8hjHg1houSdS1a.Mro8e',
      sequencer: '617f08299329d189',
      eventTime: '2026-01-05T10:00:00Z',
      eventName: 'ObjectCreated:Put',
      region: 'us-east-1',
      origin: 'eventbridge',
    });
  });

  it('skips other detail types', () => {
    const [message] = normaliseEvent({ ...event, 'detail-type': 'Object Deleted' });
    expect(message?.objects).toEqual([]);
    expect(message?.skipped[0]?.eventName).toBe('Object Deleted');
  });
});

describe('keys and sequencers', () => {
  it('encodes keys the way S3 does and decodes them back', () => {
    const keys = [
      'incoming/red flower.jpg',
      'incoming/a+b.json',
      'incoming/é/ü 1.json',
      'incoming/x=1:2.json',
      "incoming/it's(1)~!*.json",
    ];
    for (const key of keys) expect(decodeS3Key(encodeS3Key(key))).toBe(key);
    expect(encodeS3Key('incoming/red flower+1.json')).toBe('incoming/red+flower%2B1.json');
    expect(encodeS3Key('a:b=c')).toBe('a%3Ab%3Dc');
  });

  it('orders sequencers of different lengths by right-padding with zeros', () => {
    expect(compareSequencers('0055AED6DCD90281E5', '0055AED6DCD90281E6')).toBe(-1);
    expect(compareSequencers('0055AED6DCD90281E5', '0055AED6DCD90281E500')).toBe(0);
    expect(compareSequencers('0055AED6DCD90281F', '0055AED6DCD90281E5')).toBe(1);
    expect(compareSequencers('00ab', '00AB')).toBe(0);
  });
});

describe('normaliseEvent: shape checks name the field and what was wrong', () => {
  const record = (overrides: Record<string, unknown>, object: Record<string, unknown> = {}) => ({
    eventVersion: '2.1',
    eventSource: 'aws:s3',
    eventTime: '2026-01-05T10:00:00.000Z',
    eventName: 'ObjectCreated:Put',
    s3: { bucket: { name: 'b' }, object: { key: 'incoming/a.json', ...object } },
    ...overrides,
  });

  it.each([
    [record({ eventVersion: '3.0' }), /Records\[0\]: eventVersion: expected a 2\.x eventVersion/],
    [record({ eventSource: 'aws:s4' }), /eventSource: expected "aws:s3", received "aws:s4"/],
    [record({ eventTime: 7 }), /eventTime: expected string, received number/],
    [record({}, { size: -1 }), /s3\.object\.size: expected a non-negative integer/],
    [record({}, { size: '12' }), /s3\.object\.size: expected number, received string/],
    [record({}, { key: '' }), /s3\.object\.key: expected a string of at least 1 character/],
    [record({ s3: null }), /s3: expected object, received null/],
  ])('rejects %j', (candidate, reason) => {
    const [message] = normaliseEvent({ Records: [candidate] });
    expect(message?.kind).toBe('invalid');
    expect(message?.reason).toMatch(reason);
  });

  it('accepts a null versionId (unversioned buckets) and omitted optional fields', () => {
    const [message] = normaliseEvent({ Records: [record({}, { versionId: null })] });
    expect(message?.kind).toBe('objects');
  });

  it('reports at most three problems of an EventBridge event', () => {
    const [message] = normaliseEvent({ source: 'aws.s3', detail: {} });
    expect(message?.kind).toBe('invalid');
    expect(message?.reason?.split('; ')).toHaveLength(3);
    expect(message?.reason).toMatch(/^detail-type: expected string, received undefined/);
  });
});
