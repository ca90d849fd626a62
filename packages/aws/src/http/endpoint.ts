/**
 * Where a request goes and as whom, as SDK v3 decides: endpoints from `AWS_ENDPOINT_URL_<SERVICE>`,
 * then `AWS_ENDPOINT_URL` (unless `AWS_IGNORE_CONFIGURED_ENDPOINT_URLS`), then AWS's regional
 * endpoint, an explicit `endpoint` first; S3 virtual-hosted or path-style; credentials from the
 * environment (`AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`, `AWS_SESSION_TOKEN`: what Lambda sets).
 */

export interface Credentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

/** SDK v3's `extendedEncodeURIComponent`: RFC 3986, `!'()*` escaped too. */
export const encodeUri = (value: string): string =>
  encodeURIComponent(value).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);

/** The region's DNS suffix (China's partition has its own). */
const dnsSuffix = (region: string) => (region.startsWith('cn-') ? 'amazonaws.com.cn' : 'amazonaws.com');

/** A bucket name usable as a host label (no dots: TLS wildcard certificates cover one label). */
const virtualHostable = (bucket: string) => /^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$/.test(bucket);

/** The region: the one given, else `AWS_REGION`, `AWS_DEFAULT_REGION`, else us-east-1. */
export function regionOf(region: string | undefined, env: NodeJS.ProcessEnv): string {
  return region ?? env.AWS_REGION ?? env.AWS_DEFAULT_REGION ?? 'us-east-1';
}

/** The endpoint configured for a service (explicit, then `AWS_ENDPOINT_URL_<SERVICE>`, then `AWS_ENDPOINT_URL`). */
export function configuredEndpoint(
  explicit: string | undefined,
  env: NodeJS.ProcessEnv,
  service: string,
): string | undefined {
  if (explicit) return explicit;
  const ignore = (env.AWS_IGNORE_CONFIGURED_ENDPOINT_URLS ?? '').toLowerCase() === 'true';
  if (ignore) return undefined;
  return env[`AWS_ENDPOINT_URL_${service.toUpperCase()}`] || env.AWS_ENDPOINT_URL || undefined;
}

/**
 * Where a request goes: the configured endpoint (S3 path-style there), or AWS's regional one. The
 * path is kept as built, never normalized by URL: `..` and `.` are parts of an S3 key.
 */
export function requestUrl(
  configured: string | undefined,
  region: string,
  request: { service: string; bucket?: string; path: string },
): { origin: URL; path: string; href: string } {
  const bucketPath = request.bucket === undefined ? '' : `/${encodeUri(request.bucket)}`;
  let origin: URL;
  let path: string;
  if (configured) {
    origin = new URL(configured);
    path = `${origin.pathname.replace(/\/+$/, '')}${bucketPath}${request.path}`;
  } else if (request.bucket !== undefined && virtualHostable(request.bucket)) {
    origin = new URL(`https://${request.bucket}.s3.${region}.${dnsSuffix(region)}`);
    path = request.path;
  } else {
    origin = new URL(`https://${request.service}.${region}.${dnsSuffix(region)}`);
    path = `${bucketPath}${request.path}`;
  }
  origin.pathname = '/';
  return { origin, path, href: `${origin.origin}${path}` };
}

/** The credentials given, else the environment's; a missing one fails as SDK v3's provider does. */
export function credentialsFrom(given: Credentials | undefined, env: NodeJS.ProcessEnv): Credentials {
  if (given) return given;
  const accessKeyId = env.AWS_ACCESS_KEY_ID;
  const secretAccessKey = env.AWS_SECRET_ACCESS_KEY;
  if (!accessKeyId || !secretAccessKey) {
    throw Object.assign(
      new Error(
        'AWS credentials: AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are not set (Lambda sets them from the function role)',
      ),
      { name: 'CredentialsProviderError' },
    );
  }
  const sessionToken = env.AWS_SESSION_TOKEN;
  return { accessKeyId, secretAccessKey, ...(sessionToken ? { sessionToken } : {}) };
}
