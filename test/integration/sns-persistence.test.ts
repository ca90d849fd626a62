import { appendFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CreateTopicCommand,
  GetSubscriptionAttributesCommand,
  GetTopicAttributesCommand,
  ListSubscriptionsCommand,
  ListTopicsCommand,
  PublishCommand,
  SetTopicAttributesCommand,
  SNSClient,
  SubscribeCommand,
} from '@aws-sdk/client-sns';
import type { DeliveryEvent } from '@eventline/sns-emulator';
import {
  createSnsService,
  LOG_FILE,
  readNotifications,
  type SnsServer,
  type SnsServerOptions,
  SnsStateError,
  STATE_FILE,
  startSnsServer,
} from '@eventline/sns-emulator';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type HttpSubscriber, startHttpSubscriber } from '../support/http-subscriber.ts';

/** With a data directory, topics, subscriptions, notifications and unfinished deliveries survive a restart. */
describe('SNS persistence across restarts', () => {
  let root: string;
  const servers: SnsServer[] = [];
  const subscribers: HttpSubscriber[] = [];

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'eventline-sns-'));
  });

  afterEach(async () => {
    await Promise.all(servers.splice(0).map((s) => s.close()));
    await Promise.all(subscribers.splice(0).map((s) => s.close()));
  });

  afterAll(async () => {
    await rm(root, { recursive: true, force: true });
  });

  const start = async (options: Partial<SnsServerOptions> & { dataDir: string }): Promise<SnsServer> => {
    const server = await startSnsServer({
      region: 'us-east-1',
      delivery: { timeoutMs: 2_000, retries: 3, retryDelayMs: 20 },
      ...options,
    });
    servers.push(server);
    return server;
  };

  const stop = async (server: SnsServer): Promise<void> => {
    servers.splice(servers.indexOf(server), 1);
    await server.close();
  };

  const client = (server: SnsServer): SNSClient =>
    new SNSClient({
      endpoint: server.url,
      region: 'us-east-1',
      credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    });

  it('keeps topics, attributes, subscriptions, notifications and the signing certificate', async () => {
    const dataDir = join(root, 'state');
    const subscriber = await startHttpSubscriber();
    subscribers.push(subscriber);

    const first = await start({ dataDir });
    const sns = client(first);
    const { TopicArn } = await sns.send(
      new CreateTopicCommand({ Name: 'durable', Tags: [{ Key: 'k', Value: 'v' }] }),
    );
    await sns.send(
      new SetTopicAttributesCommand({ TopicArn, AttributeName: 'DisplayName', AttributeValue: 'Durable' }),
    );
    await sns.send(new SubscribeCommand({ TopicArn, Protocol: 'http', Endpoint: subscriber.url }));
    await subscriber.waitForConfirmations();
    await sns.send(new SubscribeCommand({ TopicArn, Protocol: 'email', Endpoint: 'pending@example.test' }));
    const { MessageId } = await sns.send(new PublishCommand({ TopicArn, Message: 'before restart' }));
    await subscriber.waitForType('Notification');
    const certificate = first.service.signingCertificate;
    sns.destroy();
    await stop(first);

    const second = await start({ dataDir });
    const again = client(second);
    const topics = await again.send(new ListTopicsCommand({}));
    expect(topics.Topics?.map((t) => t.TopicArn)).toEqual([TopicArn]);
    const attributes = await again.send(new GetTopicAttributesCommand({ TopicArn }));
    expect(attributes.Attributes?.DisplayName).toBe('Durable');
    const subscriptions = await again.send(new ListSubscriptionsCommand({}));
    const byEndpoint = new Map(subscriptions.Subscriptions?.map((s) => [s.Endpoint, s.SubscriptionArn]));
    expect(byEndpoint.get(subscriber.url)).toMatch(new RegExp(`^${TopicArn}:`));
    expect(byEndpoint.get('pending@example.test')).toBe('PendingConfirmation');
    const subscriptionAttributes = await again.send(
      new GetSubscriptionAttributesCommand({ SubscriptionArn: byEndpoint.get(subscriber.url) }),
    );
    expect(subscriptionAttributes.Attributes?.PendingConfirmation).toBe('false');

    const history = await second.service.notifications();
    expect(history.map((m) => [m.messageId, m.message])).toEqual([[MessageId, 'before restart']]);
    expect(history[0]?.deliveries[0]).toMatchObject({ status: 'delivered', attempts: 1 });
    expect(second.service.signingCertificate).toBe(certificate);

    // the confirmed subscription still receives after the restart
    await again.send(new PublishCommand({ TopicArn, Message: 'after restart' }));
    await subscriber.waitFor((r) => r.json?.Message === 'after restart');
    again.destroy();

    // the CLI can read the log without a running service
    await stop(second);
    expect(readNotifications(dataDir).map((m) => m.message)).toEqual(['before restart', 'after restart']);
    const state = JSON.parse(await readFile(join(dataDir, STATE_FILE), 'utf8')) as { version: number };
    expect(state.version).toBe(1);
  });

  it('resumes a delivery that was waiting for a retry when the service stopped', async () => {
    const dataDir = join(root, 'resume');
    const subscriber = await startHttpSubscriber();
    subscribers.push(subscriber);

    // A long retry delay: the second attempt cannot happen before the stop.
    const first = await start({ dataDir, delivery: { timeoutMs: 2_000, retries: 3, retryDelayMs: 600_000 } });
    const topicArn = await first.service.createTopic('resume');
    await first.service.subscribe(topicArn, 'http', subscriber.url, { confirmed: true });
    subscriber.failNext(1);
    const failed = new Promise<DeliveryEvent>((resolve) =>
      first.service.events.once('delivery-failed', resolve),
    );
    const sns = client(first);
    const { MessageId } = await sns.send(
      new PublishCommand({ TopicArn: topicArn, Message: 'do not lose me' }),
    );
    sns.destroy();
    expect(await failed).toMatchObject({ messageId: MessageId, attempt: 1, final: false });
    await stop(first);
    expect(readNotifications(dataDir)[0]?.deliveries[0]).toMatchObject({ status: 'pending', attempts: 1 });

    const second = await start({ dataDir });
    const delivered = await subscriber.waitFor(
      (r) => r.answeredWith === 200 && r.json?.MessageId === MessageId,
    );
    expect(delivered[0]?.headers['x-amz-sns-message-id']).toBe(MessageId);
    const deadline = Date.now() + 5_000;
    let status = (await second.service.notifications())[0]?.deliveries[0];
    while (status?.status !== 'delivered' && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 20));
      status = (await second.service.notifications())[0]?.deliveries[0];
    }
    expect(status).toMatchObject({ status: 'delivered', attempts: 2 });
  });

  it('refuses to start on a corrupt state file instead of discarding it', async () => {
    const dataDir = join(root, 'corrupt');
    const first = await start({ dataDir });
    await first.service.createTopic('will-be-corrupted');
    await stop(first);
    await writeFile(join(dataDir, STATE_FILE), '{"version":1,"topics":[');
    expect(() =>
      createSnsService({ region: 'us-east-1', dataDir, publicUrl: () => 'http://127.0.0.1:1' }),
    ).toThrow(SnsStateError);
  });

  it('skips a torn last line of the notification log (a crash mid-write)', async () => {
    const dataDir = join(root, 'torn');
    const first = await start({ dataDir });
    const topicArn = await first.service.createTopic('torn');
    const sns = client(first);
    await sns.send(new PublishCommand({ TopicArn: topicArn, Message: 'complete' }));
    sns.destroy();
    await stop(first);
    await appendFile(join(dataDir, LOG_FILE), '{"type":"published","message":{"messageId":"half');

    const second = await start({ dataDir });
    expect((await second.service.notifications()).map((m) => m.message)).toEqual(['complete']);

    // What this run publishes after the torn line starts a line of its own, so a third start (and
    // anything reading the file) has it: glued to the fragment it was lost.
    const again = client(second);
    await again.send(new PublishCommand({ TopicArn: topicArn, Message: 'after the crash' }));
    again.destroy();
    await stop(second);
    const third = await start({ dataDir });
    expect((await third.service.notifications()).map((m) => m.message)).toEqual([
      'complete',
      'after the crash',
    ]);
  });
});
