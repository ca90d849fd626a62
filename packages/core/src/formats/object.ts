import { createHash } from 'node:crypto';
import type { Decoded, DecoderOptions } from './types.ts';

/**
 * `object`: any file (an image, a PDF, a video) as one record of its metadata, read in one pass in
 * constant memory: its size and SHA-256 as the bytes stream by, its content type detected from its
 * first bytes by file-type (the upload's Content-Type header is kept beside it, as `declaredContentType`,
 * not trusted), and for images their dimensions (image-size, on the same first bytes). ETag, version,
 * user metadata and the tag count come from the GetObject response (DecoderOptions.object).
 * The bytes are never decompressed: a `.gz` object is recorded as the gzip file it is.
 */

/** Bytes kept from the start of the object for detection: file-type reads ≤ 4100; JPEG dimensions may sit after EXIF. */
export const HEAD_BYTES = 512 * 1024;

/** Whether bytes look like UTF-8 text (no NUL, decodes strictly): for files file-type has no signature for. */
function looksLikeText(bytes: Uint8Array): boolean {
  if (bytes.length === 0 || bytes.includes(0)) return false;
  try {
    // Strict decoding of a prefix: a multi-byte character cut at the end is not an error (stream: true).
    new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(0, 4096), { stream: true });
    return true;
  } catch {
    return false;
  }
}

export async function* decodeObject(
  source: AsyncIterable<Uint8Array>,
  { key, object = {} }: DecoderOptions,
): AsyncGenerator<Decoded> {
  const hash = createHash('sha256');
  let size = 0;
  const head: Uint8Array[] = [];
  let headBytes = 0;
  for await (const chunk of source) {
    hash.update(chunk);
    size += chunk.length;
    if (headBytes < HEAD_BYTES) {
      const part = chunk.subarray(0, HEAD_BYTES - headBytes);
      // A copy: the source may reuse its chunk buffers.
      head.push(Uint8Array.from(part));
      headBytes += part.length;
    }
  }
  const first = Buffer.concat(head);
  const { fileTypeFromBuffer } = await import('file-type');
  const detected = await fileTypeFromBuffer(first);
  let image: { width: number; height: number; type?: string } | undefined;
  if (detected?.mime.startsWith('image/')) {
    const { imageSize } = await import('image-size');
    try {
      image = imageSize(first);
    } catch {
      image = undefined; // a format image-size does not read, or dimensions past the first bytes
    }
  }
  const contentType = detected?.mime ?? (looksLikeText(first) ? 'text/plain' : 'application/octet-stream');
  const value: Record<string, unknown> = {
    key,
    size,
    sha256: hash.digest('hex'),
    contentType,
    ...(detected ? { extension: detected.ext } : {}),
    ...(object.contentType ? { declaredContentType: object.contentType } : {}),
    ...(object.eTag ? { eTag: object.eTag } : {}),
    ...(object.versionId ? { versionId: object.versionId } : {}),
    metadata: object.metadata ?? {},
    ...(object.tagCount !== undefined ? { tagCount: object.tagCount } : {}),
    ...(image ? { width: image.width, height: image.height } : {}),
  };
  yield { value, position: { index: 0 } };
}
