/** Facts of the SNS Query API and delivery (shared/reference/aws-wire-formats.md sections 4 and 5). */

export const XML_NAMESPACE = 'http://sns.amazonaws.com/doc/2010-03-31/';
export const API_VERSION = '2010-03-31';
export const DEFAULT_ACCOUNT_ID = '000000000000';

/** Every operation of the SNS model; the edge routes any of them here, unsupported ones get InvalidAction. */
export const SNS_ACTIONS: ReadonlySet<string> = new Set([
  'AddPermission',
  'CheckIfPhoneNumberIsOptedOut',
  'ConfirmSubscription',
  'CreatePlatformApplication',
  'CreatePlatformEndpoint',
  'CreateSMSSandboxPhoneNumber',
  'CreateTopic',
  'DeleteEndpoint',
  'DeletePlatformApplication',
  'DeleteSMSSandboxPhoneNumber',
  'DeleteTopic',
  'GetDataProtectionPolicy',
  'GetEndpointAttributes',
  'GetPlatformApplicationAttributes',
  'GetSMSAttributes',
  'GetSMSSandboxAccountStatus',
  'GetSubscriptionAttributes',
  'GetTopicAttributes',
  'ListEndpointsByPlatformApplication',
  'ListOriginationNumbers',
  'ListPhoneNumbersOptedOut',
  'ListPlatformApplications',
  'ListSMSSandboxPhoneNumbers',
  'ListSubscriptions',
  'ListSubscriptionsByTopic',
  'ListTagsForResource',
  'ListTopics',
  'OptInPhoneNumber',
  'Publish',
  'PublishBatch',
  'PutDataProtectionPolicy',
  'RemovePermission',
  'SetEndpointAttributes',
  'SetPlatformApplicationAttributes',
  'SetSMSAttributes',
  'SetSubscriptionAttributes',
  'SetTopicAttributes',
  'Subscribe',
  'TagResource',
  'Unsubscribe',
  'UntagResource',
  'VerifySMSSandboxPhoneNumber',
]);

/** Message (with its attributes) and a whole PublishBatch: 256 KB. */
export const MAX_MESSAGE_BYTES = 262_144;
export const MAX_BATCH_ENTRIES = 10;
/** moto accepts 100; the model says "less than 100" (unverified which one AWS enforces). */
export const MAX_SUBJECT_CHARS = 100;
export const LIST_PAGE_SIZE = 100;
/** Confirmation tokens live 2 days. */
export const TOKEN_TTL_MS = 2 * 24 * 60 * 60 * 1000;
/** FIFO deduplication window. */
export const DEDUPLICATION_WINDOW_MS = 5 * 60 * 1000;

export const DELIVERY_USER_AGENT = 'Amazon Simple Notification Service Agent';
export const DELIVERY_CONTENT_TYPE = 'text/plain; charset=UTF-8';

export const SUPPORTED_PROTOCOLS = ['http', 'https', 'email', 'email-json', 'sqs', 'lambda', 'sms'] as const;
/** Protocols AWS knows but this local service cannot deliver to. */
export const KNOWN_UNSUPPORTED_PROTOCOLS = ['application', 'firehose'] as const;
/** Protocols whose subscriptions need the endpoint's confirmation (the others are confirmed at once). */
export const CONFIRMED_BY_ENDPOINT: ReadonlySet<string> = new Set(['http', 'https', 'email', 'email-json']);

export const DEFAULT_DELIVERY = {
  timeoutMs: 15_000,
  retries: 3,
  retryDelayMs: 20_000,
  concurrency: 16,
} as const;

export const CERT_PATH = '/_sns/cert.pem';
export const INTERNAL_PATH_PREFIX = '/_sns/';

export const TOPIC_ATTRIBUTE_NAMES: ReadonlySet<string> = new Set([
  'DisplayName',
  'Policy',
  'DeliveryPolicy',
  'SignatureVersion',
  'TracingConfig',
  'KmsMasterKeyId',
  'FifoTopic',
  'ContentBasedDeduplication',
  'ArchivePolicy',
  'FifoThroughputScope',
  'ApplicationSuccessFeedbackRoleArn',
  'ApplicationSuccessFeedbackSampleRate',
  'ApplicationFailureFeedbackRoleArn',
  'HTTPSuccessFeedbackRoleArn',
  'HTTPSuccessFeedbackSampleRate',
  'HTTPFailureFeedbackRoleArn',
  'LambdaSuccessFeedbackRoleArn',
  'LambdaSuccessFeedbackSampleRate',
  'LambdaFailureFeedbackRoleArn',
  'SQSSuccessFeedbackRoleArn',
  'SQSSuccessFeedbackSampleRate',
  'SQSFailureFeedbackRoleArn',
  'FirehoseSuccessFeedbackRoleArn',
  'FirehoseSuccessFeedbackSampleRate',
  'FirehoseFailureFeedbackRoleArn',
]);

export const SUBSCRIPTION_ATTRIBUTE_NAMES: ReadonlySet<string> = new Set([
  'DeliveryPolicy',
  'FilterPolicy',
  'FilterPolicyScope',
  'RawMessageDelivery',
  'RedrivePolicy',
  'SubscriptionRoleArn',
  'ReplayPolicy',
]);
