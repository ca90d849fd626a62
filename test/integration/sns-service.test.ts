import { IncomingMessage } from 'node:http';
import { Socket } from 'node:net';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import type { DeliveryEvent, Logger, PublishedMessage, SnsService } from '@eventline/sns-emulator';
import { createSnsService, type SnsServer, startSnsServer } from '@eventline/sns-emulator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type HttpSubscriber, startHttpSubscriber } from '../support/http-subscriber.ts';

/** The programmatic surface the edge and the local stack use: routing, events, console, close. */

interface LogLine {
  level: string;
  message: string;
  extra?: object;
}

/** A Logger that keeps what it is told (the port's simplest real implementation). */
function memoryLogger(): Logger & { lines: LogLine[] } {
  const lines: LogLine[] = [];
  const at =
    (level: string) =>
    (message: string, extra?: object): void => {
      lines.push({ level, message, ...(extra ? { extra } : {}) });
    };
  return { lines, info: at('info'), warn: at('warn'), error: at('error'), debug: at('debug') };
}

function request(method: string, url: string, headers: Record<string, string> = {}): IncomingMessage {
  const message = new IncomingMessage(new Socket());
  message.method = method;
  message.url = url;
  message.headers = headers;
  return message;
}

const sigv4 = (service: string, region = 'us-east-1'): Record<string, string> => ({
  authorization: `AWS4-HMAC-SHA256 Credential=test/20260105/${region}/${service}/aws4_request, SignedHeaders=host;x-amz-date, Signature=abc`,
});

describe('SNS service surface', () => {
  describe('isSnsRequest (edge routing)', () => {
    let service: SnsService;

    beforeAll(() => {
      service = createSnsService({ region: 'us-east-1', publicUrl: () => 'http://127.0.0.1:4566' });
    });

    afterAll(async () => {
      await service.close();
    });

    const form = (text: string): Buffer => Buffer.from(text);
    const formHeaders = { 'content-type': 'application/x-www-form-urlencoded; charset=utf-8' };

    it('claims SigV4 requests scoped to sns, and only those', () => {
      expect(
        service.isSnsRequest(
          request('POST', '/', { ...formHeaders, ...sigv4('sns') }),
          form('Action=ListTopics'),
        ),
      ).toBe(true);
      expect(service.isSnsRequest(request('PUT', '/bucket/key', sigv4('s3')), Buffer.alloc(0))).toBe(false);
      // an s3-signed request is S3's even if it happens to carry an SNS-looking Action
      expect(service.isSnsRequest(request('GET', '/?Action=Publish', sigv4('s3')), Buffer.alloc(0))).toBe(
        false,
      );
      expect(
        service.isSnsRequest(
          request('POST', '/', {
            ...sigv4('dynamodb'),
            'content-type': 'application/x-amz-json-1.0',
            'x-amz-target': 'DynamoDB_20120810.GetItem',
          }),
          form('{}'),
        ),
      ).toBe(false);
    });

    it('claims unsigned SubscribeURL / UnsubscribeURL links, SNS form posts and the certificate', () => {
      expect(
        service.isSnsRequest(
          request('GET', '/?Action=ConfirmSubscription&TopicArn=a&Token=b'),
          Buffer.alloc(0),
        ),
      ).toBe(true);
      expect(
        service.isSnsRequest(request('GET', '/?Action=Unsubscribe&SubscriptionArn=a'), Buffer.alloc(0)),
      ).toBe(true);
      expect(service.isSnsRequest(request('POST', '/', formHeaders), form('Action=Publish&Message=x'))).toBe(
        true,
      );
      expect(service.isSnsRequest(request('GET', '/_sns/cert.pem'), Buffer.alloc(0))).toBe(true);
      expect(service.isSnsRequest(request('GET', '/'), Buffer.alloc(0))).toBe(false);
      expect(service.isSnsRequest(request('GET', '/?Action=ListBuckets'), Buffer.alloc(0))).toBe(false);
    });
  });

  describe('events, console output and shutdown', () => {
    let server: SnsServer;
    let sns: SNSClient;
    let subscriber: HttpSubscriber;
    const logger = memoryLogger();
    const published: PublishedMessage[] = [];
    const delivered: DeliveryEvent[] = [];

    beforeAll(async () => {
      subscriber = await startHttpSubscriber();
      server = await startSnsServer({
        region: 'us-east-1',
        logger,
        console: true,
        delivery: { timeoutMs: 5_000, retries: 1, retryDelayMs: 20 },
      });
      server.service.events.on('published', (message: PublishedMessage) => published.push(message));
      server.service.events.on('delivered', (event: DeliveryEvent) => delivered.push(event));
      sns = new SNSClient({
        endpoint: server.url,
        region: 'us-east-1',
        credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
      });
    });

    afterAll(async () => {
      sns.destroy();
      await server.close();
      await subscriber.close();
    });

    it('emits published messages and prints each one through the logger', async () => {
      const topicArn = await server.service.createTopic('surface-console');
      const { MessageId } = await sns.send(
        new PublishCommand({
          TopicArn: topicArn,
          Subject: 'S3 Event Processed',
          Message: 'New file processed: a.json',
        }),
      );
      const { MessageId: second } = await sns.send(
        new PublishCommand({ TopicArn: topicArn, Message: 'first line\nsecond line' }),
      );
      expect(published.map((m) => m.messageId)).toEqual([MessageId, second]);
      expect(published[0]).toMatchObject({ topicArn, subject: 'S3 Event Processed', deliveries: [] });
      const printed = logger.lines.filter(
        (l) => l.level === 'info' && l.message.startsWith('SNS surface-console'),
      );
      expect(printed.map((l) => l.message)).toEqual([
        'SNS surface-console: S3 Event Processed',
        'SNS surface-console: first line',
      ]);

      const latest = await server.service.notifications({ topicArn, limit: 1 });
      expect(latest.map((m) => m.messageId)).toEqual([second]);
    });

    it('records email deliveries as failed when no SMTP server is configured, and says so', async () => {
      const topicArn = await server.service.createTopic('surface-no-smtp');
      await server.service.subscribe(topicArn, 'email', 'nobody@example.test', { confirmed: true });
      await server.service.subscribe(topicArn, 'email', 'pending@example.test');
      expect(
        logger.lines.some(
          (l) => l.level === 'warn' && JSON.stringify(l.extra).includes('Action=ConfirmSubscription'),
        ),
      ).toBe(true);
      const { MessageId } = await sns.send(new PublishCommand({ TopicArn: topicArn, Message: 'lost?' }));
      const [record] = (await server.service.notifications({ topicArn })).filter(
        (m) => m.messageId === MessageId,
      );
      expect(record?.deliveries).toEqual([
        expect.objectContaining({
          endpoint: 'nobody@example.test',
          status: 'failed',
          error: 'no SMTP server configured',
        }),
      ]);
    });

    it('close() waits for a delivery in progress', async () => {
      const topicArn = await server.service.createTopic('surface-close');
      const subscriptionArn = await server.service.subscribe(topicArn, 'http', subscriber.url, {
        confirmed: true,
      });
      subscriber.delayNext(1, 300);
      const { MessageId } = await sns.send(new PublishCommand({ TopicArn: topicArn, Message: 'in flight' }));
      await subscriber.waitFor((r) => r.json?.MessageId === MessageId);
      expect(delivered.some((d) => d.messageId === MessageId)).toBe(false);

      await server.close();
      expect(delivered.filter((d) => d.messageId === MessageId)).toEqual([
        expect.objectContaining({
          subscriptionArn,
          attempt: 1,
          statusCode: 200,
          messageType: 'Notification',
        }),
      ]);
    });
  });
});
