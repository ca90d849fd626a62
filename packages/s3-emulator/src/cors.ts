/**
 * CORS as S3 acts on a bucket's CORS configuration: the preflight `OPTIONS` request (answered
 * without authentication, as browsers send it) and the `Access-Control-*` headers of actual
 * requests that carry an `Origin`. The first rule whose origin, method and headers match applies
 * (S3 user guide, "How Amazon S3 evaluates the CORS configuration on a bucket").
 */
import { configOf } from './bucket-config.ts';
import { S3Error } from './errors.ts';
import { type Ctx, headerOf } from './http-helpers.ts';
import type { BucketRecord } from './storage.ts';
import { child, childrenNamed, parseXml } from './xml.ts';

interface CorsRule {
  origins: string[];
  methods: string[];
  headers: string[];
  expose: string[];
  maxAge?: string;
}

function rulesOf(bucket: BucketRecord): CorsRule[] | undefined {
  const doc = configOf(bucket, 'cors');
  if (!doc) return undefined;
  return childrenNamed(parseXml(doc), 'CORSRule').map((rule) => {
    const texts = (name: string) => childrenNamed(rule, name).map((e) => e.text.trim());
    const maxAge = child(rule, 'MaxAgeSeconds')?.text.trim();
    return {
      origins: texts('AllowedOrigin'),
      methods: texts('AllowedMethod'),
      headers: texts('AllowedHeader'),
      expose: texts('ExposeHeader'),
      ...(maxAge ? { maxAge } : {}),
    };
  });
}

/** `*` matches any run of characters (one wildcard per pattern, as S3 allows). */
function wildcard(pattern: string, value: string, caseless = false): boolean {
  const p = caseless ? pattern.toLowerCase() : pattern;
  const v = caseless ? value.toLowerCase() : value;
  const star = p.indexOf('*');
  if (star < 0) return p === v;
  const head = p.slice(0, star);
  const tail = p.slice(star + 1);
  return v.length >= head.length + tail.length && v.startsWith(head) && v.endsWith(tail);
}

function match(rules: CorsRule[], origin: string, method: string, requestHeaders: string[]) {
  return rules.find(
    (r) =>
      r.methods.includes(method) &&
      r.origins.some((o) => wildcard(o, origin)) &&
      requestHeaders.every((h) => r.headers.some((allowed) => wildcard(allowed, h, true))),
  );
}

function allowHeaders(rule: CorsRule, origin: string): Record<string, string> {
  const anyOrigin = rule.origins.includes('*');
  const headers: Record<string, string> = {
    'access-control-allow-origin': anyOrigin ? '*' : origin,
    'access-control-allow-methods': rule.methods.join(', '),
    vary: 'Origin, Access-Control-Request-Headers, Access-Control-Request-Method',
  };
  if (!anyOrigin) headers['access-control-allow-credentials'] = 'true';
  if (rule.expose.length > 0) headers['access-control-expose-headers'] = rule.expose.join(', ');
  if (rule.maxAge !== undefined) headers['access-control-max-age'] = rule.maxAge;
  return headers;
}

const corsForbidden = (method: string, resourceType: string) =>
  new S3Error(
    'AccessForbidden',
    403,
    "CORSResponse: This CORS request is not allowed. This is usually because the evalution of Origin, request method / Access-Control-Request-Method or Access-Control-Request-Headers are not whitelisted by the resource's CORS spec.",
    { Method: method, ResourceType: resourceType },
  );

/** Answers a preflight `OPTIONS` request by the bucket's CORS rules. */
export function preflight(
  ctx: Ctx,
  bucket: BucketRecord,
  send: (status: number, headers: Record<string, string>) => void,
) {
  const origin = headerOf(ctx.req, 'origin');
  if (!origin)
    throw new S3Error('BadRequest', 400, 'Insufficient information. Origin request header needed.');
  const method = headerOf(ctx.req, 'access-control-request-method');
  if (!method) throw new S3Error('BadRequest', 400, 'Invalid Access-Control-Request-Method: null');
  const rules = rulesOf(bucket);
  if (!rules) throw new S3Error('CORSResponse', 403, 'CORS is not enabled for this bucket.');
  const requested = (headerOf(ctx.req, 'access-control-request-headers') ?? '')
    .split(',')
    .map((h) => h.trim())
    .filter((h) => h !== '');
  const rule = match(rules, origin, method, requested);
  if (!rule) throw corsForbidden(method, ctx.key === undefined ? 'BUCKET' : 'OBJECT');
  const headers = allowHeaders(rule, origin);
  if (requested.length > 0) headers['access-control-allow-headers'] = requested.join(', ');
  send(200, headers);
}

/** Sets the `Access-Control-*` headers of an actual request with an `Origin` that a rule allows. */
export function applyCors(ctx: Ctx, bucket: BucketRecord): void {
  const origin = headerOf(ctx.req, 'origin');
  if (!origin) return;
  const rules = rulesOf(bucket);
  if (!rules) return;
  const method = ctx.method === 'HEAD' ? 'HEAD' : ctx.method;
  const rule = match(rules, origin, method, []);
  if (!rule) return;
  for (const [name, value] of Object.entries(allowHeaders(rule, origin))) ctx.res.setHeader(name, value);
}
