import type { Route } from '@eventline/config/runtime';
import type { UseCaseContext } from './context.ts';
import { PermanentError } from './errors.ts';
import type { ObjectEvent } from './events.ts';
import { limitText } from './formats/index.ts';
import type { RangeReader } from './formats/parquet.ts';
import type { DecoderResume } from './formats/types.ts';
import type { FileInput } from './stream-input.ts';

/**
 * The input of a `parquet` route: the object read by ranged GETs of one version (the event's, or the
 * one the first GET served: a file rewritten meanwhile fails as superseded, never mixes two writes),
 * handed to the Parquet decoder, which is imported with the first Parquet file.
 */

declare const EVENTLINE_FORMAT_PARQUET: boolean | undefined;

/** The decoder, left out of a Lambda bundle whose routes read no Parquet (as formats/index.ts does). */
const loadParquet =
  typeof EVENTLINE_FORMAT_PARQUET === 'undefined' || EVENTLINE_FORMAT_PARQUET
    ? async () => (await import('./formats/parquet.ts')).decodeParquet
    : undefined;

async function drain(body: AsyncIterable<Uint8Array>): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  for await (const chunk of body) chunks.push(chunk);
  return chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks);
}

export async function openParquet(
  ctx: UseCaseContext,
  event: ObjectEvent,
  route: Route,
  max: number,
  options: { resume?: DecoderResume; served?: (versionId: string) => void },
): Promise<FileInput> {
  if (!loadParquet) {
    throw new PermanentError(
      'not-bundled',
      `routes: format "parquet" is not in this bundle, which holds the formats of the routes it was synthesized with; synthesize and deploy again`,
    );
  }
  let pinned: ObjectEvent = event;
  let versionId: string | undefined;
  const pin = (opened: { versionId?: string; eTag?: string }) => {
    if (opened.versionId && opened.versionId !== 'null') {
      versionId = opened.versionId;
      options.served?.(opened.versionId);
    }
    pinned = versionId ? { ...event, versionId } : opened.eTag ? { ...event, eTag: opened.eTag } : event;
  };
  let size = event.size;
  if (size === undefined) {
    // An event from a listing may carry no size: a GET of the first byte tells it (Content-Range).
    try {
      const opened = await ctx.source.open(event, { fromByte: 0, toByte: 0 });
      await drain(opened.body);
      pin(opened);
      size = opened.size ?? opened.contentLength ?? 0;
    } catch (error) {
      if (!(error instanceof PermanentError && error.code === 'bad-range')) throw error;
      size = 0; // an empty object: the decoder says it is too short to be Parquet
    }
  }
  if (size > max)
    throw new PermanentError('too-large', `${event.key}: ${size} bytes is over ${limitText(route)}`);
  const file: RangeReader = {
    byteLength: size,
    read: async (start, end) => {
      if (end <= start) return new Uint8Array(0);
      const opened = await ctx.source.open(pinned, { fromByte: start, toByte: end - 1 });
      if (pinned === event) pin(opened);
      const bytes = await drain(opened.body);
      if (bytes.length !== end - start) {
        throw new PermanentError(
          'changed-object',
          `${event.key}: asked for bytes ${start}–${end - 1} of ${size}, S3 returned ${bytes.length} bytes`,
        );
      }
      return bytes;
    },
  };
  const decodeParquet = await loadParquet();
  const records = decodeParquet(file, {
    route,
    key: event.key,
    ...(options.resume ? { resume: options.resume } : {}),
  });
  return {
    records,
    get versionId() {
      return versionId;
    },
    // The object's size, as a streamed file counts its bytes.
    bytes: () => size,
    base: 0,
  };
}
