import type { IncomingHttpHeaders } from 'node:http';

/**
 * AWS errors as SDK v3 throws them, read from an error response: `name` the AWS error code,
 * `message`, `$fault`, `$metadata` (`httpStatusCode`, `requestId`, then `attempts` and
 * `totalRetryDelay` from the requester), and the error body's own fields, by protocol (JSON for
 * DynamoDB, SQS and Lambda; XML for S3 and SNS).
 */

/** A response header's first value. */
export const header = (headers: IncomingHttpHeaders, name: string): string | undefined => {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
};

/** An AWS error as SDK v3 throws it (a `ServiceException`'s fields). */
export class AwsServiceError extends Error {
  $fault: 'client' | 'server';
  $metadata: {
    httpStatusCode?: number;
    requestId?: string;
    extendedRequestId?: string;
    attempts?: number;
    totalRetryDelay?: number;
  };
  [field: string]: unknown;

  constructor(name: string, message: string, status: number, headers: IncomingHttpHeaders) {
    super(message);
    this.name = name;
    this.$fault = status >= 500 ? 'server' : 'client';
    const requestId = header(headers, 'x-amzn-requestid') ?? header(headers, 'x-amz-request-id');
    const extendedRequestId = header(headers, 'x-amz-id-2');
    this.$metadata = {
      httpStatusCode: status,
      ...(requestId ? { requestId } : {}),
      ...(extendedRequestId ? { extendedRequestId } : {}),
    };
  }
}

/** Reads an error body's code and message, and any other fields it carries, by protocol. */
export type ErrorParser = (status: number, headers: IncomingHttpHeaders, body: string) => AwsServiceError;

/** The errors of the JSON protocols (DynamoDB, SQS, Lambda): `__type` or `x-amzn-errortype`, and the body's fields. */
export function jsonError(reviver?: (key: string, value: unknown) => unknown): ErrorParser {
  return (status, headers, text) => {
    let body: Record<string, unknown> = {};
    try {
      const parsed = text ? JSON.parse(text, reviver) : {};
      if (parsed && typeof parsed === 'object') body = parsed as Record<string, unknown>;
    } catch {
      body = {};
    }
    const raw =
      header(headers, 'x-amzn-errortype') ??
      (typeof body.__type === 'string' ? body.__type : undefined) ??
      (typeof body.code === 'string' ? body.code : undefined) ??
      (typeof body.Code === 'string' ? body.Code : undefined);
    const name = raw ? sanitizeErrorCode(raw) : unknownName(status);
    const message = String(body.message ?? body.Message ?? (text.slice(0, 300) || name));
    const error = new AwsServiceError(name, message, status, headers);
    for (const [key, value] of Object.entries(body)) {
      if (key !== '__type' && key !== 'message' && key !== 'Message' && !(key in error)) error[key] = value;
    }
    return error;
  };
}

/** SDK v3's sanitizeErrorCode: `aws.protocoltests#FooError:http://...` is `FooError`. */
const sanitizeErrorCode = (raw: string) => {
  let code = raw;
  if (code.includes(':')) code = code.split(':')[0] as string;
  if (code.includes('#')) code = code.split('#')[1] as string;
  return code;
};

const unknownName = (status: number) =>
  ({ 400: 'BadRequest', 403: 'Forbidden', 404: 'NotFound', 412: 'PreconditionFailed', 304: 'NotModified' })[
    status
  ] ?? 'UnknownError';

const XML_ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

export const xmlText = (value: string) =>
  value.replace(/&(#x[0-9a-fA-F]+|#[0-9]+|amp|lt|gt|quot|apos);/g, (_, e: string) =>
    e.startsWith('#x')
      ? String.fromCodePoint(Number.parseInt(e.slice(2), 16))
      : e.startsWith('#')
        ? String.fromCodePoint(Number(e.slice(1)))
        : (XML_ENTITIES[e] as string),
  );

/** The first `<tag>` element's text in an XML document, decoded. */
export function xmlElement(xml: string, tag: string): string | undefined {
  const match = new RegExp(`<${tag}>([\\s\\S]*?)</${tag}>`).exec(xml);
  return match ? xmlText(match[1] as string) : undefined;
}

/** The errors of the XML protocols (S3, SNS): `<Code>` and `<Message>`; `names` maps a code to SDK v3's name. */
export function xmlError(names: Record<string, string> = {}): ErrorParser {
  return (status, headers, text) => {
    const code = xmlElement(text, 'Code');
    const name = code ? (names[code] ?? code) : unknownName(status);
    const error = new AwsServiceError(name, xmlElement(text, 'Message') ?? name, status, headers);
    if (code && code !== name) error.Code = code;
    return error;
  };
}
