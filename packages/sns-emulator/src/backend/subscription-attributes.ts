import {
  KNOWN_UNSUPPORTED_PROTOCOLS,
  SUBSCRIPTION_ATTRIBUTE_NAMES,
  SUPPORTED_PROTOCOLS,
} from '../constants.ts';
import { invalidParameter } from '../errors.ts';
import { parseFilterPolicy } from '../filter-policy.ts';
import type { TopicRecord } from '../store.ts';
import type { Protocol } from '../types.ts';
import { validateBooleanAttribute, validateJsonAttribute } from '../validation.ts';

/** What Subscribe and SetSubscriptionAttributes accept: protocol and endpoint, attribute names and values. */

const SQS_QUEUE_ARN = /^arn:aws[a-z-]*:sqs:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]{1,80}(\.fifo)?$/;
const LAMBDA_FUNCTION_ARN =
  /^arn:aws[a-z-]*:lambda:[a-z0-9-]+:\d{12}:function:[A-Za-z0-9_-]{1,64}(:(\$LATEST|[A-Za-z0-9_-]{1,128}))?$/;
/** E.164: a plus, then up to 15 digits, the first not 0 (spaces, dashes and parentheses are ignored). */
const E164 = /^\+[1-9]\d{1,14}$/;

export function checkSubscriptionAttributes(
  attributes: Record<string, string>,
  protocol: Protocol,
  prefix: string,
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(attributes)) {
    out[name] = checkSubscriptionAttribute(name, value, protocol, prefix, attributes.FilterPolicyScope);
  }
  return out;
}

export function checkSubscriptionAttribute(
  name: string,
  value: string,
  protocol: Protocol,
  prefix: string,
  scope?: string,
): string {
  if (!SUBSCRIPTION_ATTRIBUTE_NAMES.has(name)) throw invalidParameter(`${prefix}AttributeName`);
  const http = protocol === 'http' || protocol === 'https';
  switch (name) {
    case 'RawMessageDelivery':
      if (!http && protocol !== 'sqs')
        throw invalidParameter(
          `${prefix}Delivery protocol [${protocol}] does not support raw message delivery.`,
        );
      return validateBooleanAttribute(name, value, prefix);
    case 'FilterPolicyScope':
      if (value !== 'MessageAttributes' && value !== 'MessageBody') {
        throw invalidParameter(
          `${prefix}FilterPolicyScope: Invalid value [${value}]. Please use either MessageBody or MessageAttributes`,
        );
      }
      return value;
    case 'FilterPolicy':
      parseFilterPolicy(value, scope === 'MessageBody' ? 'MessageBody' : 'MessageAttributes');
      return value;
    case 'DeliveryPolicy':
      if (!http)
        throw invalidParameter(
          `${prefix}DeliveryPolicy: Delivery protocol [${protocol}] does not support delivery policies.`,
        );
      validateJsonAttribute(name, value, prefix);
      return value;
    case 'RedrivePolicy':
      validateJsonAttribute(name, value, prefix);
      return value;
    default:
      return value;
  }
}

export function checkProtocol(
  protocol: string | undefined,
  endpoint: string | undefined,
  topic: TopicRecord,
): Protocol {
  if (!protocol)
    throw invalidParameter('Invalid parameter: Protocol Reason: no value for required parameter');
  if (!(SUPPORTED_PROTOCOLS as readonly string[]).includes(protocol)) {
    if ((KNOWN_UNSUPPORTED_PROTOCOLS as readonly string[]).includes(protocol)) {
      throw invalidParameter(
        `Invalid parameter: Protocol Reason: the local SNS service delivers to ${SUPPORTED_PROTOCOLS.join(', ')} only, not ${protocol}`,
      );
    }
    throw invalidParameter(
      `Invalid parameter: Amazon SNS does not support this protocol string: ${protocol}`,
    );
  }
  const checked = protocol as Protocol;
  if (topic.attributes.FifoTopic === 'true' && checked !== 'sqs') {
    throw invalidParameter(
      `Invalid parameter: Protocol Reason: FIFO topics deliver to sqs only, not ${checked}`,
    );
  }
  if (!endpoint)
    throw invalidParameter('Invalid parameter: Endpoint Reason: no value for required parameter');
  if (checked === 'http' || checked === 'https') {
    let url: URL | undefined;
    try {
      url = new URL(endpoint);
    } catch {
      url = undefined;
    }
    if (!url || url.protocol !== `${checked}:` || !endpoint.startsWith(`${checked}://`)) {
      throw invalidParameter('Invalid parameter: Endpoint must match the specified protocol');
    }
  } else if (checked === 'sqs') {
    if (!SQS_QUEUE_ARN.test(endpoint)) throw invalidParameter('Invalid parameter: SQS endpoint ARN');
    if (topic.attributes.FifoTopic === 'true' && !endpoint.endsWith('.fifo')) {
      throw invalidParameter(
        'Invalid parameter: Invalid parameter: Endpoint Reason: FIFO SNS Topics can only be subscribed to FIFO SQS queues',
      );
    }
  } else if (checked === 'lambda') {
    if (!LAMBDA_FUNCTION_ARN.test(endpoint)) throw invalidParameter('Invalid parameter: Lambda endpoint ARN');
  } else if (checked === 'sms') {
    if (!E164.test(endpoint.replace(/[\s()-]/g, ''))) {
      throw invalidParameter(
        'Invalid parameter: SMS endpoint: a phone number in E.164 form (+<country><number>)',
      );
    }
  } else if (!/^[^@\s]+@[^@\s]+$/.test(endpoint)) {
    throw invalidParameter('Invalid parameter: Email address');
  }
  return checked;
}

/** The value an attribute has when it was never set (Subscribe compares an existing subscription's). */
export function defaultSubscriptionAttribute(name: string): string | undefined {
  if (name === 'RawMessageDelivery') return 'false';
  if (name === 'FilterPolicyScope') return 'MessageAttributes';
  return undefined;
}
