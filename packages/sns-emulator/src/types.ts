import type { EventEmitter } from 'node:events';
import type { IncomingMessage, ServerResponse } from 'node:http';

/** The logging port: Powertools' Logger fits it, so does a console wrapper in the CLI. */
export interface Logger {
  info(message: string, extra?: object): void;
  warn(message: string, extra?: object): void;
  error(message: string, extra?: object): void;
  debug(message: string, extra?: object): void;
}

export interface SmtpOptions {
  host: string;
  port: number;
  /** TLS from the first byte (port 465); otherwise STARTTLS is used when the server offers it. */
  secure?: boolean;
  /** Envelope and header sender; defaults to `eventline-sns@localhost`. */
  from?: string;
  auth?: { user: string; pass: string };
}

export interface DeliveryOptions {
  /** How long an HTTP endpoint has to answer (AWS: 15 s). */
  timeoutMs?: number;
  /** Retries after the first attempt (AWS default policy: 3). */
  retries?: number;
  /** Delay between attempts (AWS default policy: 20 s, linear). */
  retryDelayMs?: number;
  /** HTTP/SMTP deliveries running at once; more wait their turn. */
  concurrency?: number;
}

export interface SnsServiceOptions {
  region: string;
  /** Account in every ARN; default `000000000000` as LocalStack users expect. */
  accountId?: string;
  /**
   * Directory for durable state: `state.json` (topics, subscriptions, tokens; atomic rename),
   * `notifications.ndjson` (append-only log of published messages and delivery outcomes) and
   * `signing-key.pem`. In memory only when absent.
   */
  dataDir?: string;
  /** Base URL clients reach the service at, used in SubscribeURL, UnsubscribeURL and SigningCertURL. */
  publicUrl: () => string;
  /** email / email-json delivery through this SMTP server (nodemailer). */
  smtp?: SmtpOptions;
  logger?: Logger;
  delivery?: DeliveryOptions;
  /** Log each published message (subject or first line) through the logger. */
  console?: boolean;
  /** Where sqs and lambda subscriptions deliver (sms is recorded, see `phoneMessages()`). */
  targets?: DeliveryTargets;
  /** Published messages kept in memory for `notifications()`; default 1000. */
  historyLimit?: number;
}

export type Protocol = 'http' | 'https' | 'email' | 'email-json' | 'sqs' | 'lambda' | 'sms';

/** One message as `targets.sqs` is asked to send it (SendMessage's parameters). */
export interface SqsDelivery {
  body: string;
  /** Raw message delivery only: the published message attributes become the SQS message's. */
  attributes?: MessageAttributes;
  /** FIFO topics: the published group and deduplication ids. */
  messageGroupId?: string;
  messageDeduplicationId?: string;
}

/** The event Lambda receives from an SNS subscription (one record). */
export interface SnsLambdaEvent {
  Records: Array<{
    EventSource: 'aws:sns';
    EventVersion: '1.0';
    EventSubscriptionArn: string;
    Sns: {
      Type: 'Notification';
      MessageId: string;
      TopicArn: string;
      Subject: string | null;
      Message: string;
      Timestamp: string;
      SignatureVersion: string;
      Signature: string;
      SigningCertUrl: string;
      UnsubscribeUrl: string;
      MessageAttributes: Record<string, { Type: string; Value: string }>;
    };
  }>;
}

/**
 * Where sqs and lambda subscriptions deliver: the embedding program wires them (the local stack
 * sends to its SQS emulator and calls Lambda's Invoke API). Without one, such deliveries fail,
 * recorded with the reason. A rejection is a failed attempt (retried like any other).
 */
export interface DeliveryTargets {
  sqs?: (queueArn: string, message: SqsDelivery) => Promise<void>;
  lambda?: (functionArn: string, event: SnsLambdaEvent) => Promise<void>;
}

/** An SMS as the phone would show it, kept locally (nothing is sent). */
export interface PhoneMessage {
  messageId: string;
  topicArn: string;
  subscriptionArn: string;
  phoneNumber: string;
  /** The topic's DisplayName (the sender a phone shows), when set. */
  sender?: string;
  text: string;
  /** SMS parts the text takes: 160 GSM-7 characters in one, 153 per part beyond; 70 / 67 for UCS-2. */
  parts: number;
  timestamp: string;
}

export interface MessageAttributeValue {
  DataType: string;
  StringValue?: string;
  /** Base64, as sent on the wire. */
  BinaryValue?: string;
}

export type MessageAttributes = Record<string, MessageAttributeValue>;

export type DeliveryState = 'pending' | 'delivered' | 'failed';

/** What happened to one published message at one subscription. */
export interface DeliveryStatus {
  subscriptionArn: string;
  protocol: Protocol;
  endpoint: string;
  status: DeliveryState;
  attempts: number;
  /** HTTP status of the last attempt, when there was an answer. */
  statusCode?: number;
  error?: string;
  /** ISO-8601 time of the last change. */
  updatedAt: string;
}

export interface PublishedMessage {
  messageId: string;
  topicArn: string;
  /** The Message parameter exactly as published (a JSON object text when messageStructure is json). */
  message: string;
  subject?: string;
  messageStructure?: 'json';
  messageAttributes?: MessageAttributes;
  messageGroupId?: string;
  messageDeduplicationId?: string;
  sequenceNumber?: string;
  /** ISO-8601 UTC with milliseconds, as in the envelope's Timestamp. */
  timestamp: string;
  deliveries: DeliveryStatus[];
}

export interface DeliveryEvent {
  messageId: string;
  messageType: 'Notification' | 'SubscriptionConfirmation' | 'UnsubscribeConfirmation';
  subscriptionArn: string;
  protocol: Protocol;
  endpoint: string;
  attempt: number;
  statusCode?: number;
  error?: string;
  /** On 'delivery-failed': true when no attempt is left. */
  final?: boolean;
}

export interface SubscribeOptions {
  /** Create the subscription confirmed, for subscriptions declared in the project's config (an existing one takes these attributes). */
  confirmed?: boolean;
  attributes?: Record<string, string>;
}

export interface NotificationQuery {
  topicArn?: string;
  limit?: number;
}

export interface SnsService {
  /** Answers one request whose body the edge has already read (POST form body or GET query string). */
  handle(req: IncomingMessage, res: ServerResponse, body: Buffer): Promise<void>;
  /** True when the edge should hand this request to SNS. */
  isSnsRequest(req: IncomingMessage, body: Buffer): boolean;
  /** Creates (or finds) a topic in the service's region; returns its ARN. */
  createTopic(name: string): Promise<string>;
  /** Subscribes like the Subscribe action; returns the subscription ARN (even while pending). */
  subscribe(
    topicArn: string,
    protocol: Protocol,
    endpoint: string,
    options?: SubscribeOptions,
  ): Promise<string>;
  /** Recent published messages with their deliveries' status, newest last. */
  notifications(query?: NotificationQuery): Promise<PublishedMessage[]>;
  /** SMS sent to sms subscriptions, as the phones would show them, from the recent published messages. */
  phoneMessages(query?: NotificationQuery): Promise<PhoneMessage[]>;
  /** PEM of the certificate whose key signs every message (served at `/_sns/cert.pem`). */
  readonly signingCertificate: string;
  /** 'published' (PublishedMessage), 'delivered' and 'delivery-failed' (DeliveryEvent). */
  readonly events: EventEmitter;
  /** Waits (bounded) for deliveries in progress, keeps unfinished ones for the next start, closes SMTP. */
  close(): Promise<void>;
}
