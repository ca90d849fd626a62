/**
 * The SNS conformance cases: each states what AWS documents (with the page), as data — steps of
 * (operation, parameters in SNS's API shapes, expected outcome) — so that the same table runs
 * through SDK v3 (sdk-runner.ts) and through boto3 (runner.py) against any SNS endpoint.
 *
 * Parameters: `$U` in any string is replaced by a word unique to the run (topics are per account);
 * `{{name}}` by a value an earlier step saved (`save: { name: 'Path.To.Member' }`); a string that
 * is exactly `{{name}}` becomes the saved value itself. `{ $repeat: [text, n] }` becomes text × n.
 *
 * Pseudo-operations, the same in both runners (each runner serves a real loopback HTTP subscriber):
 * - `SubscribeHttp { TopicArn, Name, Attributes?, ReturnSubscriptionArn? }`: Subscribe with protocol
 *   http and the endpoint `<subscriber>/<Name>` (names carry `$U`: each runner has one subscriber); answers `{ SubscriptionArn, Endpoint }`.
 * - `AwaitConfirmation { Endpoint }`: waits (bounded) for the SubscriptionConfirmation POSTed there;
 *   answers `{ Headers, Body }` (the `x-amz-sns-*` and content-type headers, the parsed envelope).
 * - `AwaitNotifications { Endpoint, Count }`: waits (bounded) until Count Notifications arrived
 *   there; answers `{ Count, Messages, Envelopes, Headers }` (all arrived so far, sorted by Message;
 *   the first one's headers).
 * - `CreateTopics { Prefix, Count }`: creates Count topics `<Prefix>-<i>`; answers `{ Count }`.
 * - `ListTopicsAll { Contains }`: pages ListTopics to the end; answers `{ Pages, PageSizes, Mine,
 *   Distinct }` (Mine: ARNs containing `Contains`).
 * - `Raw { Form }`: a SigV4-signed form POST of `Form` (Action, Version and the rest), read as bytes;
 *   answers `{ Status, ContentType, Root, Namespace, First, Code, Type, HasMessage, HasRequestId }`
 *   (the XML's root element and its namespace, the root's first child, and the error members).
 *
 * An error is stated as AWS's wire `Code`, HTTP status and `Type`; SDK v3's exception name for it
 * is the reference's table (`SDK_NAMES`).
 *
 * `differs` records where moto_server (the second opinion) disagrees with the documentation: the
 * case then asserts that it still does (the documentation wins; the case says what moto does).
 */
export interface Step {
  op: string;
  params: Record<string, unknown>;
  /** The successful answer's shape (see `mismatches` in @eventline/test-kit). */
  ok?: unknown;
  error?: { code: string; status: number; type: 'Sender' | 'Receiver' };
  /** Values to keep for later steps: name → dotted path into the answer. */
  save?: Record<string, string>;
}

export type Target = 'emulator' | 'moto';

export interface Case {
  name: string;
  /** What AWS documents, in a sentence. */
  says: string;
  /** The documentation page. */
  doc: string;
  steps: Step[];
  /** Targets known to disagree with the documentation, and how. */
  differs?: Partial<Record<Target, string>>;
}

/** SDK v3's exception names for SNS's wire codes (reference §4, from the SDK's SNS model). */
export const SDK_NAMES: Record<string, string> = {
  InvalidParameter: 'InvalidParameterException',
  ParameterValueInvalid: 'InvalidParameterValueException',
  NotFound: 'NotFoundException',
  ResourceNotFound: 'ResourceNotFoundException',
  AuthorizationError: 'AuthorizationErrorException',
  InvalidAction: 'InvalidAction',
};

const API = 'https://docs.aws.amazon.com/sns/latest/api';
const DG = 'https://docs.aws.amazon.com/sns/latest/dg';
const REGION = 'us-east-1';

const ARN = (name: string) => ({ $re: `^arn:aws:sns:${REGION}:\\d{12}:${name}$` });
const SUBSCRIPTION_ARN = { $re: `^arn:aws:sns:${REGION}:\\d{12}:[^:]+:[0-9a-f-]{36}$` };
const present = { $present: true };
const absent = { $absent: true };
const INVALID = { code: 'InvalidParameter', status: 400, type: 'Sender' } as const;
const NOT_FOUND = { code: 'NotFound', status: 404, type: 'Sender' } as const;
const NAMESPACE = 'http://sns.amazonaws.com/doc/2010-03-31/';

const createTopic = (name: string, save = 'topic', extra: Record<string, unknown> = {}): Step => ({
  op: 'CreateTopic',
  params: { Name: name, ...extra },
  ok: { TopicArn: ARN(name) },
  save: { [save]: 'TopicArn' },
});

/** Subscribe an HTTP endpoint, wait for its SubscriptionConfirmation, confirm with its token. */
const confirmedHttp = (name: string, topic = 'topic', attributes?: Record<string, string>): Step[] => [
  {
    op: 'SubscribeHttp',
    params: {
      TopicArn: `{{${topic}}}`,
      Name: `${name}-$U`,
      ...(attributes ? { Attributes: attributes } : {}),
    },
    save: { [`${name}Endpoint`]: 'Endpoint' },
  },
  {
    op: 'AwaitConfirmation',
    params: { Endpoint: `{{${name}Endpoint}}` },
    save: { [`${name}Token`]: 'Body.Token' },
  },
  {
    op: 'ConfirmSubscription',
    params: { TopicArn: `{{${topic}}}`, Token: `{{${name}Token}}` },
    ok: { SubscriptionArn: SUBSCRIPTION_ARN },
    save: { [`${name}Arn`]: 'SubscriptionArn' },
  },
];

const MOTO_NO_HANDSHAKE =
  'moto confirms http subscriptions itself and never POSTs a SubscriptionConfirmation to the endpoint';

export const cases: Case[] = [
  // --- CreateTopic -------------------------------------------------------------------------------
  {
    name: 'CreateTopic is idempotent: the same name answers the same ARN',
    says: 'If the requester already owns a topic with the specified name, that topic’s ARN is returned without creating a new topic.',
    doc: `${API}/API_CreateTopic.html`,
    steps: [
      createTopic('conf-idem-$U'),
      { op: 'CreateTopic', params: { Name: 'conf-idem-$U' }, ok: { TopicArn: '{{topic}}' } },
    ],
  },
  {
    name: 'CreateTopic keeps the attributes given; GetTopicAttributes reports them beside the defaults',
    says: 'CreateTopic takes Attributes such as DisplayName; GetTopicAttributes returns TopicArn, Owner, Policy, DisplayName, SubscriptionsConfirmed/Pending/Deleted and EffectiveDeliveryPolicy.',
    doc: `${API}/API_GetTopicAttributes.html`,
    steps: [
      createTopic('conf-attrs-$U', 'topic', { Attributes: { DisplayName: 'Conformance' } }),
      {
        op: 'GetTopicAttributes',
        params: { TopicArn: '{{topic}}' },
        ok: {
          Attributes: {
            TopicArn: '{{topic}}',
            DisplayName: 'Conformance',
            Owner: { $re: '^\\d{12}$' },
            Policy: present,
            SubscriptionsConfirmed: '0',
            SubscriptionsPending: '0',
            SubscriptionsDeleted: '0',
            EffectiveDeliveryPolicy: present,
          },
        },
      },
    ],
  },
  {
    name: 'CreateTopic refuses a name with characters outside [A-Za-z0-9_-]',
    says: 'Topic names must be made up of only uppercase and lowercase ASCII letters, numbers, underscores, and hyphens, and must be between 1 and 256 characters long.',
    doc: `${API}/API_CreateTopic.html#API_CreateTopic_RequestParameters`,
    steps: [{ op: 'CreateTopic', params: { Name: 'bad name!' }, error: INVALID }],
  },
  {
    name: 'CreateTopic refuses a name of 257 characters',
    says: 'Topic names must be between 1 and 256 characters long.',
    doc: `${API}/API_CreateTopic.html#API_CreateTopic_RequestParameters`,
    steps: [
      { op: 'CreateTopic', params: { Name: `a${'b'.repeat(255)}` }, ok: { TopicArn: present } },
      { op: 'CreateTopic', params: { Name: `a${'b'.repeat(256)}` }, error: INVALID },
    ],
  },
  {
    name: 'A FIFO topic is named *.fifo and created with FifoTopic=true',
    says: 'For a FIFO topic, the name must end with the .fifo suffix; FifoTopic set to true creates a FIFO topic, and GetTopicAttributes reports FifoTopic.',
    doc: `${API}/API_CreateTopic.html`,
    steps: [
      createTopic('conf-fifo-$U.fifo', 'topic', { Attributes: { FifoTopic: 'true' } }),
      {
        op: 'GetTopicAttributes',
        params: { TopicArn: '{{topic}}' },
        ok: { Attributes: { FifoTopic: 'true', TopicArn: '{{topic}}' } },
      },
    ],
  },
  {
    name: 'FifoTopic=true on a name without .fifo is refused',
    says: 'For a FIFO (first-in-first-out) topic, the name must end with the .fifo suffix.',
    doc: `${API}/API_CreateTopic.html#API_CreateTopic_RequestParameters`,
    steps: [
      {
        op: 'CreateTopic',
        params: { Name: 'conf-nofifo-$U', Attributes: { FifoTopic: 'true' } },
        error: INVALID,
      },
    ],
  },
  {
    name: 'Publishing to a FIFO topic needs a MessageGroupId and answers a SequenceNumber',
    says: 'MessageGroupId is required for FIFO topics; a FIFO publish answers SequenceNumber, a 128-bit number as a string, non-empty.',
    doc: `${API}/API_Publish.html`,
    differs: {
      moto: 'moto answers MissingParameter (not InvalidParameter) without a MessageGroupId, and no SequenceNumber',
    },
    steps: [
      createTopic('conf-fifopub-$U.fifo', 'topic', { Attributes: { FifoTopic: 'true' } }),
      {
        op: 'Publish',
        params: { TopicArn: '{{topic}}', Message: 'no group', MessageDeduplicationId: 'd1' },
        error: INVALID,
      },
      {
        op: 'Publish',
        params: {
          TopicArn: '{{topic}}',
          Message: 'grouped',
          MessageGroupId: 'g',
          MessageDeduplicationId: 'd2',
        },
        ok: { MessageId: present, SequenceNumber: { $re: '^\\d+$' } },
      },
    ],
  },

  // --- Subscribe / ConfirmSubscription: the HTTP handshake ------------------------------------------
  {
    name: 'Subscribing an HTTP endpoint: pending until the endpoint confirms with the token it was POSTed',
    says: 'SNS POSTs a SubscriptionConfirmation (x-amz-sns-message-type, Type, Token, SubscribeURL, TopicArn) to the endpoint; Subscribe answers "pending confirmation"; the subscription lists as PendingConfirmation until ConfirmSubscription with the token, which answers the subscription ARN.',
    doc: `${DG}/SendMessageToHttp.prepare.html`,
    differs: { moto: MOTO_NO_HANDSHAKE },
    steps: [
      createTopic('conf-handshake-$U'),
      {
        op: 'SubscribeHttp',
        params: { TopicArn: '{{topic}}', Name: 'hs-$U' },
        ok: { SubscriptionArn: 'pending confirmation' },
        save: { endpoint: 'Endpoint' },
      },
      {
        op: 'AwaitConfirmation',
        params: { Endpoint: '{{endpoint}}' },
        ok: {
          Headers: {
            'x-amz-sns-message-type': 'SubscriptionConfirmation',
            'x-amz-sns-topic-arn': '{{topic}}',
            'x-amz-sns-message-id': present,
            'content-type': { $re: '^text/plain' },
          },
          Body: {
            Type: 'SubscriptionConfirmation',
            TopicArn: '{{topic}}',
            Token: present,
            SubscribeURL: { $re: 'Action=ConfirmSubscription' },
            Message: present,
            MessageId: present,
            Timestamp: { $re: '^\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}Z$' },
            SignatureVersion: '1',
            Signature: present,
            SigningCertURL: present,
          },
        },
        save: { token: 'Body.Token' },
      },
      {
        op: 'ListSubscriptionsByTopic',
        params: { TopicArn: '{{topic}}' },
        ok: {
          Subscriptions: [
            { SubscriptionArn: 'PendingConfirmation', Protocol: 'http', Endpoint: '{{endpoint}}' },
          ],
        },
      },
      {
        op: 'GetTopicAttributes',
        params: { TopicArn: '{{topic}}' },
        ok: { Attributes: { SubscriptionsPending: '1' } },
      },
      {
        op: 'ConfirmSubscription',
        params: { TopicArn: '{{topic}}', Token: '{{token}}' },
        ok: { SubscriptionArn: SUBSCRIPTION_ARN },
        save: { arn: 'SubscriptionArn' },
      },
      {
        op: 'ListSubscriptionsByTopic',
        params: { TopicArn: '{{topic}}' },
        ok: { Subscriptions: [{ SubscriptionArn: '{{arn}}', TopicArn: '{{topic}}', Owner: present }] },
      },
      {
        op: 'GetTopicAttributes',
        params: { TopicArn: '{{topic}}' },
        ok: { Attributes: { SubscriptionsConfirmed: '1', SubscriptionsPending: '0' } },
      },
    ],
  },
  {
    name: 'Subscribe with ReturnSubscriptionArn answers the ARN even while pending',
    says: 'If ReturnSubscriptionArn is true, the response includes the ARN in all cases, even if the subscription is not yet confirmed.',
    doc: `${API}/API_Subscribe.html#API_Subscribe_RequestParameters`,
    steps: [
      createTopic('conf-retarn-$U'),
      {
        op: 'SubscribeHttp',
        params: { TopicArn: '{{topic}}', Name: 'ret-$U', ReturnSubscriptionArn: true },
        ok: { SubscriptionArn: SUBSCRIPTION_ARN },
      },
    ],
  },
  {
    name: 'ConfirmSubscription with a token SNS never sent is refused',
    says: 'ConfirmSubscription verifies the token sent to the endpoint by an earlier Subscribe; errors: InvalidParameter (400), NotFound (404).',
    doc: `${API}/API_ConfirmSubscription.html#API_ConfirmSubscription_Errors`,
    differs: { moto: 'moto confirms with any token' },
    steps: [
      createTopic('conf-badtoken-$U'),
      {
        op: 'ConfirmSubscription',
        params: { TopicArn: '{{topic}}', Token: 'not-a-token-$U' },
        error: INVALID,
      },
    ],
  },
  {
    name: 'Subscribe to a topic that does not exist is NotFound',
    says: 'NotFound: the requested resource does not exist (HTTP 404).',
    doc: `${API}/API_Subscribe.html#API_Subscribe_Errors`,
    steps: [
      {
        op: 'Subscribe',
        params: {
          TopicArn: `arn:aws:sns:${REGION}:000000000000:conf-missing-$U`,
          Protocol: 'http',
          Endpoint: 'http://127.0.0.1:9/nothing',
        },
        error: NOT_FOUND,
      },
    ],
  },
  {
    name: 'Unsubscribe removes the subscription from the topic’s listing',
    says: 'Unsubscribe deletes a subscription; it then no longer lists.',
    doc: `${API}/API_Unsubscribe.html`,
    differs: { moto: MOTO_NO_HANDSHAKE },
    steps: [
      createTopic('conf-unsub-$U'),
      ...confirmedHttp('un'),
      { op: 'Unsubscribe', params: { SubscriptionArn: '{{unArn}}' }, ok: {} },
      {
        op: 'ListSubscriptionsByTopic',
        params: { TopicArn: '{{topic}}' },
        ok: { Subscriptions: { $len: 0 } },
      },
    ],
  },

  // --- Publish -----------------------------------------------------------------------------------
  {
    name: 'Publish delivers a Notification envelope with Subject, MessageAttributes and the MessageId Publish answered',
    says: 'An HTTP endpoint receives a JSON Notification with Type, MessageId, TopicArn, Subject, Message, Timestamp, SignatureVersion, Signature, SigningCertURL, UnsubscribeURL and MessageAttributes ({"Type","Value"}), with x-amz-sns-message-type: Notification.',
    doc: `${DG}/http-notification-json.html`,
    differs: { moto: MOTO_NO_HANDSHAKE },
    steps: [
      createTopic('conf-publish-$U'),
      ...confirmedHttp('pub'),
      {
        op: 'Publish',
        params: {
          TopicArn: '{{topic}}',
          Subject: 'Conformance subject',
          Message: 'hello from the conformance suite',
          MessageAttributes: {
            colour: { DataType: 'String', StringValue: 'red' },
            size: { DataType: 'Number', StringValue: '12' },
          },
        },
        ok: { MessageId: { $re: '^[0-9a-f-]{36}$' } },
        save: { messageId: 'MessageId' },
      },
      {
        op: 'AwaitNotifications',
        params: { Endpoint: '{{pubEndpoint}}', Count: 1 },
        ok: {
          Count: 1,
          Headers: {
            'x-amz-sns-message-type': 'Notification',
            'x-amz-sns-message-id': '{{messageId}}',
            'x-amz-sns-subscription-arn': '{{pubArn}}',
          },
          Envelopes: [
            {
              Type: 'Notification',
              MessageId: '{{messageId}}',
              TopicArn: '{{topic}}',
              Subject: 'Conformance subject',
              Message: 'hello from the conformance suite',
              UnsubscribeURL: present,
              SignatureVersion: '1',
              Signature: present,
              SigningCertURL: present,
              MessageAttributes: {
                colour: { Type: 'String', Value: 'red' },
                size: { Type: 'Number', Value: '12' },
              },
            },
          ],
        },
      },
    ],
  },
  {
    name: 'MessageStructure=json: each protocol gets its key, else default; a message without default is refused',
    says: 'With MessageStructure set to json, Message must be a JSON object with at least a top-level "default" key of type string; keys name protocols, and a subscriber receives its protocol’s value.',
    doc: `${API}/API_Publish.html#API_Publish_RequestParameters`,
    differs: { moto: MOTO_NO_HANDSHAKE },
    steps: [
      createTopic('conf-structure-$U'),
      ...confirmedHttp('st'),
      {
        op: 'Publish',
        params: {
          TopicArn: '{{topic}}',
          MessageStructure: 'json',
          Message: JSON.stringify({ default: 'for everyone', http: 'for http', email: 'for email' }),
        },
        ok: { MessageId: present },
      },
      {
        op: 'AwaitNotifications',
        params: { Endpoint: '{{stEndpoint}}', Count: 1 },
        ok: { Messages: ['for http'] },
      },
      {
        op: 'Publish',
        params: {
          TopicArn: '{{topic}}',
          MessageStructure: 'json',
          Message: JSON.stringify({ http: 'no default' }),
        },
        error: INVALID,
      },
      {
        op: 'Publish',
        params: { TopicArn: '{{topic}}', MessageStructure: 'json', Message: 'not json' },
        error: INVALID,
      },
    ],
  },
  {
    name: 'Publish accepts a message of 262,144 bytes and refuses one byte more',
    says: 'Messages must be UTF-8 encoded strings and at most 256 KB in size (262,144 bytes, not 262,144 characters).',
    doc: `${API}/API_Publish.html#API_Publish_RequestParameters`,
    differs: { moto: 'moto counts characters, not bytes: 87,382 three-byte characters pass' },
    steps: [
      createTopic('conf-size-$U'),
      {
        op: 'Publish',
        params: { TopicArn: '{{topic}}', Message: { $repeat: ['x', 262_144] } },
        ok: { MessageId: present },
      },
      {
        op: 'Publish',
        params: { TopicArn: '{{topic}}', Message: { $repeat: ['x', 262_145] } },
        error: INVALID,
      },
      // 87,382 three-byte characters: 262,146 bytes though under 262,144 characters.
      {
        op: 'Publish',
        params: { TopicArn: '{{topic}}', Message: { $repeat: ['€', 87_382] } },
        error: INVALID,
      },
    ],
  },
  {
    name: 'Publish to a topic that does not exist is NotFound (HTTP 404, Type Sender)',
    says: 'NotFound: indicates that the requested resource does not exist; HTTP status code 404.',
    doc: `${API}/API_Publish.html#API_Publish_Errors`,
    steps: [
      {
        op: 'Publish',
        params: { TopicArn: `arn:aws:sns:${REGION}:000000000000:conf-missing-$U`, Message: 'nobody' },
        error: NOT_FOUND,
      },
    ],
  },
  {
    name: 'A message attribute of an unknown data type is refused',
    says: 'A message attribute’s DataType is String, String.Array, Number or Binary (with optional custom suffixes after a dot); another type fails the Publish with ParameterValueInvalid (the code for a parameter value outside its constraints, reference §4).',
    doc: `${DG}/sns-message-attributes.html`,
    differs: { moto: 'moto answers InvalidParameter' },
    steps: [
      createTopic('conf-attrtype-$U'),
      {
        op: 'Publish',
        params: {
          TopicArn: '{{topic}}',
          Message: 'typed',
          MessageAttributes: { bad: { DataType: 'Colour', StringValue: 'red' } },
        },
        error: { code: 'ParameterValueInvalid', status: 400, type: 'Sender' },
      },
    ],
  },

  // --- Filter policies -----------------------------------------------------------------------------
  {
    name: 'A filter policy on message attributes lets through only matching messages',
    says: 'A subscription with a FilterPolicy receives only messages whose attributes match it: exact strings, anything-but, numeric ranges, prefix and exists; other messages are not delivered to it.',
    doc: `${DG}/sns-subscription-filter-policies.html`,
    differs: { moto: MOTO_NO_HANDSHAKE },
    steps: [
      createTopic('conf-filter-$U'),
      ...confirmedHttp('all'),
      ...confirmedHttp('fil', 'topic', {
        FilterPolicy: JSON.stringify({
          colour: ['red', { prefix: 'gr' }],
          size: [{ numeric: ['>=', 10, '<', 20] }],
          store: [{ exists: false }],
        }),
      }),
      ...(
        [
          ['m1 match', { colour: 'red', size: 10 }],
          ['m2 size too big', { colour: 'red', size: 20 }],
          ['m3 match by prefix', { colour: 'green', size: 19.5 }],
          ['m4 colour', { colour: 'blue', size: 12 }],
          ['m5 store exists', { colour: 'red', size: 12, store: 'x' }],
          ['m6 no attributes', {}],
        ] as const
      ).map(
        ([message, attributes]): Step => ({
          op: 'Publish',
          params: {
            TopicArn: '{{topic}}',
            Message: message,
            MessageAttributes: Object.fromEntries(
              Object.entries(attributes).map(([name, value]) => [
                name,
                { DataType: typeof value === 'number' ? 'Number' : 'String', StringValue: String(value) },
              ]),
            ),
          },
          ok: { MessageId: present },
        }),
      ),
      // The unfiltered subscription gets all six first; then the filtered one must hold exactly two.
      { op: 'AwaitNotifications', params: { Endpoint: '{{allEndpoint}}', Count: 6 }, ok: { Count: 6 } },
      {
        op: 'AwaitNotifications',
        params: { Endpoint: '{{filEndpoint}}', Count: 2 },
        ok: { Count: 2, Messages: ['m1 match', 'm3 match by prefix'] },
      },
    ],
  },
  {
    name: 'FilterPolicyScope MessageBody filters on the JSON message body',
    says: 'With FilterPolicyScope set to MessageBody, the filter policy applies to the message body (a JSON object); nested keys match nested properties.',
    doc: `${DG}/sns-message-filtering-scope.html`,
    differs: { moto: MOTO_NO_HANDSHAKE },
    steps: [
      createTopic('conf-bodyfilter-$U'),
      ...confirmedHttp('all'),
      ...confirmedHttp('body', 'topic', {
        FilterPolicyScope: 'MessageBody',
        FilterPolicy: JSON.stringify({ order: { status: ['paid'] } }),
      }),
      ...[{ order: { status: 'paid', id: 1 } }, { order: { status: 'open', id: 2 } }, { other: true }].map(
        (body): Step => ({
          op: 'Publish',
          params: { TopicArn: '{{topic}}', Message: JSON.stringify(body) },
          ok: { MessageId: present },
        }),
      ),
      { op: 'AwaitNotifications', params: { Endpoint: '{{allEndpoint}}', Count: 3 }, ok: { Count: 3 } },
      {
        op: 'AwaitNotifications',
        params: { Endpoint: '{{bodyEndpoint}}', Count: 1 },
        ok: { Count: 1, Messages: [JSON.stringify({ order: { status: 'paid', id: 1 } })] },
      },
    ],
  },
  {
    name: 'An invalid filter policy is refused at SetSubscriptionAttributes',
    says: 'FilterPolicy must be valid JSON of the documented operators; an invalid policy fails with InvalidParameter.',
    doc: `${API}/API_SetSubscriptionAttributes.html#API_SetSubscriptionAttributes_Errors`,
    differs: { moto: 'moto answers a 500 whose body is not XML, which boto3 cannot parse' },
    steps: [
      createTopic('conf-badfilter-$U'),
      {
        op: 'SubscribeHttp',
        params: { TopicArn: '{{topic}}', Name: 'badf-$U', ReturnSubscriptionArn: true },
        save: { arn: 'SubscriptionArn' },
      },
      {
        op: 'SetSubscriptionAttributes',
        params: {
          SubscriptionArn: '{{arn}}',
          AttributeName: 'FilterPolicy',
          AttributeValue: '{"colour": "red"',
        },
        error: INVALID,
      },
      {
        op: 'SetSubscriptionAttributes',
        params: {
          SubscriptionArn: '{{arn}}',
          AttributeName: 'FilterPolicy',
          AttributeValue: JSON.stringify({ colour: [{ 'no-such-operator': 1 }] }),
        },
        error: INVALID,
      },
    ],
  },

  // --- List* paging --------------------------------------------------------------------------------
  {
    name: 'ListTopics pages 100 topics at a time; NextToken only while more remain',
    says: 'ListTopics returns a list of up to 100 topics; if there are more, a NextToken is also returned; use it in a new ListTopics call for further results.',
    doc: `${API}/API_ListTopics.html`,
    steps: [
      { op: 'CreateTopics', params: { Prefix: 'conf-page-$U', Count: 105 }, ok: { Count: 105 } },
      {
        op: 'ListTopicsAll',
        params: { Contains: 'conf-page-$U-' },
        ok: { Mine: 105, Distinct: true, Full: true },
      },
    ],
  },
  {
    name: 'ListTopics with a NextToken it never issued is refused',
    says: 'ListTopics errors include InvalidParameter (HTTP 400) for a request parameter that does not comply with the constraints.',
    doc: `${API}/API_ListTopics.html#API_ListTopics_Errors`,
    differs: { moto: 'moto treats an unknown NextToken as a page offset and answers a listing' },
    steps: [{ op: 'ListTopics', params: { NextToken: 'garbage-$U' }, error: INVALID }],
  },
  {
    name: 'ListSubscriptionsByTopic lists each subscription with its topic, protocol and endpoint',
    says: 'ListSubscriptionsByTopic returns a list of up to 100 subscriptions of the topic (SubscriptionArn, Owner, Protocol, Endpoint, TopicArn); NextToken only when more remain.',
    doc: `${API}/API_ListSubscriptionsByTopic.html`,
    steps: [
      createTopic('conf-listsubs-$U'),
      createTopic('conf-listsubs-other-$U', 'other'),
      {
        op: 'SubscribeHttp',
        params: { TopicArn: '{{topic}}', Name: 'ls1-$U', ReturnSubscriptionArn: true },
        save: { e1: 'Endpoint' },
      },
      { op: 'SubscribeHttp', params: { TopicArn: '{{topic}}', Name: 'ls2-$U', ReturnSubscriptionArn: true } },
      { op: 'SubscribeHttp', params: { TopicArn: '{{other}}', Name: 'ls3-$U', ReturnSubscriptionArn: true } },
      {
        op: 'ListSubscriptionsByTopic',
        params: { TopicArn: '{{topic}}' },
        ok: {
          Subscriptions: { $len: 2 },
          NextToken: absent,
        },
      },
      {
        op: 'ListSubscriptionsByTopic',
        params: { TopicArn: '{{other}}' },
        ok: {
          Subscriptions: [{ TopicArn: '{{other}}', Protocol: 'http', Owner: present, Endpoint: present }],
        },
      },
    ],
  },
  {
    name: 'ListSubscriptionsByTopic of a topic that does not exist is NotFound',
    says: 'ListSubscriptionsByTopic errors: NotFound (HTTP 404), the requested resource does not exist.',
    doc: `${API}/API_ListSubscriptionsByTopic.html#API_ListSubscriptionsByTopic_Errors`,
    steps: [
      {
        op: 'ListSubscriptionsByTopic',
        params: { TopicArn: `arn:aws:sns:${REGION}:000000000000:conf-missing-$U` },
        error: NOT_FOUND,
      },
    ],
  },

  // --- Get/SetTopicAttributes, DeleteTopic ---------------------------------------------------------
  {
    name: 'SetTopicAttributes changes an attribute GetTopicAttributes then reports',
    says: 'SetTopicAttributes sets one attribute (AttributeName, AttributeValue), e.g. DisplayName; GetTopicAttributes returns it.',
    doc: `${API}/API_SetTopicAttributes.html`,
    steps: [
      createTopic('conf-setattr-$U'),
      {
        op: 'SetTopicAttributes',
        params: { TopicArn: '{{topic}}', AttributeName: 'DisplayName', AttributeValue: 'Renamed' },
        ok: {},
      },
      {
        op: 'GetTopicAttributes',
        params: { TopicArn: '{{topic}}' },
        ok: { Attributes: { DisplayName: 'Renamed' } },
      },
    ],
  },
  {
    name: 'SetTopicAttributes with an attribute name SNS does not know is refused',
    says: 'AttributeName is one of the documented topic attributes (DeliveryPolicy, DisplayName, Policy, TracingConfig, KmsMasterKeyId, SignatureVersion, …); InvalidParameter otherwise.',
    doc: `${API}/API_SetTopicAttributes.html#API_SetTopicAttributes_RequestParameters`,
    differs: { moto: 'moto stores any attribute name' },
    steps: [
      createTopic('conf-badattr-$U'),
      {
        op: 'SetTopicAttributes',
        params: { TopicArn: '{{topic}}', AttributeName: 'NoSuchAttribute', AttributeValue: 'x' },
        error: INVALID,
      },
    ],
  },
  {
    name: 'GetTopicAttributes of a topic that does not exist is NotFound',
    says: 'GetTopicAttributes errors: NotFound (HTTP 404).',
    doc: `${API}/API_GetTopicAttributes.html#API_GetTopicAttributes_Errors`,
    steps: [
      {
        op: 'GetTopicAttributes',
        params: { TopicArn: `arn:aws:sns:${REGION}:000000000000:conf-missing-$U` },
        error: NOT_FOUND,
      },
    ],
  },
  {
    name: 'DeleteTopic is idempotent; the topic is then NotFound',
    says: 'Deleting a topic that does not exist does not result in an error; the topic and its subscriptions are gone.',
    doc: `${API}/API_DeleteTopic.html`,
    steps: [
      createTopic('conf-delete-$U'),
      { op: 'DeleteTopic', params: { TopicArn: '{{topic}}' }, ok: {} },
      { op: 'DeleteTopic', params: { TopicArn: '{{topic}}' }, ok: {} },
      { op: 'GetTopicAttributes', params: { TopicArn: '{{topic}}' }, error: NOT_FOUND },
    ],
  },

  // --- Tags ----------------------------------------------------------------------------------------
  {
    name: 'Tags: given at creation, added, listed, removed',
    says: 'CreateTopic takes Tags; TagResource adds tags (a key already there gets the new value), UntagResource removes keys, ListTagsForResource lists them.',
    doc: `${API}/API_TagResource.html`,
    steps: [
      createTopic('conf-tags-$U', 'topic', { Tags: [{ Key: 'team', Value: 'data' }] }),
      {
        op: 'TagResource',
        params: {
          ResourceArn: '{{topic}}',
          Tags: [
            { Key: 'team', Value: 'ingest' },
            { Key: 'stage', Value: 'test' },
          ],
        },
        ok: {},
      },
      { op: 'UntagResource', params: { ResourceArn: '{{topic}}', TagKeys: ['stage'] }, ok: {} },
      {
        op: 'ListTagsForResource',
        params: { ResourceArn: '{{topic}}' },
        ok: { Tags: [{ Key: 'team', Value: 'ingest' }] },
      },
    ],
  },
  {
    name: 'Tagging a topic that does not exist is ResourceNotFound',
    says: 'TagResource errors: ResourceNotFound (HTTP 404), the specified resource does not exist.',
    doc: `${API}/API_TagResource.html#API_TagResource_Errors`,
    steps: [
      {
        op: 'TagResource',
        params: {
          ResourceArn: `arn:aws:sns:${REGION}:000000000000:conf-missing-$U`,
          Tags: [{ Key: 'k', Value: 'v' }],
        },
        error: { code: 'ResourceNotFound', status: 404, type: 'Sender' },
      },
    ],
  },

  // --- The wire: XML shapes ------------------------------------------------------------------------
  {
    name: 'A successful answer is <{Action}Response> in SNS’s namespace with <{Action}Result> and a RequestId',
    says: 'Query API responses are XML: the root is the action’s response element in the 2010-03-31 namespace, holding the result element and ResponseMetadata/RequestId.',
    doc: `${API}/API_CreateTopic.html#API_CreateTopic_Examples`,
    steps: [
      {
        op: 'Raw',
        params: { Form: { Action: 'CreateTopic', Version: '2010-03-31', Name: 'conf-raw-$U' } },
        ok: {
          Status: 200,
          ContentType: { $re: 'xml' },
          Root: 'CreateTopicResponse',
          Namespace: NAMESPACE,
          First: 'CreateTopicResult',
          HasRequestId: true,
        },
      },
    ],
  },
  {
    name: 'An error is <ErrorResponse> with Error/Type, Code and Message, and a RequestId, at the code’s HTTP status',
    says: 'Query API errors are XML: ErrorResponse holding Error (Type Sender|Receiver, Code, Message) and RequestId; NotFound is 404, InvalidParameter 400.',
    doc: `${API}/CommonErrors.html`,
    steps: [
      {
        op: 'Raw',
        params: {
          Form: {
            Action: 'GetTopicAttributes',
            Version: '2010-03-31',
            TopicArn: `arn:aws:sns:${REGION}:000000000000:conf-missing-$U`,
          },
        },
        ok: {
          Status: 404,
          Root: 'ErrorResponse',
          Namespace: NAMESPACE,
          First: 'Error',
          Code: 'NotFound',
          Type: 'Sender',
          HasMessage: true,
          HasRequestId: true,
        },
      },
      {
        op: 'Raw',
        params: { Form: { Action: 'CreateTopic', Version: '2010-03-31', Name: 'bad name!' } },
        ok: {
          Status: 400,
          Root: 'ErrorResponse',
          Code: 'InvalidParameter',
          Type: 'Sender',
          HasMessage: true,
        },
      },
    ],
  },
  {
    name: 'An action SNS does not have is InvalidAction (400)',
    says: 'InvalidAction: the action or operation requested is invalid; HTTP status code 400.',
    doc: `${API}/CommonErrors.html`,
    differs: { moto: 'moto answers 500 with a body that is not XML' },
    steps: [
      {
        op: 'Raw',
        params: { Form: { Action: 'FlyToTheMoon', Version: '2010-03-31' } },
        ok: { Status: 400, Root: 'ErrorResponse', Code: 'InvalidAction', Type: 'Sender' },
      },
    ],
  },
];
