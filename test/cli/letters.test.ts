import type { Queue } from '@eventline/cli';
import { letterOf } from '@eventline/cli';
import { describe, expect, it } from 'vitest';

/** What `dlq list` reads from each kind of dead-letter message. */

const queue = (label: Queue['label']): Queue => ({ label, url: 'http://q', arn: 'arn:q', source: 'test' });
const s3Event = (key: string) => ({ Records: [{ eventSource: 'aws:s3', s3: { object: { key } } }] });

describe('letterOf', () => {
  it("reads eventline's own letters: the object to replay, the code and the reason", () => {
    const body = {
      eventline: 'dead-letter',
      code: 'bad-format',
      reason: 'malformed JSON at line 1',
      object: { bucket: 'b', key: 'incoming/a.json', versionId: 'v1' },
      event: s3Event('incoming/a.json'),
      failedAt: '2026-11-29T20:00:00.000Z',
    };
    const letter = letterOf(queue('files'), { MessageId: 'm-1', Body: JSON.stringify(body) });
    expect(letter).toMatchObject({
      id: 'm-1',
      queue: 'files',
      key: 'incoming/a.json',
      code: 'bad-format',
      reason: 'malformed JSON at line 1',
      at: '2026-11-29T20:00:00.000Z',
      object: { bucket: 'b', key: 'incoming/a.json', versionId: 'v1' },
    });
  });

  it("reads Lambda's on-failure records (direct mode): the event to send again and the function's error", () => {
    const body = {
      version: '1.0',
      timestamp: '2026-11-29T20:01:00.000Z',
      requestContext: { requestId: 'r', condition: 'RetriesExhausted', approximateInvokeCount: 3 },
      requestPayload: s3Event('incoming/b%20c.json'),
      responseContext: { statusCode: 200, functionError: 'Unhandled' },
      responsePayload: { errorType: 'TransientError', errorMessage: 'SNS unreachable' },
    };
    const letter = letterOf(queue('events'), { MessageId: 'm-2', Body: JSON.stringify(body) });
    expect(letter).toMatchObject({
      key: 'incoming/b c.json',
      code: 'RetriesExhausted',
      reason: 'SNS unreachable',
      at: '2026-11-29T20:01:00.000Z',
      event: s3Event('incoming/b%20c.json'),
    });
    expect(letter.object).toBeUndefined();
  });

  it('reads raw S3 events an SQS redrive moved (queue mode), and says when a body is not JSON', () => {
    const raw = letterOf(queue('events'), {
      MessageId: 'm-3',
      Body: JSON.stringify(s3Event('incoming/d.json')),
      Attributes: { SentTimestamp: '1700000000000', ApproximateReceiveCount: '2' },
    });
    expect(raw).toMatchObject({
      key: 'incoming/d.json',
      code: 'event',
      at: '2023-11-14T22:13:20.000Z',
      receiveCount: '2',
    });
    expect(letterOf(queue('events'), { MessageId: 'm-4', Body: 'not json' })).toMatchObject({
      code: 'event',
      reason: 'not JSON',
      event: 'not json',
    });
  });

  it('reads a digest close the ingest queue dead-lettered as what it is (not an S3 event), and keeps it to replay', () => {
    const body = { eventline: 'digest-close', route: 'iot', start: 1767225600000, part: 2 };
    const letter = letterOf(queue('events'), {
      MessageId: 'm-5',
      Body: JSON.stringify(body),
      Attributes: { SentTimestamp: '1700000000000' },
    });
    expect(letter).toMatchObject({ code: 'digest-close', event: body });
    expect(letter.key).toBeUndefined();
    expect(letter.reason).toContain('digest window iot/1767225600000/2');
    expect(letter.reason).not.toMatch(/S3 event/);
  });
});
