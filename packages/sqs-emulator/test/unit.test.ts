import { describe, expect, it } from 'vitest';
import { VisibilityHeap } from '../src/heap.ts';
import { createSqsEmulator, md5OfAttributes, md5OfBody, SqsApiError } from '../src/index.ts';
import { queryInput } from '../src/query.ts';
import { checkQueueAttributes, normaliseRedrivePolicy } from '../src/validation.ts';

/** The parts that need no network: heap order, Query decoding, validation, and the in-process call. */

describe('VisibilityHeap', () => {
  it('pops entries in time order whatever the push order', () => {
    const heap = new VisibilityHeap();
    // A fixed pseudo-random sequence (no Math.random: the test must fail the same way every time).
    let seed = 7;
    const times: number[] = [];
    for (let i = 0; i < 500; i++) {
      seed = (seed * 48271) % 2147483647;
      times.push(seed % 1000);
      heap.push({ at: seed % 1000, id: String(i) });
    }
    const popped: number[] = [];
    for (let entry = heap.pop(); entry; entry = heap.pop()) popped.push(entry.at);
    expect(popped).toEqual([...times].sort((a, b) => a - b));
    expect(heap.size).toBe(0);
  });
});

describe('queryInput', () => {
  it('turns Query parameters into the JSON input shape', () => {
    const input = queryInput('SendMessageBatch', [
      ['Action', 'SendMessageBatch'],
      ['Version', '2012-11-05'],
      ['QueueUrl', 'http://x/000000000000/q'],
      ['SendMessageBatchRequestEntry.2.Id', 'b'],
      ['SendMessageBatchRequestEntry.2.MessageBody', 'two'],
      ['SendMessageBatchRequestEntry.1.Id', 'a'],
      ['SendMessageBatchRequestEntry.1.MessageBody', 'one'],
      ['SendMessageBatchRequestEntry.1.DelaySeconds', '5'],
      ['SendMessageBatchRequestEntry.1.MessageAttribute.1.Name', 'k'],
      ['SendMessageBatchRequestEntry.1.MessageAttribute.1.Value.DataType', 'Binary'],
      ['SendMessageBatchRequestEntry.1.MessageAttribute.1.Value.BinaryValue', 'AAE='],
    ]);
    expect(input).toEqual({
      QueueUrl: 'http://x/000000000000/q',
      Entries: [
        {
          Id: 'a',
          MessageBody: 'one',
          DelaySeconds: '5',
          MessageAttributes: { k: { DataType: 'Binary', BinaryValue: 'AAE=' } },
        },
        { Id: 'b', MessageBody: 'two' },
      ],
    });
    expect(
      queryInput('CreateQueue', [
        ['QueueName', 'q'],
        ['Attribute.1.Name', 'DelaySeconds'],
        ['Attribute.1.Value', '3'],
        ['Tag.1.Key', 'team'],
        ['Tag.1.Value', 'data'],
      ]),
    ).toEqual({ QueueName: 'q', Attributes: { DelaySeconds: '3' }, tags: { team: 'data' } });
    expect(
      queryInput('UntagQueue', [
        ['TagKey.1', 'a'],
        ['TagKey.2', 'b'],
      ]),
    ).toEqual({ TagKeys: ['a', 'b'] });
  });
});

describe('validation', () => {
  it('normalises a RedrivePolicy and names what is wrong with a bad one', () => {
    expect(normaliseRedrivePolicy('{"maxReceiveCount":"5","deadLetterTargetArn":"arn:aws:sqs:r:1:d"}')).toBe(
      '{"deadLetterTargetArn":"arn:aws:sqs:r:1:d","maxReceiveCount":5}',
    );
    expect(() => normaliseRedrivePolicy('{"deadLetterTargetArn":"arn"}')).toThrow(/maxReceiveCount/);
    expect(() => normaliseRedrivePolicy('{"deadLetterTargetArn":"arn","maxReceiveCount":"many"}')).toThrow(
      /maxReceiveCount/,
    );
    expect(() => normaliseRedrivePolicy('not json')).toThrow(/RedrivePolicy/);
  });

  it('refuses unknown and read-only attributes and bad FIFO values', () => {
    expect(() => checkQueueAttributes({ QueueArn: 'x' })).toThrow('Unknown Attribute QueueArn.');
    expect(() => checkQueueAttributes({ DeduplicationScope: 'group' })).toThrow(SqsApiError);
    expect(checkQueueAttributes({ DelaySeconds: '05', FifoQueue: 'false' })).toEqual({
      DelaySeconds: '5',
      FifoQueue: 'false',
    });
  });
});

describe('MD5 digests', () => {
  it('matches values moto_server computed for the same message', () => {
    expect(md5OfBody('hello')).toBe('5d41402abc4b2a76b9719d911017c592');
    expect(md5OfAttributes({ Author: { DataType: 'String', StringValue: 'John Grisham' } })).toBe(
      '589fd905f137a025c02575957adcd9b1',
    );
  });
});

describe('in-process call', () => {
  it('runs actions with JSON shapes, a bare queue name as QueueUrl, and throws API errors', async () => {
    const sqs = createSqsEmulator({
      region: 'eu-west-1',
      accountId: '111122223333',
      endpoint: 'http://127.0.0.1:4566',
    });
    try {
      expect(await sqs.call('CreateQueue', { QueueName: 'ingest' })).toEqual({
        QueueUrl: 'http://127.0.0.1:4566/111122223333/ingest',
      });
      const sent = await sqs.call('SendMessage', { QueueUrl: 'ingest', MessageBody: 'x' });
      expect(sent.MD5OfMessageBody).toBe(md5OfBody('x'));
      expect(sqs.metrics()).toMatchObject([
        { name: 'ingest', depth: 1, arn: 'arn:aws:sqs:eu-west-1:111122223333:ingest' },
      ]);
      await expect(sqs.call('SendMessage', { QueueUrl: 'absent', MessageBody: 'x' })).rejects.toMatchObject({
        jsonType: 'QueueDoesNotExist',
        queryCode: 'AWS.SimpleQueueService.NonExistentQueue',
      });
    } finally {
      await sqs.close();
    }
  });
});
