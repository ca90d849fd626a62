import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { authenticate, percentDecode } from './auth.ts';
import { bucketConfigActions } from './bucket-config.ts';
import { bucketActions } from './buckets.ts';
import { BUCKET_CONFIG_NAMES } from './config-docs.ts';
import { DEFAULT_ACCOUNT_ID, S3_XMLNS, UNSUPPORTED_SUBRESOURCES } from './constants.ts';
import { createCore } from './core.ts';
import { applyCors, preflight } from './cors.ts';
import { notImplemented, S3EmulatorConfigError, S3Error } from './errors.ts';
import { type Ctx, headerOf, readSmallBody, validateOptions } from './http-helpers.ts';
import { lifecycleActions } from './lifecycle.ts';
import { listingActions } from './listings.ts';
import { multipartActions } from './multipart.ts';
import { objectConfigActions } from './object-config.ts';
import { objectActions } from './objects.ts';
import { enforcePolicy, missingKeyRefusal } from './policy-eval.ts';
import { isPostObject, postObjectActions } from './post-object.ts';
import { installS3ServerQuirks } from './server-quirks.ts';
import { type BucketRecord, bucketKey, Storage } from './storage.ts';
import type { S3Emulator, S3EmulatorOptions } from './types.ts';
import { parseXml, renderXml } from './xml.ts';

export { parseRange } from './http-helpers.ts';

/**
 * The S3 emulator: parses a request's target, authenticates it and routes it to the handlers of
 * `buckets.ts`, `objects.ts`, `listings.ts` and `multipart.ts` (over the shared `core.ts`).
 */
export async function createS3Emulator(options: S3EmulatorOptions): Promise<
  S3Emulator & {
    listen(port?: number, host?: string): Promise<{ port: number; url: string }>;
  }
> {
  validateOptions(options);
  const storage = await Storage.open(options.dataDir, options.fsync ?? true);
  const core = createCore(options, storage);
  const objects = objectActions(core);
  const multipart = multipartActions(core, objects);
  const bucketConfig = bucketConfigActions(core);
  const objectConfig = objectConfigActions(core);
  const buckets = bucketActions(core, multipart, bucketConfig);
  const listings = listingActions(core);
  const { postObject } = postObjectActions(core, options);
  const { runLifecycle } = lifecycleActions(core, multipart, options.lifecycle?.dayMs);
  let server: Server | undefined;
  let lifecycleRun: Promise<unknown> = Promise.resolve();
  const lifecycleTimer =
    options.lifecycle?.intervalMs !== undefined
      ? setInterval(() => {
          lifecycleRun = runLifecycle().catch((error: unknown) =>
            process.emitWarning(`S3 emulator: lifecycle run failed: ${String(error)}`),
          );
        }, options.lifecycle.intervalMs)
      : undefined;
  lifecycleTimer?.unref();
  const { now, getBucket, send, sendXml, sendError } = core;
  const { createBucket, ensureBucket, deleteBucket, listBuckets, putVersioning } = buckets;
  const { putObject, getObject, deleteObject, deleteObjects, copyObject } = objects;
  const { listObjectsV2, listObjectsV1, listObjectVersions } = listings;
  const { createUpload, uploadPart, completeUpload, abortUpload, listParts, listUploads } = multipart;

  // ---- dispatch -----------------------------------------------------------------------------

  function parseTarget(req: IncomingMessage): Omit<Ctx, 'res' | 'auth'> {
    let target = req.url ?? '/';
    const absolute = /^https?:\/\/[^/]*/i.exec(target);
    if (absolute) target = target.slice(absolute[0].length) || '/';
    const q = target.indexOf('?');
    const rawPath = q < 0 ? target : target.slice(0, q);
    const search = q < 0 ? '' : target.slice(q + 1);
    const rawQuery: Array<[string, string]> = search
      .split('&')
      .filter((p) => p !== '')
      .map((p) => {
        const eq = p.indexOf('=');
        return eq < 0 ? [p, ''] : [p.slice(0, eq), p.slice(eq + 1)];
      });
    const query = new Map<string, string>();
    for (const [n, v] of rawQuery) {
      const name = percentDecode(n);
      if (!query.has(name)) query.set(name, percentDecode(v));
    }
    const hostname = (headerOf(req, 'host') ?? '').replace(/:\d+$/, '').toLowerCase();
    let hostBucket: string | undefined;
    const vhost = /^(.+?)(?:\.s3)?\.localhost$/.exec(hostname);
    if (vhost && vhost[1] !== 's3') hostBucket = vhost[1];
    const ctx: Omit<Ctx, 'res' | 'auth'> = {
      req,
      method: req.method ?? 'GET',
      rawPath,
      rawQuery,
      query,
      requestId: randomBytes(8).toString('hex').toUpperCase(),
      hostId: randomBytes(24).toString('base64'),
    };
    if (hostBucket !== undefined) {
      ctx.hostBucket = hostBucket;
      ctx.bucket = hostBucket;
      const key = percentDecode(rawPath.slice(1));
      if (key !== '') ctx.key = key;
    } else {
      const path = rawPath.slice(1);
      const slash = path.indexOf('/');
      const bucket = percentDecode(slash < 0 ? path : path.slice(0, slash));
      if (bucket !== '') ctx.bucket = bucket;
      const key = slash < 0 ? '' : percentDecode(path.slice(slash + 1));
      if (key !== '') ctx.key = key;
    }
    return ctx;
  }

  async function route(ctx: Ctx): Promise<void> {
    const { method, query } = ctx;
    const unsupported = UNSUPPORTED_SUBRESOURCES.find((name) => query.has(name));
    if (unsupported) {
      throw notImplemented(`This emulator does not implement the ?${unsupported} sub-resource`, unsupported);
    }
    if (ctx.bucket === undefined) {
      if (method === 'GET') return listBuckets(ctx);
      throw new S3Error(
        'MethodNotAllowed',
        405,
        'The specified method is not allowed against this resource.',
        {
          Method: method,
          ResourceType: 'SERVICE',
        },
      );
    }
    if (ctx.key === undefined) {
      const subresource =
        query.has('versioning') || query.has('notification') || BUCKET_CONFIG_NAMES.some((n) => query.has(n));
      if (method === 'PUT' && !subresource) return createBucket(ctx, ctx.bucket);
      const bucket = await getBucket(ctx.bucket);
      applyCors(ctx, bucket);
      if (await bucketConfig.handleConfig(ctx, bucket)) return;
      switch (method) {
        case 'HEAD':
          return send(ctx, 200, { 'x-amz-bucket-region': bucket.region });
        case 'DELETE':
          return deleteBucket(ctx, bucket);
        case 'POST':
          if (query.has('delete')) return deleteObjects(ctx, bucket);
          if (isPostObject(ctx)) return postObject(ctx, bucket);
          break;
        case 'PUT':
          if (query.has('versioning')) return putVersioning(ctx, bucket);
          if (query.has('notification')) {
            const text = await readSmallBody(ctx.req);
            if (text.trim() !== '') parseXml(text);
            await storage.withLock(`bucket\0${bucket.name}`, async () => {
              const current = await getBucket(bucket.name);
              await storage.batch([
                { type: 'put', key: bucketKey(bucket.name), value: { ...current, notification: text } },
              ]);
            });
            return send(ctx, 200, {}, '');
          }
          break;
        case 'GET':
          if (query.has('location')) {
            // us-east-1 answers an empty LocationConstraint (S3 API GetBucketLocation).
            const location = bucket.region === 'us-east-1' ? '' : bucket.region;
            return send(
              ctx,
              200,
              { 'content-type': 'application/xml' },
              `<?xml version="1.0" encoding="UTF-8"?>\n<LocationConstraint xmlns="${S3_XMLNS}">${location}</LocationConstraint>`,
            );
          }
          if (query.has('versioning')) {
            return sendXml(
              ctx,
              'VersioningConfiguration',
              bucket.versioning === 'Unversioned' ? [] : [['Status', bucket.versioning]],
            );
          }
          if (query.has('notification')) {
            const body = bucket.notification?.trim()
              ? bucket.notification
              : renderXml('NotificationConfiguration', [], S3_XMLNS);
            return send(ctx, 200, { 'content-type': 'application/xml' }, body);
          }
          if (query.has('versions')) return listObjectVersions(ctx, bucket);
          if (query.has('uploads')) return listUploads(ctx, bucket);
          if (query.get('list-type') === '2') return listObjectsV2(ctx, bucket);
          return listObjectsV1(ctx, bucket);
      }
      throw new S3Error(
        'MethodNotAllowed',
        405,
        'The specified method is not allowed against this resource.',
        {
          Method: method,
          ResourceType: 'BUCKET',
        },
      );
    }
    const bucket = await getBucket(ctx.bucket);
    applyCors(ctx, bucket);
    if (await objectConfig.handleObjectConfig(ctx, bucket)) return;
    switch (method) {
      case 'PUT':
        if (query.has('uploadId')) return uploadPart(ctx, bucket);
        if (headerOf(ctx.req, 'x-amz-copy-source') !== undefined) return copyObject(ctx, bucket);
        return putObject(ctx, bucket);
      case 'GET':
        if (query.has('uploadId')) return listParts(ctx, bucket);
        return getObject(ctx, bucket);
      case 'HEAD':
        return getObject(ctx, bucket);
      case 'DELETE':
        if (query.has('uploadId')) return abortUpload(ctx, bucket);
        return deleteObject(ctx, bucket);
      case 'POST':
        if (query.has('uploads')) return createUpload(ctx, bucket);
        if (query.has('uploadId')) return completeUpload(ctx, bucket);
        throw notImplemented('This emulator does not implement POST Object (browser form uploads)');
    }
    throw new S3Error('MethodNotAllowed', 405, 'The specified method is not allowed against this resource.', {
      Method: method,
      ResourceType: 'OBJECT',
    });
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    let ctx: Ctx = {
      req,
      res,
      method: req.method ?? 'GET',
      rawPath: '/',
      rawQuery: [],
      query: new Map(),
      requestId: randomBytes(8).toString('hex').toUpperCase(),
      hostId: randomBytes(24).toString('base64'),
      auth: {},
    };
    try {
      ctx = { ...parseTarget(req), res, auth: {} };
      // A CORS preflight carries no credentials (browsers never sign it): answered by the bucket's rules.
      if (ctx.method === 'OPTIONS' && ctx.bucket !== undefined) {
        const bucket = await getBucket(ctx.bucket);
        const preflightCtx = ctx;
        preflight(preflightCtx, bucket, (status, headers) => send(preflightCtx, status, headers, ''));
        return;
      }
      // POST Object carries its signature in the form (post-object.ts checks it and the policy).
      if (options.credentials && !(isPostObject(ctx) && ctx.key === undefined)) {
        ctx.auth = authenticate(
          {
            method: ctx.method,
            headers: req.headers,
            rawPath: ctx.rawPath,
            rawQuery: ctx.rawQuery,
            ...(ctx.hostBucket !== undefined ? { hostBucket: ctx.hostBucket } : {}),
          },
          options.credentials,
          now(),
        );
        // A bucket policy's explicit Deny (policy-eval.ts says what it covers).
        const bucketName = ctx.bucket;
        const record =
          bucketName === undefined ? undefined : await storage.get<BucketRecord>(bucketKey(bucketName));
        if (record) {
          const secure = options.secureTransport
            ? options.secureTransport(req)
            : (req.socket as { encrypted?: boolean }).encrypted === true;
          const accountId = options.accountId ?? DEFAULT_ACCOUNT_ID;
          enforcePolicy(ctx, record, accountId, secure, now());
          const verified = ctx;
          try {
            await route(verified);
          } catch (error) {
            // A missing key is a 403 to a caller that may not list the bucket, as on S3.
            const missing =
              error instanceof S3Error && (error.code === 'NoSuchKey' || error.code === 'NoSuchVersion');
            throw (missing && missingKeyRefusal(verified, record, accountId, secure, now())) || error;
          }
          return;
        }
      }
      await route(ctx);
    } catch (error) {
      if (res.headersSent) {
        res.destroy(error as Error);
        return;
      }
      const s3Error =
        error instanceof S3Error
          ? error
          : new S3Error(
              'InternalError',
              500,
              `We encountered an internal error: ${(error as Error).message}`,
              {},
              {},
              {
                cause: error,
              },
            );
      // Anything of the request body not read yet is drained, so the connection stays usable.
      if (!req.readableEnded) req.resume();
      sendError(ctx, s3Error);
    }
  }

  return {
    handle,
    ensureBucket,
    runLifecycle,
    async listen(port = 0, host = '127.0.0.1') {
      if (server) throw new S3EmulatorConfigError('S3 emulator: listen() was already called');
      const created = createServer((req, res) => {
        void handle(req, res);
      });
      installS3ServerQuirks(created);
      server = created;
      await new Promise<void>((resolve, reject) => {
        created.once('error', reject);
        created.listen(port, host, () => {
          created.off('error', reject);
          resolve();
        });
      });
      const bound = (created.address() as AddressInfo).port;
      return { port: bound, url: `http://${host.includes(':') ? `[${host}]` : host}:${bound}` };
    },
    async close() {
      if (lifecycleTimer) clearInterval(lifecycleTimer);
      await lifecycleRun;
      if (server) {
        const s = server;
        await new Promise<void>((resolve) => {
          s.close(() => resolve());
          s.closeAllConnections();
        });
        server = undefined;
      }
      await storage.close();
    },
  };
}
