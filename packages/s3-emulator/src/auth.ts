import { createHash, createHmac } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { type ChunkSigning, sameHex } from './chunked.ts';
import { MAX_CLOCK_SKEW_MS, MAX_PRESIGN_EXPIRES } from './constants.ts';
import { accessDenied, S3Error } from './errors.ts';

/**
 * Request authentication (reference s3-api-semantics.md section 8): SigV4 in the Authorization
 * header or the query string (presigned), SigV2 in the header or the query string (what
 * `aws s3 presign` of CLI v1 makes). Written from AWS's documented algorithms.
 */

export interface AuthInput {
  method: string;
  headers: IncomingHttpHeaders;
  /** The request path exactly as sent (still percent-encoded). */
  rawPath: string;
  /** Query pairs exactly as sent (still percent-encoded). */
  rawQuery: Array<[string, string]>;
  /** Bucket named by the Host header (virtual-hosted style), for the SigV2 resource. */
  hostBucket?: string;
}

export interface AuthOutcome {
  accessKeyId?: string;
  /** Set for STREAMING-AWS4-HMAC-SHA256-PAYLOAD(-TRAILER) bodies: how to check chunk signatures. */
  chunkSigning?: ChunkSigning;
}

const EMPTY_SHA256 = createHash('sha256').digest('hex');
const V4_HEADER =
  /^AWS4-HMAC-SHA256\s+Credential=([^,\s]+)\s*,\s*SignedHeaders=([^,\s]+)\s*,\s*Signature=([0-9a-fA-F]+)\s*$/;
const AMZ_DATE = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/;

const SIGV2_SUBRESOURCES = new Set([
  'accelerate',
  'acl',
  'analytics',
  'cors',
  'defaultObjectAcl',
  'delete',
  'inventory',
  'lifecycle',
  'location',
  'logging',
  'metrics',
  'notification',
  'object-lock',
  'partNumber',
  'policy',
  'replication',
  'requestPayment',
  'response-cache-control',
  'response-content-disposition',
  'response-content-encoding',
  'response-content-language',
  'response-content-type',
  'response-expires',
  'restore',
  'select',
  'select-type',
  'storageClass',
  'tagging',
  'torrent',
  'uploadId',
  'uploads',
  'versionId',
  'versioning',
  'versions',
  'website',
]);

/** SigV4's UriEncode: every byte but `A-Za-z0-9-_.~` as `%XX`, and `/` too unless kept. */
export function uriEncode(value: string, keepSlash: boolean): string {
  let out = '';
  for (const byte of Buffer.from(value, 'utf8')) {
    const c = String.fromCharCode(byte);
    if (/[A-Za-z0-9\-_.~]/.test(c) || (keepSlash && c === '/')) out += c;
    else out += `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

/** Percent-decoding of one URL component (`+` stays a plus); malformed input is a 400. */
export function percentDecode(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    throw new S3Error('InvalidURI', 400, "Couldn't parse the specified URI.", { URI: value.slice(0, 200) });
  }
}

function header(headers: IncomingHttpHeaders, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value.join(',') : value;
}

function queryValue(input: AuthInput, name: string): string | undefined {
  const pair = input.rawQuery.find(([n]) => percentDecode(n) === name);
  return pair ? percentDecode(pair[1]) : undefined;
}

const signatureMismatch = (accessKeyId: string, stringToSign: string, provided: string, canonical?: string) =>
  new S3Error(
    'SignatureDoesNotMatch',
    403,
    'The request signature we calculated does not match the signature you provided. Check your key and signing method.',
    {
      AWSAccessKeyId: accessKeyId,
      StringToSign: stringToSign,
      SignatureProvided: provided,
      CanonicalRequest: canonical,
    },
  );

const invalidAccessKey = (accessKeyId: string) =>
  new S3Error(
    'InvalidAccessKeyId',
    403,
    'The AWS Access Key Id you provided does not exist in our records.',
    {
      AWSAccessKeyId: accessKeyId,
    },
  );

function parseAmzDate(value: string | undefined): number | undefined {
  const m = value ? AMZ_DATE.exec(value) : null;
  if (!m) return undefined;
  return Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!);
}

export function signingKey(secret: string, date: string, region: string, service: string): Buffer {
  const kDate = createHmac('sha256', `AWS4${secret}`).update(date).digest();
  const kRegion = createHmac('sha256', kDate).update(region).digest();
  const kService = createHmac('sha256', kRegion).update(service).digest();
  return createHmac('sha256', kService).update('aws4_request').digest();
}

function canonicalUri(rawPath: string): string {
  return rawPath
    .split('/')
    .map((segment) => uriEncode(percentDecode(segment), false))
    .join('/');
}

function canonicalQuery(rawQuery: Array<[string, string]>, skip?: string): string {
  return rawQuery
    .map(([n, v]) => [uriEncode(percentDecode(n), false), uriEncode(percentDecode(v), false)] as const)
    .filter(([n]) => n !== skip)
    .sort(([a, av], [b, bv]) => (a < b ? -1 : a > b ? 1 : av < bv ? -1 : av > bv ? 1 : 0))
    .map(([n, v]) => `${n}=${v}`)
    .join('&');
}

function canonicalHeaders(headers: IncomingHttpHeaders, signed: string[]): string {
  return signed
    .map((name) => `${name}:${(header(headers, name) ?? '').trim().replace(/\s+/g, ' ')}\n`)
    .join('');
}

function verifyV4(
  input: AuthInput,
  lookup: (accessKeyId: string) => string | undefined,
  parts: { credential: string; signedHeaders: string; signature: string; amzDate: string },
  payloadHash: string,
  presigned: boolean,
): AuthOutcome {
  const [accessKeyId = '', date, region, service, terminator] = parts.credential.split('/');
  if (!date || !region || service !== 's3' || terminator !== 'aws4_request') {
    throw new S3Error(
      'AuthorizationHeaderMalformed',
      400,
      `The authorization credential "${parts.credential}" is malformed; expected "<key>/<YYYYMMDD>/<region>/s3/aws4_request".`,
    );
  }
  if (!parts.amzDate.startsWith(date)) {
    throw new S3Error(
      'AuthorizationHeaderMalformed',
      400,
      `The credential date ${date} does not match the request date ${parts.amzDate}.`,
    );
  }
  const secret = lookup(accessKeyId);
  if (secret === undefined) throw invalidAccessKey(accessKeyId);
  const signed = parts.signedHeaders.split(';').map((h) => h.toLowerCase());
  if (!signed.includes('host')) {
    throw new S3Error('AuthorizationHeaderMalformed', 400, 'The signed headers must include host.');
  }
  if (presigned) {
    const unsigned = Object.keys(input.headers).filter(
      (name) => name.startsWith('x-amz-') && !signed.includes(name) && name !== 'x-amz-content-sha256',
    );
    if (unsigned.length > 0) {
      throw accessDenied('There were headers present in the request which were not signed', {
        HeadersNotSigned: unsigned.join(', '),
      });
    }
  }
  const canonical = [
    input.method,
    canonicalUri(input.rawPath),
    canonicalQuery(input.rawQuery, presigned ? 'X-Amz-Signature' : undefined),
    canonicalHeaders(input.headers, signed),
    signed.join(';'),
    payloadHash,
  ].join('\n');
  const scope = `${date}/${region}/${service}/aws4_request`;
  const stringToSign = [
    'AWS4-HMAC-SHA256',
    parts.amzDate,
    scope,
    createHash('sha256').update(canonical).digest('hex'),
  ].join('\n');
  const key = signingKey(secret, date, region, service);
  const expected = createHmac('sha256', key).update(stringToSign).digest('hex');
  if (!sameHex(expected, parts.signature.toLowerCase())) {
    throw signatureMismatch(accessKeyId, stringToSign, parts.signature, canonical);
  }
  const outcome: AuthOutcome = { accessKeyId };
  if (payloadHash.startsWith('STREAMING-AWS4-HMAC-SHA256-PAYLOAD')) {
    outcome.chunkSigning = { signingKey: key, amzDate: parts.amzDate, scope, seedSignature: expected };
  }
  return outcome;
}

function v2StringToSign(input: AuthInput, dateOrExpires: string, path: string): string {
  const amz = new Map<string, string[]>();
  for (const [name, value] of Object.entries(input.headers)) {
    if (!name.startsWith('x-amz-') || value === undefined) continue;
    const values = Array.isArray(value) ? value : [value];
    amz.set(name, [...(amz.get(name) ?? []), ...values.map((v) => v.trim())]);
  }
  const amzHeaders = [...amz.keys()]
    .sort()
    .map((name) => `${name}:${amz.get(name)!.join(',')}\n`)
    .join('');
  const sub = input.rawQuery
    .map(([n, v]) => [percentDecode(n), v] as const)
    .filter(([n]) => SIGV2_SUBRESOURCES.has(n))
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([n, v]) => (v === '' ? n : `${n}=${percentDecode(v)}`));
  const resource =
    (input.hostBucket !== undefined ? `/${input.hostBucket}` : '') +
    path +
    (sub.length > 0 ? `?${sub.join('&')}` : '');
  return [
    input.method,
    header(input.headers, 'content-md5') ?? '',
    header(input.headers, 'content-type') ?? '',
    dateOrExpires,
    amzHeaders + resource,
  ].join('\n');
}

/**
 * The paths a SigV2 signer may have put in its CanonicalizedResource: the path as sent, and for a
 * request naming only a bucket also `/bucket/` (botocore signs bucket requests with the slash,
 * as AWS's own examples do, though a path-style URL has none).
 */
function v2Paths(input: AuthInput): string[] {
  const onlyBucket = input.hostBucket === undefined && /^\/[^/]+$/.test(input.rawPath);
  return onlyBucket ? [input.rawPath, `${input.rawPath}/`] : [input.rawPath];
}

function verifyV2(
  input: AuthInput,
  lookup: (accessKeyId: string) => string | undefined,
  accessKeyId: string,
  signature: string,
  dateOrExpires: string,
): AuthOutcome {
  const secret = lookup(accessKeyId);
  if (secret === undefined) throw invalidAccessKey(accessKeyId);
  const candidates = v2Paths(input).map((path) => v2StringToSign(input, dateOrExpires, path));
  for (const stringToSign of candidates) {
    const expected = createHmac('sha1', secret).update(stringToSign, 'utf8').digest('base64');
    if (sameHex(expected, signature)) return { accessKeyId };
  }
  throw signatureMismatch(accessKeyId, candidates[0]!, signature);
}

/**
 * Checks the request's signature with `lookup` (access key id → secret). Returns how the body's
 * chunks are signed, if they are. Throws the S3 error AWS answers with.
 */
export function authenticate(
  input: AuthInput,
  lookup: (accessKeyId: string) => string | undefined,
  now: number,
): AuthOutcome {
  const authorization = header(input.headers, 'authorization');
  const q = (name: string) => queryValue(input, name);
  if (authorization?.startsWith('AWS4-HMAC-SHA256')) {
    const m = V4_HEADER.exec(authorization);
    if (!m) {
      throw new S3Error(
        'AuthorizationHeaderMalformed',
        400,
        'The authorization header is malformed; expected "AWS4-HMAC-SHA256 Credential=…, SignedHeaders=…, Signature=…".',
      );
    }
    const amzDate = header(input.headers, 'x-amz-date') ?? '';
    const when = parseAmzDate(amzDate) ?? Date.parse(header(input.headers, 'date') ?? '');
    if (Number.isNaN(when))
      throw accessDenied('AWS authentication requires a valid Date or x-amz-date header');
    if (Math.abs(now - when) > MAX_CLOCK_SKEW_MS) {
      throw new S3Error(
        'RequestTimeTooSkewed',
        403,
        'The difference between the request time and the current time is too large.',
        { RequestTime: amzDate, ServerTime: new Date(now).toISOString(), MaxAllowedSkewMilliseconds: 900000 },
      );
    }
    const payloadHash = header(input.headers, 'x-amz-content-sha256');
    if (!payloadHash) {
      throw new S3Error(
        'InvalidRequest',
        400,
        'Missing required header for this request: x-amz-content-sha256',
      );
    }
    return verifyV4(
      input,
      lookup,
      { credential: m[1]!, signedHeaders: m[2]!, signature: m[3]!, amzDate },
      payloadHash,
      false,
    );
  }
  if (q('X-Amz-Algorithm') !== undefined || q('X-Amz-Signature') !== undefined) {
    const names = [
      'X-Amz-Algorithm',
      'X-Amz-Credential',
      'X-Amz-Date',
      'X-Amz-SignedHeaders',
      'X-Amz-Signature',
    ];
    const missing = names.filter((n) => q(n) === undefined);
    if (missing.length > 0 || q('X-Amz-Algorithm') !== 'AWS4-HMAC-SHA256') {
      throw new S3Error(
        'AuthorizationQueryParametersError',
        400,
        `Query-string authentication version 4 requires the X-Amz-Algorithm (AWS4-HMAC-SHA256), X-Amz-Credential, X-Amz-Signature, X-Amz-Date, X-Amz-SignedHeaders, and X-Amz-Expires parameters; missing: ${missing.join(', ') || 'a valid X-Amz-Algorithm'}.`,
      );
    }
    const amzDate = q('X-Amz-Date')!;
    const signedAt = parseAmzDate(amzDate);
    if (signedAt === undefined) {
      throw new S3Error(
        'AuthorizationQueryParametersError',
        400,
        `X-Amz-Date "${amzDate}" is not YYYYMMDDTHHMMSSZ.`,
      );
    }
    const expires = Number(q('X-Amz-Expires') ?? '');
    if (!Number.isInteger(expires) || expires < 1 || expires > MAX_PRESIGN_EXPIRES) {
      throw new S3Error(
        'AuthorizationQueryParametersError',
        400,
        `X-Amz-Expires must be an integer between 1 and ${MAX_PRESIGN_EXPIRES} seconds.`,
      );
    }
    if (now > signedAt + expires * 1000) {
      throw accessDenied('Request has expired', {
        'X-Amz-Expires': expires,
        Expires: new Date(signedAt + expires * 1000).toISOString(),
        ServerTime: new Date(now).toISOString(),
      });
    }
    return verifyV4(
      input,
      lookup,
      {
        credential: q('X-Amz-Credential')!,
        signedHeaders: q('X-Amz-SignedHeaders')!,
        signature: q('X-Amz-Signature')!,
        amzDate,
      },
      header(input.headers, 'x-amz-content-sha256') ?? 'UNSIGNED-PAYLOAD',
      true,
    );
  }
  if (authorization?.startsWith('AWS ')) {
    const m = /^AWS ([^:\s]+):(\S+)$/.exec(authorization);
    if (!m)
      throw new S3Error(
        'InvalidArgument',
        400,
        'AWS authorization header is invalid.  Expected AwsAccessKeyId:signature',
      );
    const date =
      header(input.headers, 'x-amz-date') !== undefined ? '' : (header(input.headers, 'date') ?? '');
    const when = Date.parse(header(input.headers, 'x-amz-date') ?? header(input.headers, 'date') ?? '');
    if (Number.isNaN(when))
      throw accessDenied('AWS authentication requires a valid Date or x-amz-date header');
    if (Math.abs(now - when) > MAX_CLOCK_SKEW_MS) {
      throw new S3Error(
        'RequestTimeTooSkewed',
        403,
        'The difference between the request time and the current time is too large.',
      );
    }
    return verifyV2(input, lookup, m[1]!, m[2]!, date);
  }
  if (q('AWSAccessKeyId') !== undefined || q('Signature') !== undefined) {
    const accessKeyId = q('AWSAccessKeyId');
    const signature = q('Signature');
    const expires = q('Expires');
    if (accessKeyId === undefined || signature === undefined || expires === undefined) {
      throw accessDenied(
        'Query-string authentication requires the Signature, Expires and AWSAccessKeyId parameters',
      );
    }
    if (!/^\d+$/.test(expires) || now > Number(expires) * 1000) {
      throw accessDenied('Request has expired', {
        Expires: expires,
        ServerTime: new Date(now).toISOString(),
      });
    }
    return verifyV2(input, lookup, accessKeyId, signature, expires);
  }
  if (authorization) {
    throw new S3Error(
      'InvalidArgument',
      400,
      `Unsupported Authorization Type "${authorization.split(' ')[0]}"`,
      {
        ArgumentName: 'Authorization',
      },
    );
  }
  throw accessDenied('Access Denied: this emulator verifies signatures and the request is not signed');
}

export { EMPTY_SHA256 };
