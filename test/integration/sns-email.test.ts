import { verify, X509Certificate } from 'node:crypto';
import {
  CreateTopicCommand,
  ListSubscriptionsByTopicCommand,
  PublishCommand,
  SetTopicAttributesCommand,
  SNSClient,
  SubscribeCommand,
} from '@aws-sdk/client-sns';
import { type SnsServer, startSnsServer } from '@eventline/sns-emulator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type SmtpSink, startSmtpSink } from '../support/smtp-sink.ts';

/** email / email-json subscriptions delivered through nodemailer to a real local SMTP server. */
describe('SNS email delivery (real SMTP server)', () => {
  let smtp: SmtpSink;
  let server: SnsServer;
  let sns: SNSClient;

  beforeAll(async () => {
    smtp = await startSmtpSink();
    server = await startSnsServer({
      region: 'us-east-1',
      smtp: { host: smtp.host, port: smtp.port, from: 'sns@eventline.test' },
      delivery: { timeoutMs: 5_000, retries: 2, retryDelayMs: 30 },
    });
    sns = new SNSClient({
      endpoint: server.url,
      region: 'us-east-1',
      credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    });
  });

  afterAll(async () => {
    sns.destroy();
    await server.close();
    await smtp.close();
  });

  const createTopic = async (name: string): Promise<string> =>
    (await sns.send(new CreateTopicCommand({ Name: name }))).TopicArn as string;

  /** Subscribes, reads the confirmation mail, and visits its link like the recipient would. */
  async function confirmByMail(
    topicArn: string,
    protocol: 'email' | 'email-json',
    address: string,
  ): Promise<void> {
    const result = await sns.send(
      new SubscribeCommand({ TopicArn: topicArn, Protocol: protocol, Endpoint: address }),
    );
    expect(result.SubscriptionArn).toBe('pending confirmation');
    const [mail] = await smtp.waitFor((m) => m.envelopeTo.includes(address));
    expect(mail?.subject).toBe('AWS Notification - Subscription Confirmation');
    // email gets a text with the link; email-json the SubscriptionConfirmation JSON envelope
    const link =
      protocol === 'email-json'
        ? (JSON.parse(mail?.text ?? '{}') as { Type?: string; SubscribeURL?: string }).SubscribeURL
        : /(http:\/\/\S+Action=ConfirmSubscription\S+)/.exec(mail?.text ?? '')?.[1];
    expect(link).toBeDefined();
    const visit = await fetch(String(link));
    expect(visit.status).toBe(200);
    const listed = await sns.send(new ListSubscriptionsByTopicCommand({ TopicArn: topicArn }));
    const subscription = listed.Subscriptions?.find((s) => s.Endpoint === address);
    expect(subscription?.SubscriptionArn).toMatch(new RegExp(`^${topicArn}:`));
  }

  it('confirms an email subscription by mail, then mails each message with its Subject', async () => {
    const topicArn = await createTopic('email-plain');
    await sns.send(
      new SetTopicAttributesCommand({
        TopicArn: topicArn,
        AttributeName: 'DisplayName',
        AttributeValue: 'Eventline',
      }),
    );
    await confirmByMail(topicArn, 'email', 'ops@example.test');

    await sns.send(
      new PublishCommand({
        TopicArn: topicArn,
        Subject: 'S3 Event Processed',
        Message: 'New file processed: incoming/a.json\nsecond line',
      }),
    );
    const [mail] = await smtp.waitFor((m) => m.subject === 'S3 Event Processed');
    expect(mail?.envelopeTo).toEqual(['ops@example.test']);
    expect(mail?.from).toEqual({ address: 'sns@eventline.test', name: 'Eventline' });
    expect(mail?.text.startsWith('New file processed: incoming/a.json\nsecond line\n')).toBe(true);
    expect(mail?.text).toContain('Action=Unsubscribe');
  });

  it('mails the `email` key of a MessageStructure=json message, with a default subject when none is given', async () => {
    const topicArn = await createTopic('email-structure');
    await confirmByMail(topicArn, 'email', 'structured@example.test');
    await sns.send(
      new PublishCommand({
        TopicArn: topicArn,
        MessageStructure: 'json',
        Message: JSON.stringify({ default: 'default text', email: 'text for email' }),
      }),
    );
    const [mail] = await smtp.waitFor(
      (m) => m.envelopeTo.includes('structured@example.test') && m.text.includes('text for'),
    );
    expect(mail?.subject).toBe('AWS Notification Message');
    expect(mail?.text.startsWith('text for email')).toBe(true);
  });

  it('mails the signed JSON envelope to email-json subscriptions', async () => {
    const topicArn = await createTopic('email-json');
    await confirmByMail(topicArn, 'email-json', 'json@example.test');
    const { MessageId } = await sns.send(
      new PublishCommand({ TopicArn: topicArn, Subject: 'As JSON', Message: 'payload' }),
    );
    const [mail] = await smtp.waitFor((m) => m.subject === 'As JSON');
    const envelope = JSON.parse(mail?.text ?? '{}') as Record<string, string>;
    expect(envelope).toMatchObject({
      Type: 'Notification',
      MessageId,
      TopicArn: topicArn,
      Subject: 'As JSON',
      Message: 'payload',
    });
    const certificate = new X509Certificate(await (await fetch(envelope.SigningCertURL as string)).text());
    const signed = ['Message', 'MessageId', 'Subject', 'Timestamp', 'TopicArn', 'Type']
      .map((name) => `${name}\n${envelope[name]}\n`)
      .join('');
    expect(
      verify(
        'sha1',
        Buffer.from(signed),
        certificate.publicKey,
        Buffer.from(envelope.Signature as string, 'base64'),
      ),
    ).toBe(true);
  });

  it('retries a temporary SMTP failure', async () => {
    const topicArn = await createTopic('email-retry');
    await confirmByMail(topicArn, 'email', 'retry@example.test');
    smtp.failNext(1);
    const { MessageId } = await sns.send(
      new PublishCommand({ TopicArn: topicArn, Subject: 'Second time lucky', Message: 'x' }),
    );
    await smtp.waitFor((m) => m.subject === 'Second time lucky');
    const record = (await server.service.notifications({ topicArn })).find((m) => m.messageId === MessageId);
    const deadline = Date.now() + 5_000;
    let delivery = record?.deliveries[0];
    while (delivery?.status !== 'delivered' && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 20));
      delivery = (await server.service.notifications({ topicArn })).find((m) => m.messageId === MessageId)
        ?.deliveries[0];
    }
    expect(delivery).toMatchObject({ status: 'delivered', attempts: 2, protocol: 'email' });
  });

  it('creates configured subscriptions pre-confirmed through the programmatic API', async () => {
    const topicArn = await server.service.createTopic('email-configured');
    const arn = await server.service.subscribe(topicArn, 'email', 'configured@example.test', {
      confirmed: true,
    });
    expect(arn).toMatch(new RegExp(`^${topicArn}:`));
    await sns.send(new PublishCommand({ TopicArn: topicArn, Subject: 'Configured', Message: 'hello' }));
    const [mail] = await smtp.waitFor((m) => m.subject === 'Configured');
    expect(mail?.envelopeTo).toEqual(['configured@example.test']);
    // no confirmation mail was sent for it
    expect(smtp.messages.filter((m) => m.envelopeTo.includes('configured@example.test'))).toHaveLength(1);
  });
});
