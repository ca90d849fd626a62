import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { Hash } from '@smithy/hash-node';
import { SignatureV4 } from '@smithy/signature-v4';
import type { HttpRequest } from '@smithy/types';

/**
 * SigV4 verification for the local stack's edge (`local.enforceAuth`). A request is accepted when
 * its `Authorization` header carries the configured access key and a signature that
 * @smithy/signature-v4 (the SDK's own signer) computes again from the request with the configured
 * secret: same method, path, query, signed headers and payload hash, same date, region and service
 * from the credential scope.
 *
 * The edge uses it for DynamoDB and SNS, whose bodies it buffers and hashes here; S3 requests go to
 * the S3 emulator, which verifies S3's signatures itself (SigV4, presigned, signed chunks, SigV2).
 * The payload of a streamed request: its `x-amz-content-sha256` header stands for the body
 * (`UNSIGNED-PAYLOAD` and the `STREAMING-*` seeds are accepted as signed values). Presigned URLs
 * (signature in the query string) are refused with a message saying so.
 */

export interface SigV4Credentials {
  accessKeyId: string;
  secretAccessKey: string;
}

export interface SigV4Options extends SigV4Credentials {
  /** Largest accepted difference between `x-amz-date` and now (AWS: 15 minutes). */
  maxSkewMs?: number;
  now?: () => number;
}

/** Why a request was refused: an AWS-style error code and a message that says what to fix. */
export interface Refusal {
  code:
    | 'MissingAuthenticationToken'
    | 'IncompleteSignature'
    | 'InvalidAccessKeyId'
    | 'SignatureDoesNotMatch'
    | 'RequestTimeTooSkewed'
    | 'XAmzContentSHA256Mismatch';
  message: string;
}

const AUTHORIZATION =
  /^AWS4-HMAC-SHA256\s+Credential=([^,\s]+)\s*,\s*SignedHeaders=([^,\s]+)\s*,\s*Signature=([0-9a-f]{64})\s*$/i;
const AMZ_DATE = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/;

/** The query as the signer sees it: names and values URI-decoded (`+` stays a plus, as in SigV4). */
function parseQuery(search: string): Record<string, string | string[]> {
  const query: Record<string, string | string[]> = {};
  if (!search) return query;
  for (const part of search.split('&')) {
    if (part === '') continue;
    const eq = part.indexOf('=');
    const name = safeDecode(eq < 0 ? part : part.slice(0, eq));
    const value = eq < 0 ? '' : safeDecode(part.slice(eq + 1));
    const existing = query[name];
    if (existing === undefined) query[name] = value;
    else query[name] = Array.isArray(existing) ? [...existing, value] : [existing, value];
  }
  return query;
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

/** Client-supplied text quoted in a message (the edge writes messages into XML unescaped). */
function echo(text: string): string {
  return text.slice(0, 200).replace(/[^A-Za-z0-9/_.:;=+-]/g, '?');
}

function headerValue(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value.join(',') : value;
}

/**
 * Verifies one request. `body` is the buffered body (DynamoDB, SNS), or undefined for a streamed
 * S3 request. Resolves to undefined when the signature is good, or to the refusal.
 */
export async function verifySigV4(
  req: IncomingMessage,
  body: Buffer | undefined,
  options: SigV4Options,
): Promise<Refusal | undefined> {
  const rawUrl = req.url ?? '/';
  const queryStart = rawUrl.indexOf('?');
  const path = queryStart < 0 ? rawUrl : rawUrl.slice(0, queryStart);
  const query = parseQuery(queryStart < 0 ? '' : rawUrl.slice(queryStart + 1));
  const authorization = headerValue(req, 'authorization');
  if (!authorization) {
    if ('X-Amz-Signature' in query || 'X-Amz-Credential' in query) {
      return {
        code: 'IncompleteSignature',
        message:
          'presigned (query-string) signatures are not accepted by this local stack while local.enforceAuth is on; sign the request with an Authorization header',
      };
    }
    return {
      code: 'MissingAuthenticationToken',
      message:
        'the request is not signed: local.enforceAuth requires an AWS Signature Version 4 Authorization header',
    };
  }
  const match = AUTHORIZATION.exec(authorization);
  if (!match) {
    return {
      code: 'IncompleteSignature',
      message:
        'the Authorization header is not an AWS4-HMAC-SHA256 signature with Credential, SignedHeaders and Signature',
    };
  }
  const [, credential = '', signedHeaderList = '', signature = ''] = match;
  const scope = credential.split('/');
  const [accessKeyId, scopeDate, region, service, terminator] = scope;
  if (
    scope.length !== 5 ||
    !accessKeyId ||
    !scopeDate ||
    !region ||
    !service ||
    terminator !== 'aws4_request'
  ) {
    return {
      code: 'IncompleteSignature',
      message: `the credential scope "${echo(credential)}" is not <access key>/<yyyymmdd>/<region>/<service>/aws4_request`,
    };
  }
  if (accessKeyId !== options.accessKeyId) {
    return {
      code: 'InvalidAccessKeyId',
      message: `the access key id "${echo(accessKeyId)}" is not the one configured for this stack (local.accessKeyId)`,
    };
  }
  const amzDate = headerValue(req, 'x-amz-date');
  const date = amzDate ? AMZ_DATE.exec(amzDate) : null;
  if (!amzDate || !date) {
    return {
      code: 'IncompleteSignature',
      message: 'the signed request has no valid x-amz-date header (yyyymmddThhmmssZ)',
    };
  }
  const [, y, mo, d, h, mi, s] = date;
  const signingDate = new Date(
    Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s)),
  );
  if (amzDate.slice(0, 8) !== scopeDate) {
    return {
      code: 'SignatureDoesNotMatch',
      message: `the credential scope date ${echo(scopeDate)} is not the date of x-amz-date ${amzDate}`,
    };
  }
  const now = options.now?.() ?? Date.now();
  const maxSkew = options.maxSkewMs ?? 15 * 60 * 1000;
  if (Math.abs(now - signingDate.getTime()) > maxSkew) {
    return {
      code: 'RequestTimeTooSkewed',
      message: `the request time ${amzDate} is more than ${Math.round(maxSkew / 60_000)} minutes from the stack's time ${new Date(now).toISOString()}`,
    };
  }

  const signedHeaders = signedHeaderList.toLowerCase().split(';');
  const headers: Record<string, string> = {};
  for (const name of signedHeaders) {
    const value = headerValue(req, name);
    if (value === undefined) {
      return {
        code: 'SignatureDoesNotMatch',
        message: `the header "${echo(name)}" is listed in SignedHeaders but is not in the request`,
      };
    }
    headers[name] = value;
  }
  const contentSha256 = headerValue(req, 'x-amz-content-sha256');
  if (body === undefined) {
    // A streamed (S3) request: the signed x-amz-content-sha256 header stands for the body.
    if (!contentSha256 || !signedHeaders.includes('x-amz-content-sha256')) {
      return {
        code: 'IncompleteSignature',
        message:
          'S3 requests must sign the x-amz-content-sha256 header (the payload hash or UNSIGNED-PAYLOAD)',
      };
    }
  } else if (
    contentSha256 &&
    /^[0-9a-f]{64}$/i.test(contentSha256) &&
    contentSha256.toLowerCase() !== createHash('sha256').update(body).digest('hex')
  ) {
    return {
      code: 'XAmzContentSHA256Mismatch',
      message: 'the x-amz-content-sha256 header does not match the body received',
    };
  }

  const signer = new SignatureV4({
    credentials: { accessKeyId: options.accessKeyId, secretAccessKey: options.secretAccessKey },
    region,
    service,
    // The SDK's own node:crypto checksum, as its clients configure it.
    sha256: Hash.bind(null, 'sha256'),
    // S3 signs the path as sent; every other service signs it URI-encoded once more.
    uriEscapePath: service !== 's3',
    applyChecksum: false,
  });
  const request: HttpRequest = {
    method: req.method ?? 'GET',
    protocol: 'http:',
    hostname: (headers.host ?? '').replace(/:\d+$/, ''),
    path,
    query,
    headers,
    ...(body !== undefined && body.length > 0 ? { body } : {}),
  };
  let expected: string | undefined;
  try {
    const signed = await signer.sign(request, {
      signingDate,
      signingRegion: region,
      signingService: service,
      signableHeaders: new Set(signedHeaders),
    });
    const computed = String(signed.headers.authorization ?? '');
    const computedList = /SignedHeaders=([^,\s]+)/.exec(computed)?.[1];
    if (computedList !== signedHeaders.join(';')) {
      return {
        code: 'SignatureDoesNotMatch',
        message: `SignedHeaders "${echo(signedHeaderList)}" is not a sorted list of the request's signable headers`,
      };
    }
    expected = /Signature=([0-9a-f]{64})/.exec(computed)?.[1];
  } catch (error) {
    return { code: 'SignatureDoesNotMatch', message: `the signature could not be checked: ${String(error)}` };
  }
  if (
    !expected ||
    !timingSafeEqual(Buffer.from(expected, 'hex'), Buffer.from(signature.toLowerCase(), 'hex'))
  ) {
    return {
      code: 'SignatureDoesNotMatch',
      message:
        'the request signature we calculated does not match the signature you provided: check the secret access key (local.secretAccessKey) and the signing method',
    };
  }
  return undefined;
}

/** The edge's `authorize` hook: resolves to a refusal message, or undefined to let the request in. */
export function createAuthorizer(
  options: SigV4Options,
): (req: IncomingMessage, body: Buffer | undefined) => Promise<string | undefined> {
  return async (req, body) => {
    const refusal = await verifySigV4(req, body, options);
    return refusal ? `${refusal.code}: ${refusal.message}` : undefined;
  };
}
