import type { LogPreset } from '@eventline/config/runtime';
import type { CellType } from './cells.ts';

/**
 * The field lists of AWS's delimited logs, as AWS documents them (names in the docs' spelling, `:`
 * in ALB/CLB names written `_`). AWS adds fields at the end over time: a line with more fields than
 * listed keeps the rest, in order, under `_extra`; a line with fewer (an older log) is read when it
 * has at least `minFields`, the missing fields left out.
 * Sources: docs.aws.amazon.com — elasticloadbalancing (application load-balancer-access-logs,
 * classic access-log-collection), AmazonS3 LogFormat, vpc flow-log-records, AmazonCloudFront
 * AccessLogs (standard logs, legacy).
 */
export interface LogPresetSpec {
  delimiter: string;
  /** undefined: fields are never quoted (CloudFront's tab-separated lines). */
  quote: string | undefined;
  /** `[...]` is a quoted field too (S3 server access logs' time). */
  brackets: boolean;
  fields: readonly string[] | undefined;
  minFields: number;
  header: boolean;
  /** `#Fields:` names the fields; other `#` lines are directives and skipped. */
  directives: boolean;
  nullValue: string | undefined;
  types: Readonly<Record<string, CellType>>;
}

const numbers = (...names: string[]): Record<string, CellType> =>
  Object.fromEntries(names.map((name) => [name, 'number' as const]));

export const ALB_FIELDS = [
  'type',
  'time',
  'elb',
  'client_port',
  'target_port',
  'request_processing_time',
  'target_processing_time',
  'response_processing_time',
  'elb_status_code',
  'target_status_code',
  'received_bytes',
  'sent_bytes',
  'request',
  'user_agent',
  'ssl_cipher',
  'ssl_protocol',
  'target_group_arn',
  'trace_id',
  'domain_name',
  'chosen_cert_arn',
  'matched_rule_priority',
  'request_creation_time',
  'actions_executed',
  'redirect_url',
  'error_reason',
  'target_port_list',
  'target_status_code_list',
  'classification',
  'classification_reason',
  'conn_trace_id',
] as const;

export const CLB_FIELDS = [
  'timestamp',
  'elb',
  'client_port',
  'backend_port',
  'request_processing_time',
  'backend_processing_time',
  'response_processing_time',
  'elb_status_code',
  'backend_status_code',
  'received_bytes',
  'sent_bytes',
  'request',
  'user_agent',
  'ssl_cipher',
  'ssl_protocol',
] as const;

export const S3_ACCESS_FIELDS = [
  'bucket_owner',
  'bucket',
  'time',
  'remote_ip',
  'requester',
  'request_id',
  'operation',
  'key',
  'request_uri',
  'http_status',
  'error_code',
  'bytes_sent',
  'object_size',
  'total_time',
  'turn_around_time',
  'referer',
  'user_agent',
  'version_id',
  'host_id',
  'signature_version',
  'cipher_suite',
  'authentication_type',
  'host_header',
  'tls_version',
  'access_point_arn',
  'acl_required',
] as const;

/** VPC Flow Logs' default format (version 2). */
export const VPC_FLOW_DEFAULT_FIELDS = [
  'version',
  'account-id',
  'interface-id',
  'srcaddr',
  'dstaddr',
  'srcport',
  'dstport',
  'protocol',
  'packets',
  'bytes',
  'start',
  'end',
  'action',
  'log-status',
] as const;

export const CLOUDFRONT_FIELDS = [
  'date',
  'time',
  'x-edge-location',
  'sc-bytes',
  'c-ip',
  'cs-method',
  'cs(Host)',
  'cs-uri-stem',
  'sc-status',
  'cs(Referer)',
  'cs(User-Agent)',
  'cs-uri-query',
  'cs(Cookie)',
  'x-edge-result-type',
  'x-edge-request-id',
  'x-host-header',
  'cs-protocol',
  'cs-bytes',
  'time-taken',
  'x-forwarded-for',
  'ssl-protocol',
  'ssl-cipher',
  'x-edge-response-result-type',
  'cs-protocol-version',
  'fle-status',
  'fle-encrypted-fields',
  'c-port',
  'time-to-first-byte',
  'x-edge-detailed-result-type',
  'sc-content-type',
  'sc-content-len',
  'sc-range-start',
  'sc-range-end',
] as const;

export const LOG_PRESET_SPECS: Readonly<Record<LogPreset, LogPresetSpec>> = {
  generic: {
    delimiter: ' ',
    quote: '"',
    brackets: false,
    fields: undefined,
    minFields: 0,
    header: false,
    directives: false,
    nullValue: undefined,
    types: {},
  },
  alb: {
    delimiter: ' ',
    quote: '"',
    brackets: false,
    fields: ALB_FIELDS,
    minFields: 16,
    header: false,
    directives: false,
    nullValue: '-',
    types: numbers(
      'request_processing_time',
      'target_processing_time',
      'response_processing_time',
      'elb_status_code',
      'target_status_code',
      'received_bytes',
      'sent_bytes',
      'matched_rule_priority',
    ),
  },
  clb: {
    delimiter: ' ',
    quote: '"',
    brackets: false,
    fields: CLB_FIELDS,
    minFields: 11,
    header: false,
    directives: false,
    nullValue: '-',
    types: numbers(
      'request_processing_time',
      'backend_processing_time',
      'response_processing_time',
      'elb_status_code',
      'backend_status_code',
      'received_bytes',
      'sent_bytes',
    ),
  },
  's3-access': {
    delimiter: ' ',
    quote: '"',
    brackets: true,
    fields: S3_ACCESS_FIELDS,
    minFields: 18,
    header: false,
    directives: false,
    nullValue: '-',
    types: numbers('http_status', 'bytes_sent', 'object_size', 'total_time', 'turn_around_time'),
  },
  'vpc-flow': {
    delimiter: ' ',
    quote: undefined,
    brackets: false,
    fields: VPC_FLOW_DEFAULT_FIELDS,
    minFields: 1,
    header: true,
    directives: false,
    nullValue: '-',
    types: numbers(
      'version',
      'srcport',
      'dstport',
      'protocol',
      'packets',
      'bytes',
      'start',
      'end',
      'tcp-flags',
      'traffic-path',
    ),
  },
  cloudfront: {
    delimiter: '\t',
    quote: undefined,
    brackets: false,
    fields: CLOUDFRONT_FIELDS,
    minFields: 1,
    header: false,
    directives: true,
    nullValue: '-',
    types: numbers(
      'sc-bytes',
      'sc-status',
      'cs-bytes',
      'time-taken',
      'c-port',
      'time-to-first-byte',
      'sc-content-len',
      'sc-range-start',
      'sc-range-end',
    ),
  },
};
