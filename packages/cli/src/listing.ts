import { ListObjectsV2Command, type ListObjectsV2CommandOutput } from '@aws-sdk/client-s3';
import type { EventlineConfig } from '@eventline/config';
import type { RedriveObject } from '@eventline/core';
import { errorMessage, matchRoute } from '@eventline/core';
import type { Target } from './resources.ts';

/** The bucket listed under each route's prefix, keeping only the keys that route (suffix, internal prefix). */
export async function* routedObjects(
  target: Target,
  config: EventlineConfig,
  onlyPrefix?: string,
): AsyncGenerator<RedriveObject & { route: string }> {
  const prefixes = [...new Set(config.routes.map((r) => r.prefix))];
  const listed = onlyPrefix
    ? [onlyPrefix]
    : // A route with an empty prefix covers everything: list once.
      prefixes.includes('')
      ? ['']
      : prefixes;
  for (const prefix of listed) {
    let token: string | undefined;
    do {
      let page: ListObjectsV2CommandOutput;
      try {
        page = await target.clients.s3.send(
          new ListObjectsV2Command({
            Bucket: target.bucket.name,
            Prefix: prefix,
            ...(token ? { ContinuationToken: token } : {}),
          }),
        );
      } catch (error) {
        const missing = (error as { name?: string }).name === 'NoSuchBucket';
        throw new Error(
          `ListObjectsV2 of the bucket "${target.bucket.name}" (${target.bucket.source}) at ${target.where} failed: ${missing ? 'the bucket does not exist' : errorMessage(error)}`,
        );
      }
      for (const object of page.Contents ?? []) {
        if (!object.Key) continue;
        const route = matchRoute(config.routes, object.Key);
        if (!route) continue;
        yield {
          bucket: target.bucket.name,
          key: object.Key,
          route: route.id,
          ...(object.ETag ? { eTag: object.ETag.replace(/"/g, '') } : {}),
          ...(object.Size !== undefined ? { size: object.Size } : {}),
          ...(object.LastModified ? { eventTime: object.LastModified.toISOString() } : {}),
        };
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
  }
}
