import { verify, X509Certificate } from 'node:crypto';
import {
  ConfirmSubscriptionCommand,
  CreatePlatformApplicationCommand,
  CreateTopicCommand,
  DeleteTopicCommand,
  GetSubscriptionAttributesCommand,
  GetTopicAttributesCommand,
  ListSubscriptionsByTopicCommand,
  ListSubscriptionsCommand,
  ListTagsForResourceCommand,
  ListTopicsCommand,
  PublishBatchCommand,
  type PublishBatchRequestEntry,
  PublishCommand,
  SetSubscriptionAttributesCommand,
  SetTopicAttributesCommand,
  SNSClient,
  SubscribeCommand,
  UnsubscribeCommand,
} from '@aws-sdk/client-sns';
import type { DeliveryEvent } from '@eventline/sns-emulator';
import { type SnsServer, startSnsServer } from '@eventline/sns-emulator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type HttpSubscriber,
  type RecordedRequest,
  startHttpSubscriber,
} from '../support/http-subscriber.ts';

/**
 * The SNS contract, driven through the real AWS SDK v3 client against a real server. The suite is
 * a function of how to reach an SNS endpoint, so the same assertions can run against any
 * implementation (here: the local service on a loopback port).
 */

interface SnsTarget {
  client: SNSClient;
  endpoint: string;
  /** Waits until every delivery started so far has settled (local only). */
  close(): Promise<void>;
  server: SnsServer;
}

const NAMESPACE = 'http://sns.amazonaws.com/doc/2010-03-31/';

/** Rebuilds the documented string to sign from an envelope, independently of the service's code. */
function stringToSign(envelope: Record<string, unknown>): string {
  const fields =
    envelope.Type === 'Notification'
      ? ['Message', 'MessageId', 'Subject', 'Timestamp', 'TopicArn', 'Type']
      : ['Message', 'MessageId', 'SubscribeURL', 'Timestamp', 'Token', 'TopicArn', 'Type'];
  return fields
    .filter((name) => envelope[name] !== undefined)
    .map((name) => `${name}\n${String(envelope[name])}\n`)
    .join('');
}

async function verifySignature(envelope: Record<string, unknown>): Promise<boolean> {
  const response = await fetch(String(envelope.SigningCertURL));
  expect(response.status).toBe(200);
  const certificate = new X509Certificate(await response.text());
  const algorithm = envelope.SignatureVersion === '2' ? 'sha256' : 'sha1';
  return verify(
    algorithm,
    Buffer.from(stringToSign(envelope), 'utf8'),
    certificate.publicKey,
    Buffer.from(String(envelope.Signature), 'base64'),
  );
}

const errorOf = async (
  promise: Promise<unknown>,
): Promise<{ name: string; status?: number; message: string }> => {
  try {
    await promise;
  } catch (error) {
    const e = error as { name: string; message: string; $metadata?: { httpStatusCode?: number } };
    return {
      name: e.name,
      message: e.message,
      ...(e.$metadata?.httpStatusCode ? { status: e.$metadata.httpStatusCode } : {}),
    };
  }
  throw new Error('expected the call to fail');
};

function snsContract(name: string, makeTarget: () => Promise<SnsTarget>): void {
  describe(name, () => {
    let target: SnsTarget;
    let sns: SNSClient;
    const subscribers: HttpSubscriber[] = [];

    const subscriber = async (
      options?: Parameters<typeof startHttpSubscriber>[0],
    ): Promise<HttpSubscriber> => {
      const started = await startHttpSubscriber(options);
      subscribers.push(started);
      return started;
    };

    const topic = async (name: string): Promise<string> => {
      const { TopicArn } = await sns.send(new CreateTopicCommand({ Name: name }));
      return TopicArn as string;
    };

    /** Subscribes an auto-confirming subscriber and waits for the handshake to finish. */
    const confirmedSubscriber = async (
      topicArn: string,
    ): Promise<{ subscriber: HttpSubscriber; arn: string }> => {
      const sub = await subscriber();
      await sns.send(new SubscribeCommand({ TopicArn: topicArn, Protocol: 'http', Endpoint: sub.url }));
      const [visit] = await sub.waitForConfirmations();
      const arn = /<SubscriptionArn>([^<]+)<\/SubscriptionArn>/.exec(visit?.body ?? '')?.[1];
      expect(arn).toMatch(new RegExp(`^${topicArn}:[0-9a-f-]{36}$`));
      return { subscriber: sub, arn: arn as string };
    };

    beforeAll(async () => {
      target = await makeTarget();
      sns = target.client;
    });

    afterAll(async () => {
      await target.close();
      await Promise.all(subscribers.map((s) => s.close()));
    });

    describe('topics', () => {
      it('creates topics idempotently and validates names', async () => {
        const first = await topic('contract-idempotent');
        expect(first).toBe('arn:aws:sns:us-east-1:000000000000:contract-idempotent');
        expect(await topic('contract-idempotent')).toBe(first);

        const bad = await errorOf(sns.send(new CreateTopicCommand({ Name: 'has space' })));
        expect(bad).toMatchObject({ name: 'InvalidParameterException', status: 400 });
        const tooLong = await errorOf(sns.send(new CreateTopicCommand({ Name: 'x'.repeat(257) })));
        expect(tooLong.name).toBe('InvalidParameterException');
      });

      it('pages ListTopics 100 at a time with an opaque NextToken', async () => {
        const created: string[] = [];
        for (let i = 0; i < 105; i++) created.push(await topic(`page-${String(i).padStart(3, '0')}`));

        const seen: string[] = [];
        let token: string | undefined;
        let pages = 0;
        do {
          const page = await sns.send(new ListTopicsCommand(token ? { NextToken: token } : {}));
          expect(page.Topics?.length ?? 0).toBeLessThanOrEqual(100);
          seen.push(...(page.Topics ?? []).map((t) => t.TopicArn as string));
          token = page.NextToken;
          pages++;
        } while (token);

        expect(pages).toBeGreaterThanOrEqual(2);
        expect(new Set(seen).size).toBe(seen.length);
        for (const arn of created) expect(seen).toContain(arn);

        const invalid = await errorOf(sns.send(new ListTopicsCommand({ NextToken: 'not-a-token' })));
        expect(invalid.name).toBe('InvalidParameterException');
      });

      it('deletes topics idempotently; their attributes are then NotFound', async () => {
        const arn = await topic('contract-delete');
        const attributes = await sns.send(new GetTopicAttributesCommand({ TopicArn: arn }));
        expect(attributes.Attributes).toMatchObject({
          TopicArn: arn,
          Owner: '000000000000',
          SubscriptionsConfirmed: '0',
          SubscriptionsPending: '0',
          DisplayName: '',
        });
        expect(JSON.parse(attributes.Attributes?.Policy ?? '{}')).toHaveProperty('Statement');

        await sns.send(new DeleteTopicCommand({ TopicArn: arn }));
        await sns.send(new DeleteTopicCommand({ TopicArn: arn }));
        const listed = await sns.send(new ListTopicsCommand({}));
        expect(listed.Topics?.map((t) => t.TopicArn)).not.toContain(arn);
        const missing = await errorOf(sns.send(new GetTopicAttributesCommand({ TopicArn: arn })));
        expect(missing).toMatchObject({ name: 'NotFoundException', status: 404 });
      });

      it('keeps tags given at creation', async () => {
        const { TopicArn } = await sns.send(
          new CreateTopicCommand({ Name: 'contract-tags', Tags: [{ Key: 'team', Value: 'data' }] }),
        );
        const tags = await sns.send(new ListTagsForResourceCommand({ ResourceArn: TopicArn }));
        expect(tags.Tags).toEqual([{ Key: 'team', Value: 'data' }]);
      });
    });

    describe('http subscriptions', () => {
      it('sends a signed SubscriptionConfirmation and stays pending until ConfirmSubscription', async () => {
        const arn = await topic('contract-handshake');
        const sub = await subscriber({ autoConfirm: false });

        const subscribed = await sns.send(
          new SubscribeCommand({ TopicArn: arn, Protocol: 'http', Endpoint: sub.url }),
        );
        expect(subscribed.SubscriptionArn).toBe('pending confirmation');

        const [confirmation] = await sub.waitForType('SubscriptionConfirmation');
        const request = confirmation as RecordedRequest;
        expect(request.method).toBe('POST');
        expect(request.headers).toMatchObject({
          'x-amz-sns-message-type': 'SubscriptionConfirmation',
          'x-amz-sns-topic-arn': arn,
          'content-type': 'text/plain; charset=UTF-8',
          'user-agent': 'Amazon Simple Notification Service Agent',
        });
        const envelope = request.json as Record<string, unknown>;
        expect(request.headers['x-amz-sns-message-id']).toBe(envelope.MessageId);
        expect(envelope).toMatchObject({
          Type: 'SubscriptionConfirmation',
          TopicArn: arn,
          Message: `You have chosen to subscribe to the topic ${arn}.\nTo confirm the subscription, visit the SubscribeURL included in this message.`,
          SignatureVersion: '1',
        });
        expect(envelope.Timestamp).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
        const subscribeUrl = new URL(String(envelope.SubscribeURL));
        expect(subscribeUrl.searchParams.get('Action')).toBe('ConfirmSubscription');
        expect(subscribeUrl.searchParams.get('TopicArn')).toBe(arn);
        expect(subscribeUrl.searchParams.get('Token')).toBe(envelope.Token);
        expect(await verifySignature(envelope)).toBe(true);

        const pending = await sns.send(new ListSubscriptionsByTopicCommand({ TopicArn: arn }));
        expect(pending.Subscriptions).toEqual([
          {
            SubscriptionArn: 'PendingConfirmation',
            Owner: '000000000000',
            Protocol: 'http',
            Endpoint: sub.url,
            TopicArn: arn,
          },
        ]);
        const wrongToken = await errorOf(
          sns.send(new ConfirmSubscriptionCommand({ TopicArn: arn, Token: 'nope' })),
        );
        expect(wrongToken.name).toBe('InvalidParameterException');

        const confirmed = await sns.send(
          new ConfirmSubscriptionCommand({ TopicArn: arn, Token: String(envelope.Token) }),
        );
        expect(confirmed.SubscriptionArn).toMatch(new RegExp(`^${arn}:[0-9a-f-]{36}$`));
        const listed = await sns.send(new ListSubscriptionsByTopicCommand({ TopicArn: arn }));
        expect(listed.Subscriptions?.[0]?.SubscriptionArn).toBe(confirmed.SubscriptionArn);
        const all = await sns.send(new ListSubscriptionsCommand({}));
        expect(all.Subscriptions?.map((s) => s.SubscriptionArn)).toContain(confirmed.SubscriptionArn);
      });

      it('confirms through a GET on the SubscribeURL, as a browser or subscriber app does', async () => {
        const arn = await topic('contract-get-confirm');
        const { arn: subscriptionArn } = await confirmedSubscriber(arn);
        const attributes = await sns.send(
          new GetSubscriptionAttributesCommand({ SubscriptionArn: subscriptionArn }),
        );
        expect(attributes.Attributes).toMatchObject({
          PendingConfirmation: 'false',
          Protocol: 'http',
          RawMessageDelivery: 'false',
          TopicArn: arn,
          SubscriptionArn: subscriptionArn,
        });
        const topicAttributes = await sns.send(new GetTopicAttributesCommand({ TopicArn: arn }));
        expect(topicAttributes.Attributes?.SubscriptionsConfirmed).toBe('1');
      });

      it('returns the ARN of a pending subscription when ReturnSubscriptionArn is set', async () => {
        const arn = await topic('contract-return-arn');
        const sub = await subscriber({ autoConfirm: false });
        const result = await sns.send(
          new SubscribeCommand({
            TopicArn: arn,
            Protocol: 'http',
            Endpoint: sub.url,
            ReturnSubscriptionArn: true,
          }),
        );
        expect(result.SubscriptionArn).toMatch(new RegExp(`^${arn}:`));
        const attributes = await sns.send(
          new GetSubscriptionAttributesCommand({ SubscriptionArn: result.SubscriptionArn }),
        );
        expect(attributes.Attributes?.PendingConfirmation).toBe('true');
      });

      it('rejects unknown protocols, mismatched endpoints and missing topics', async () => {
        const arn = await topic('contract-subscribe-errors');
        const protocol = await errorOf(
          sns.send(new SubscribeCommand({ TopicArn: arn, Protocol: 'carrier-pigeon', Endpoint: 'x' })),
        );
        expect(protocol.name).toBe('InvalidParameterException');
        const mismatch = await errorOf(
          sns.send(
            new SubscribeCommand({ TopicArn: arn, Protocol: 'https', Endpoint: 'http://127.0.0.1:1/x' }),
          ),
        );
        expect(mismatch.name).toBe('InvalidParameterException');
        const missing = await errorOf(
          sns.send(
            new SubscribeCommand({
              TopicArn: `${arn}-gone`,
              Protocol: 'http',
              Endpoint: 'http://127.0.0.1:1/',
            }),
          ),
        );
        expect(missing.name).toBe('NotFoundException');
      });
    });

    describe('publish and delivery', () => {
      it('delivers a signed Notification envelope with the documented headers and fields', async () => {
        const arn = await topic('contract-publish');
        const { subscriber: sub, arn: subscriptionArn } = await confirmedSubscriber(arn);

        const published = await sns.send(
          new PublishCommand({
            TopicArn: arn,
            Subject: 'S3 Event Processed',
            Message: 'New file processed: incoming/a.json',
            MessageAttributes: {
              route: { DataType: 'String', StringValue: 'default' },
              size: { DataType: 'Number', StringValue: '42' },
              blob: { DataType: 'Binary', BinaryValue: Buffer.from([1, 2, 3]) },
            },
          }),
        );
        expect(published.MessageId).toMatch(/^[0-9a-f-]{36}$/);

        const [notification] = await sub.waitForType('Notification');
        const request = notification as RecordedRequest;
        expect(request.headers).toMatchObject({
          'x-amz-sns-message-type': 'Notification',
          'x-amz-sns-message-id': published.MessageId,
          'x-amz-sns-topic-arn': arn,
          'x-amz-sns-subscription-arn': subscriptionArn,
          'content-type': 'text/plain; charset=UTF-8',
          'user-agent': 'Amazon Simple Notification Service Agent',
        });
        expect(request.headers['x-amz-sns-rawdelivery']).toBeUndefined();
        const envelope = request.json as Record<string, unknown>;
        expect(Object.keys(envelope)).toEqual([
          'Type',
          'MessageId',
          'TopicArn',
          'Subject',
          'Message',
          'Timestamp',
          'SignatureVersion',
          'Signature',
          'SigningCertURL',
          'UnsubscribeURL',
          'MessageAttributes',
        ]);
        expect(envelope).toMatchObject({
          Type: 'Notification',
          MessageId: published.MessageId,
          TopicArn: arn,
          Subject: 'S3 Event Processed',
          Message: 'New file processed: incoming/a.json',
          SignatureVersion: '1',
          MessageAttributes: {
            route: { Type: 'String', Value: 'default' },
            size: { Type: 'Number', Value: '42' },
            blob: { Type: 'Binary', Value: Buffer.from([1, 2, 3]).toString('base64') },
          },
        });
        expect(envelope.Timestamp).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
        const unsubscribeUrl = new URL(String(envelope.UnsubscribeURL));
        expect(unsubscribeUrl.searchParams.get('Action')).toBe('Unsubscribe');
        expect(unsubscribeUrl.searchParams.get('SubscriptionArn')).toBe(subscriptionArn);
        expect(await verifySignature(envelope)).toBe(true);

        // A tampered message no longer verifies.
        expect(await verifySignature({ ...envelope, Message: 'forged' })).toBe(false);
      });

      it('signs with SHA256 when the topic asks for SignatureVersion 2, and omits an absent Subject', async () => {
        const arn = await topic('contract-sigv2');
        await sns.send(
          new SetTopicAttributesCommand({
            TopicArn: arn,
            AttributeName: 'SignatureVersion',
            AttributeValue: '2',
          }),
        );
        const { subscriber: sub } = await confirmedSubscriber(arn);
        await sns.send(new PublishCommand({ TopicArn: arn, Message: 'no subject here' }));
        const [notification] = await sub.waitForType('Notification');
        const envelope = notification?.json as Record<string, unknown>;
        expect(envelope.SignatureVersion).toBe('2');
        expect(envelope).not.toHaveProperty('Subject');
        expect(envelope).not.toHaveProperty('MessageAttributes');
        expect(await verifySignature(envelope)).toBe(true);
      });

      it('delivers the bare message with RawMessageDelivery', async () => {
        const arn = await topic('contract-raw');
        const { subscriber: sub, arn: subscriptionArn } = await confirmedSubscriber(arn);
        await sns.send(
          new SetSubscriptionAttributesCommand({
            SubscriptionArn: subscriptionArn,
            AttributeName: 'RawMessageDelivery',
            AttributeValue: 'true',
          }),
        );
        await sns.send(new PublishCommand({ TopicArn: arn, Message: '{"raw":true}' }));
        const [notification] = await sub.waitForType('Notification');
        expect(notification?.body).toBe('{"raw":true}');
        expect(notification?.headers['x-amz-sns-rawdelivery']).toBe('true');
      });

      it('gives each protocol its key of a MessageStructure=json message and rejects bad structures', async () => {
        const arn = await topic('contract-structure');
        const { subscriber: sub } = await confirmedSubscriber(arn);
        await sns.send(
          new PublishCommand({
            TopicArn: arn,
            MessageStructure: 'json',
            Message: JSON.stringify({ default: 'for everyone', http: 'for http', email: 'for email' }),
          }),
        );
        const [notification] = await sub.waitForType('Notification');
        expect(notification?.json?.Message).toBe('for http');

        const badJson = await errorOf(
          sns.send(new PublishCommand({ TopicArn: arn, MessageStructure: 'json', Message: '{not json' })),
        );
        expect(badJson.name).toBe('InvalidParameterException');
        const noDefault = await errorOf(
          sns.send(
            new PublishCommand({ TopicArn: arn, MessageStructure: 'json', Message: '{"http":"only"}' }),
          ),
        );
        expect(noDefault).toMatchObject({ name: 'InvalidParameterException', status: 400 });
        expect(noDefault.message).toContain('No default entry');
        const duplicate = await errorOf(
          sns.send(
            new PublishCommand({
              TopicArn: arn,
              MessageStructure: 'json',
              Message: '{"default":"a","default":"b"}',
            }),
          ),
        );
        expect(duplicate.name).toBe('InvalidParameterException');
      });

      it('fails like AWS: NotFound for a missing topic, InvalidParameter for bad input', async () => {
        const missing = await errorOf(
          sns.send(
            new PublishCommand({
              TopicArn: 'arn:aws:sns:us-east-1:000000000000:does-not-exist',
              Message: 'm',
            }),
          ),
        );
        expect(missing).toMatchObject({
          name: 'NotFoundException',
          status: 404,
          message: 'Topic does not exist',
        });

        const arn = await topic('contract-publish-errors');
        const subject = await errorOf(
          sns.send(new PublishCommand({ TopicArn: arn, Message: 'm', Subject: 'line\nbreak' })),
        );
        expect(subject.name).toBe('InvalidParameterException');
        const tooLong = await errorOf(
          sns.send(new PublishCommand({ TopicArn: arn, Message: 'x'.repeat(262_145) })),
        );
        expect(tooLong).toMatchObject({
          name: 'InvalidParameterException',
          message: 'Invalid parameter: Message too long',
        });
        const empty = await errorOf(sns.send(new PublishCommand({ TopicArn: arn, Message: '' })));
        expect(empty.name).toBe('InvalidParameterException');
        const attribute = await errorOf(
          sns.send(
            new PublishCommand({
              TopicArn: arn,
              Message: 'm',
              MessageAttributes: { a: { DataType: 'Number', StringValue: 'abc' } },
            }),
          ),
        );
        expect(attribute.name).toBe('InvalidParameterValueException');
        const badArn = await errorOf(sns.send(new PublishCommand({ TopicArn: 'not-an-arn', Message: 'm' })));
        expect(badArn.name).toBe('InvalidParameterException');

        // exactly 256 KB is accepted
        const max = await sns.send(new PublishCommand({ TopicArn: arn, Message: 'x'.repeat(262_144) }));
        expect(max.MessageId).toBeDefined();
      });

      it('retries a failing endpoint with the same message id until it answers 2xx', async () => {
        const arn = await topic('contract-retry');
        const { subscriber: sub, arn: subscriptionArn } = await confirmedSubscriber(arn);
        const failures: DeliveryEvent[] = [];
        const onFailure = (event: DeliveryEvent): void => {
          if (event.subscriptionArn === subscriptionArn) failures.push(event);
        };
        target.server.service.events.on('delivery-failed', onFailure);
        sub.failNext(2, { status: 500 });

        const { MessageId } = await sns.send(new PublishCommand({ TopicArn: arn, Message: 'try again' }));
        const attempts = await sub.waitForType('Notification', { count: 3 });
        target.server.service.events.off('delivery-failed', onFailure);

        expect(attempts.map((a) => a.answeredWith)).toEqual([500, 500, 200]);
        expect(new Set(attempts.map((a) => a.headers['x-amz-sns-message-id']))).toEqual(new Set([MessageId]));
        expect(new Set(attempts.map((a) => a.body)).size).toBe(1);
        expect(failures.map((f) => [f.attempt, f.statusCode, f.final])).toEqual([
          [1, 500, false],
          [2, 500, false],
        ]);
        await waitForDelivery(target, MessageId as string, 'delivered');
        const [record] = await target.server.service.notifications({ topicArn: arn });
        expect(record?.deliveries).toEqual([
          expect.objectContaining({ subscriptionArn, status: 'delivered', attempts: 3, statusCode: 200 }),
        ]);
      });

      it('counts a 4xx answer as delivered (no retry), as SNS does', async () => {
        const arn = await topic('contract-4xx');
        const { subscriber: sub } = await confirmedSubscriber(arn);
        sub.failNext(1, { status: 404 });
        const { MessageId } = await sns.send(new PublishCommand({ TopicArn: arn, Message: 'gone?' }));
        await waitForDelivery(target, MessageId as string, 'delivered');
        expect(sub.ofType('Notification').map((r) => r.answeredWith)).toEqual([404]);
      });

      it('gives up after the configured retries and records the failure', async () => {
        const arn = await topic('contract-give-up');
        const { subscriber: sub } = await confirmedSubscriber(arn);
        sub.failNext(10, { status: 503 });
        const { MessageId } = await sns.send(new PublishCommand({ TopicArn: arn, Message: 'never' }));
        await waitForDelivery(target, MessageId as string, 'failed');
        expect(sub.ofType('Notification')).toHaveLength(4);
        const [record] = await target.server.service.notifications({ topicArn: arn });
        expect(record?.deliveries[0]).toMatchObject({
          status: 'failed',
          attempts: 4,
          statusCode: 503,
          error: 'HTTP 503',
        });
      });

      it('delivers only what a subscription filter policy lets through', async () => {
        const arn = await topic('contract-filter');
        const { subscriber: sub, arn: subscriptionArn } = await confirmedSubscriber(arn);
        await sns.send(
          new SetSubscriptionAttributesCommand({
            SubscriptionArn: subscriptionArn,
            AttributeName: 'FilterPolicy',
            AttributeValue: JSON.stringify({ route: ['default'], size: [{ numeric: ['>', 10] }] }),
          }),
        );
        const attrs = (route: string, size: string) => ({
          route: { DataType: 'String', StringValue: route },
          size: { DataType: 'Number', StringValue: size },
        });
        await sns.send(
          new PublishCommand({
            TopicArn: arn,
            Message: 'skip-route',
            MessageAttributes: attrs('other', '50'),
          }),
        );
        await sns.send(
          new PublishCommand({
            TopicArn: arn,
            Message: 'skip-size',
            MessageAttributes: attrs('default', '5'),
          }),
        );
        const { MessageId } = await sns.send(
          new PublishCommand({ TopicArn: arn, Message: 'pass', MessageAttributes: attrs('default', '50') }),
        );
        await waitForDelivery(target, MessageId as string, 'delivered');
        expect(sub.ofType('Notification').map((r) => r.json?.Message)).toEqual(['pass']);

        const invalid = await errorOf(
          sns.send(
            new SetSubscriptionAttributesCommand({
              SubscriptionArn: subscriptionArn,
              AttributeName: 'FilterPolicy',
              AttributeValue: '{"route":[{"wildcard-ish":"x"}]}',
            }),
          ),
        );
        expect(invalid.name).toBe('InvalidParameterException');
      });

      it('unsubscribes: the endpoint gets an UnsubscribeConfirmation and no more notifications', async () => {
        const arn = await topic('contract-unsubscribe');
        const { subscriber: sub, arn: subscriptionArn } = await confirmedSubscriber(arn);
        await sns.send(new UnsubscribeCommand({ SubscriptionArn: subscriptionArn }));
        const [goodbye] = await sub.waitForType('UnsubscribeConfirmation');
        expect(goodbye?.json).toMatchObject({ Type: 'UnsubscribeConfirmation', TopicArn: arn });
        expect(await verifySignature(goodbye?.json as Record<string, unknown>)).toBe(true);

        const listed = await sns.send(new ListSubscriptionsByTopicCommand({ TopicArn: arn }));
        expect(listed.Subscriptions).toEqual([]);
        const { MessageId } = await sns.send(new PublishCommand({ TopicArn: arn, Message: 'after' }));
        const [record] = (await target.server.service.notifications({ topicArn: arn })).filter(
          (m) => m.messageId === MessageId,
        );
        expect(record?.deliveries).toEqual([]);
        // Unsubscribe is idempotent
        await sns.send(new UnsubscribeCommand({ SubscriptionArn: subscriptionArn }));
      });
    });

    describe('PublishBatch', () => {
      const entries = (n: number, prefix = 'e'): PublishBatchRequestEntry[] =>
        Array.from({ length: n }, (_, i) => ({ Id: `${prefix}${i}`, Message: `message ${i}` }));

      it('publishes every entry and answers with one MessageId per Id', async () => {
        const arn = await topic('contract-batch');
        const { subscriber: sub } = await confirmedSubscriber(arn);
        const result = await sns.send(
          new PublishBatchCommand({
            TopicArn: arn,
            PublishBatchRequestEntries: [
              { Id: 'first', Message: 'one', Subject: 'batch' },
              {
                Id: 'second',
                Message: 'two',
                MessageAttributes: { kind: { DataType: 'String', StringValue: 'b' } },
              },
            ],
          }),
        );
        expect(result.Successful?.map((s) => s.Id)).toEqual(['first', 'second']);
        expect(result.Failed).toEqual([]);
        const delivered = await sub.waitForType('Notification', { count: 2 });
        const byMessage = new Map(delivered.map((r) => [r.json?.Message, r.json]));
        expect(byMessage.get('one')).toMatchObject({
          Subject: 'batch',
          MessageId: result.Successful?.[0]?.MessageId,
        });
        expect(byMessage.get('two')).toMatchObject({
          MessageAttributes: { kind: { Type: 'String', Value: 'b' } },
        });
      });

      it('rejects malformed batches with the batch error codes', async () => {
        const arn = await topic('contract-batch-errors');
        const send = (batch: PublishBatchRequestEntry[]) =>
          errorOf(sns.send(new PublishBatchCommand({ TopicArn: arn, PublishBatchRequestEntries: batch })));

        expect(await send([])).toMatchObject({ name: 'EmptyBatchRequestException', status: 400 });
        expect(await send(entries(11))).toMatchObject({
          name: 'TooManyEntriesInBatchRequestException',
          status: 400,
        });
        expect(await send([...entries(2, 'same'), { Id: 'same0', Message: 'dup' }])).toMatchObject({
          name: 'BatchEntryIdsNotDistinctException',
        });
        expect(await send([{ Id: 'bad id!', Message: 'x' }])).toMatchObject({
          name: 'InvalidBatchEntryIdException',
        });
        expect(await send([{ Id: 'x'.repeat(81), Message: 'x' }])).toMatchObject({
          name: 'InvalidBatchEntryIdException',
        });
        expect(
          await send([
            { Id: 'a', Message: 'x'.repeat(140_000) },
            { Id: 'b', Message: 'y'.repeat(140_000) },
          ]),
        ).toMatchObject({ name: 'BatchRequestTooLongException' });
        expect(
          await errorOf(
            sns.send(
              new PublishBatchCommand({
                TopicArn: 'arn:aws:sns:us-east-1:000000000000:no-such-topic',
                PublishBatchRequestEntries: entries(1),
              }),
            ),
          ),
        ).toMatchObject({ name: 'NotFoundException', status: 404 });
        // 10 entries is the limit, not an error
        const ten = await sns.send(
          new PublishBatchCommand({ TopicArn: arn, PublishBatchRequestEntries: entries(10) }),
        );
        expect(ten.Successful).toHaveLength(10);
      });
    });

    describe('FIFO topics', () => {
      it('need the FifoTopic attribute, a MessageGroupId and deduplication; answer with sequence numbers', async () => {
        const noAttribute = await errorOf(sns.send(new CreateTopicCommand({ Name: 'orders.fifo' })));
        expect(noAttribute.name).toBe('InvalidParameterException');
        const { TopicArn } = await sns.send(
          new CreateTopicCommand({ Name: 'orders.fifo', Attributes: { FifoTopic: 'true' } }),
        );
        expect(TopicArn).toBe('arn:aws:sns:us-east-1:000000000000:orders.fifo');
        const attributes = await sns.send(new GetTopicAttributesCommand({ TopicArn }));
        expect(attributes.Attributes).toMatchObject({
          FifoTopic: 'true',
          ContentBasedDeduplication: 'false',
        });

        const noGroup = await errorOf(
          sns.send(new PublishCommand({ TopicArn, Message: 'm', MessageDeduplicationId: 'd1' })),
        );
        expect(noGroup.name).toBe('InvalidParameterException');
        const noDedup = await errorOf(
          sns.send(new PublishCommand({ TopicArn, Message: 'm', MessageGroupId: 'g' })),
        );
        expect(noDedup.name).toBe('InvalidParameterException');

        const first = await sns.send(
          new PublishCommand({ TopicArn, Message: 'm', MessageGroupId: 'g', MessageDeduplicationId: 'd1' }),
        );
        const second = await sns.send(
          new PublishCommand({ TopicArn, Message: 'n', MessageGroupId: 'g', MessageDeduplicationId: 'd2' }),
        );
        expect(first.SequenceNumber).toMatch(/^\d{20}$/);
        expect(BigInt(second.SequenceNumber as string)).toBeGreaterThan(
          BigInt(first.SequenceNumber as string),
        );
        const duplicate = await sns.send(
          new PublishCommand({ TopicArn, Message: 'm', MessageGroupId: 'g', MessageDeduplicationId: 'd1' }),
        );
        expect(duplicate).toMatchObject({ MessageId: first.MessageId, SequenceNumber: first.SequenceNumber });

        const standard = await topic('not-fifo');
        const dedupOnStandard = await errorOf(
          sns.send(new PublishCommand({ TopicArn: standard, Message: 'm', MessageDeduplicationId: 'd' })),
        );
        expect(dedupOnStandard.name).toBe('InvalidParameterException');
      });
    });

    describe('protocol edges', () => {
      it('answers an action it does not implement with InvalidAction, never a silent 200', async () => {
        const error = await errorOf(
          sns.send(new CreatePlatformApplicationCommand({ Name: 'app', Platform: 'GCM', Attributes: {} })),
        );
        expect(error).toMatchObject({ name: 'InvalidAction', status: 400 });

        const response = await fetch(`${target.endpoint}/`, {
          method: 'POST',
          headers: { 'Content-Type': 'application/x-www-form-urlencoded; charset=utf-8' },
          body: 'Action=FlyToTheMoon&Version=2010-03-31',
        });
        expect(response.status).toBe(400);
        expect(response.headers.get('x-amzn-requestid')).toMatch(/^[0-9a-f-]{36}$/);
        const xml = await response.text();
        expect(xml).toContain(`<ErrorResponse xmlns="${NAMESPACE}">`);
        expect(xml).toContain('<Error><Type>Sender</Type><Code>InvalidAction</Code>');
        expect(xml).toMatch(/<RequestId>[0-9a-f-]{36}<\/RequestId><\/ErrorResponse>/);
      });

      it('answers in the documented XML shape with a request id header', async () => {
        const response = await fetch(`${target.endpoint}/`, {
          method: 'POST',
          headers: { 'Content-Type': 'application/x-www-form-urlencoded; charset=utf-8' },
          body: 'Action=CreateTopic&Version=2010-03-31&Name=contract-xml',
        });
        expect(response.status).toBe(200);
        expect(response.headers.get('content-type')).toBe('text/xml');
        const requestId = response.headers.get('x-amzn-requestid');
        const xml = await response.text();
        expect(xml).toContain(
          `<CreateTopicResponse xmlns="${NAMESPACE}"><CreateTopicResult><TopicArn>arn:aws:sns:us-east-1:000000000000:contract-xml</TopicArn></CreateTopicResult><ResponseMetadata><RequestId>${requestId}</RequestId></ResponseMetadata></CreateTopicResponse>`,
        );
        const deleted = await fetch(
          `${target.endpoint}/?Action=DeleteTopic&TopicArn=${encodeURIComponent('arn:aws:sns:us-east-1:000000000000:contract-xml')}`,
        );
        expect(await deleted.text()).toMatch(
          new RegExp(
            `<DeleteTopicResponse xmlns="${NAMESPACE}"><ResponseMetadata><RequestId>[0-9a-f-]{36}</RequestId></ResponseMetadata></DeleteTopicResponse>`,
          ),
        );
      });

      it('serves the signing certificate as a self-signed X.509 certificate', async () => {
        const response = await fetch(`${target.endpoint}/_sns/cert.pem`);
        const certificate = new X509Certificate(await response.text());
        expect(certificate.verify(certificate.publicKey)).toBe(true);
        expect(new Date(certificate.validTo).getTime()).toBeGreaterThan(Date.now());
      });
    });
  });
}

async function waitForDelivery(
  target: SnsTarget,
  messageId: string,
  status: 'delivered' | 'failed',
): Promise<void> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const record = (await target.server.service.notifications()).find((m) => m.messageId === messageId);
    if (record && record.deliveries.length > 0 && record.deliveries.every((d) => d.status === status)) return;
    if (Date.now() > deadline)
      throw new Error(`message ${messageId} not ${status} in time: ${JSON.stringify(record)}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

snsContract('SNS contract (local service, SDK v3)', async () => {
  const server = await startSnsServer({
    region: 'us-east-1',
    delivery: { timeoutMs: 2_000, retries: 3, retryDelayMs: 30 },
  });
  const client = new SNSClient({
    endpoint: server.url,
    region: 'us-east-1',
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  });
  return {
    client,
    endpoint: server.url,
    server,
    async close() {
      client.destroy();
      await server.close();
    },
  };
});
