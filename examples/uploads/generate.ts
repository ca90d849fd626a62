/**
 * Sample data for the uploads recipe: what users upload to a moderation front door. Real, valid
 * files made here byte by byte: PNG photos of several sizes, a PDF, a GIF, a plain-text note, and a
 * PNG a browser labelled `image/jpeg` with a `.jpg` name (the recipe records the type its bytes show,
 * image/png, beside the declared one). Each with the user metadata an upload form sends.
 * Deterministic. Run: `npx tsx examples/uploads/generate.ts [out-dir]`.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { deflateSync } from 'node:zlib';

export interface SampleUpload {
  key: string;
  body: Uint8Array;
  /** What the browser declares (Content-Type) and the user metadata the form sends. */
  declaredType: string;
  metadata: Record<string, string>;
  /** What the recipe detects from the bytes. */
  detectedType: string;
  width?: number;
  height?: number;
}

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

function crc32(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (const b of bytes) c = CRC_TABLE[(c ^ b) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/** A valid RGB PNG of `width` × `height` with a colour gradient. */
export function png(width: number, height: number): Buffer {
  const chunk = (type: string, data: Buffer) => {
    const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
    const out = Buffer.alloc(12 + data.length);
    out.writeUInt32BE(data.length, 0);
    body.copy(out, 4);
    out.writeUInt32BE(crc32(body), 8 + data.length);
    return out;
  };
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header[8] = 8; // bit depth
  header[9] = 2; // RGB
  const rows = Buffer.alloc((width * 3 + 1) * height);
  for (let y = 0; y < height; y++) {
    const row = y * (width * 3 + 1);
    for (let x = 0; x < width; x++) {
      rows[row + 1 + x * 3] = (x * 255) / width;
      rows[row + 2 + x * 3] = (y * 255) / height;
      rows[row + 3 + x * 3] = 128;
    }
  }
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', header),
    chunk('IDAT', deflateSync(rows)),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

/** A one-page PDF saying `text`, with a correct cross-reference table. */
export function pdf(text: string): Buffer {
  const stream = `BT /F1 24 Tf 72 720 Td (${text.replace(/[()\\]/g, '')}) Tj ET`;
  const objects = [
    '<< /Type /Catalog /Pages 2 0 R >>',
    '<< /Type /Pages /Kids [3 0 R] /Count 1 >>',
    '<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>',
    `<< /Length ${stream.length} >>\nstream\n${stream}\nendstream`,
    '<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>',
  ];
  let out = '%PDF-1.4\n';
  const offsets: number[] = [];
  objects.forEach((body, i) => {
    offsets.push(out.length);
    out += `${i + 1} 0 obj\n${body}\nendobj\n`;
  });
  const xref = out.length;
  out += `xref\n0 ${objects.length + 1}\n0000000000 65535 f \n`;
  for (const offset of offsets) out += `${String(offset).padStart(10, '0')} 00000 n \n`;
  out += `trailer\n<< /Size ${objects.length + 1} /Root 1 0 R >>\nstartxref\n${xref}\n%%EOF\n`;
  return Buffer.from(out, 'latin1');
}

/** A 1 × 1 transparent GIF. */
const GIF = Buffer.from('R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7', 'base64');

export function uploads(): SampleUpload[] {
  const meta = (user: string, i: number) => ({ user, 'upload-id': `u-${1000 + i}` });
  return [
    ...[
      [640, 480],
      [1024, 768],
      [120, 90],
    ].map(([width, height], i) => ({
      key: `uploads/alice/photo-${i + 1}.png`,
      body: png(width!, height!),
      declaredType: 'image/png',
      metadata: meta('alice', i),
      detectedType: 'image/png',
      width: width!,
      height: height!,
    })),
    {
      key: 'uploads/bob/profile.jpg',
      body: png(64, 64),
      declaredType: 'image/jpeg',
      metadata: meta('bob', 3),
      detectedType: 'image/png',
      width: 64,
      height: 64,
    },
    {
      key: 'uploads/bob/loop.gif',
      body: GIF,
      declaredType: 'image/gif',
      metadata: meta('bob', 4),
      detectedType: 'image/gif',
      width: 1,
      height: 1,
    },
    {
      key: 'uploads/carol/invoice-2026-03.pdf',
      body: pdf('Invoice 2026-03: 1,234.56 EUR'),
      declaredType: 'application/pdf',
      metadata: meta('carol', 5),
      detectedType: 'application/pdf',
    },
    {
      key: 'uploads/carol/notes.txt',
      body: Buffer.from('Meeting notes\n- ship the uploads recipe\n'),
      declaredType: 'text/plain',
      metadata: meta('carol', 6),
      detectedType: 'text/plain',
    },
  ];
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const out = process.argv[2] ?? 'sample-uploads';
  for (const file of uploads()) {
    const path = join(out, file.key);
    await mkdir(dirname(path), { recursive: true });
    await writeFile(path, file.body);
    console.log(`${path} (${file.body.length} bytes, ${file.detectedType})`);
  }
}
