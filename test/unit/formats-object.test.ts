// format `object`: any file as one metadata record (size, SHA-256, type from its bytes, image size),
// through the decoder and through the use case on in-memory ports.
import { createHash, randomBytes } from 'node:crypto';
import { deflateSync } from 'node:zlib';
import { parseConfig } from '@eventline/config';
import { Pipeline } from '@eventline/core';
import { decodeObject } from '@eventline/core/formats';
import { describe, expect, it } from 'vitest';
import { decodeAll } from '../fixtures/formats/harness.ts';
import {
  ManualClock,
  MemoryContinuations,
  MemoryDeadLetters,
  MemoryLedger,
  MemoryNotifier,
  MemorySource,
  objectEvent,
} from '../support/memory-ports.ts';

/** A real (tiny, valid) PNG of `width` × `height` grey pixels. */
function png(width: number, height: number): Buffer {
  const crcTable = Array.from({ length: 256 }, (_, n) => {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    return c >>> 0;
  });
  const crc = (bytes: Buffer) => {
    let c = 0xffffffff;
    for (const b of bytes) c = crcTable[(c ^ b) & 0xff]! ^ (c >>> 8);
    return (c ^ 0xffffffff) >>> 0;
  };
  const chunk = (type: string, data: Buffer) => {
    const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
    const out = Buffer.alloc(12 + data.length);
    out.writeUInt32BE(data.length, 0);
    body.copy(out, 4);
    out.writeUInt32BE(crc(body), 8 + data.length);
    return out;
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 0; // greyscale
  const rows = Buffer.alloc((width + 1) * height, 0x80);
  for (let y = 0; y < height; y++) rows[y * (width + 1)] = 0;
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(rows)),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');
const route = { format: 'object', prefix: 'uploads/', suffix: '' } as const;

describe('object decoder', () => {
  it('records an image: type from its bytes (not its header), dimensions, size and SHA-256', async () => {
    const image = png(37, 21);
    const { records } = await decodeAll(decodeObject, image, { route, key: 'uploads/cat.bin', chunkSize: 7 });

    expect(records).toEqual([
      {
        value: {
          key: 'uploads/cat.bin',
          size: image.length,
          sha256: sha256(image),
          contentType: 'image/png',
          extension: 'png',
          metadata: {},
          width: 37,
          height: 21,
        },
        position: { index: 0 },
      },
    ]);
  });

  it('detects a PDF, plain text and unknown bytes; hashes a file far larger than what it keeps', async () => {
    const pdf = Buffer.from('%PDF-1.7\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<<>>\n%%EOF\n');
    const big = randomBytes(3 * 1024 * 1024);
    big[0] = 0;

    const [p, t, b] = await Promise.all([
      decodeAll(decodeObject, pdf, { route }),
      decodeAll(decodeObject, 'just some notes\n', { route }),
      decodeAll(decodeObject, big, { route, chunkSize: 64 * 1024 }),
    ]);

    expect(p.records[0]?.value).toMatchObject({ contentType: 'application/pdf', extension: 'pdf' });
    expect(t.records[0]?.value).toMatchObject({ contentType: 'text/plain', size: 16 });
    expect(b.records[0]?.value).toMatchObject({
      contentType: 'application/octet-stream',
      size: big.length,
      sha256: sha256(big),
    });
  });
});

describe('object records through the use case', () => {
  it('keys the record by the object key and keeps ETag, version, declared type, metadata and tag count', async () => {
    const ledger = new MemoryLedger();
    const source = new MemorySource(1024);
    const pipeline = new Pipeline({
      config: parseConfig({
        routes: [{ id: 'uploads', prefix: 'uploads/', suffix: '.jpg', format: 'object' }],
      }),
      source,
      ledger,
      notifier: new MemoryNotifier(),
      deadLetters: new MemoryDeadLetters(),
      continuations: new MemoryContinuations(),
      clock: new ManualClock(),
    });
    const image = png(640, 480);
    source.put('uploads/photo.jpg', '', { body: image, eTag: 'abc123' });
    const original = source.open.bind(source);
    source.open = async (event, options) => ({
      ...(await original(event, options)),
      contentType: 'image/jpeg',
      versionId: 'v1',
      metadata: { owner: 'alice' },
      tagCount: 2,
    });

    const outcome = await pipeline.processObject(objectEvent(source, 'uploads/photo.jpg'));

    expect(outcome).toMatchObject({ status: 'processed', counts: { read: 1, written: 1 } });
    const payload = ledger.records.get('uploads/photo.jpg')?.payload as { M: Record<string, unknown> };
    expect(payload.M).toMatchObject({
      contentType: { S: 'image/png' },
      declaredContentType: { S: 'image/jpeg' },
      eTag: { S: 'abc123' },
      versionId: { S: 'v1' },
      metadata: { M: { owner: { S: 'alice' } } },
      tagCount: { N: '2' },
      width: { N: '640' },
      height: { N: '480' },
      sha256: { S: sha256(image) },
    });
  });
});
