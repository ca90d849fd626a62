import { createHash, createHmac, type Hash, timingSafeEqual } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';
import { S3Error } from './errors.ts';

/**
 * Decodes an `aws-chunked` body (reference s3-api-semantics.md section 8, "SigV4 streaming" and
 * "Streaming with trailer"): `<hex size>[;chunk-signature=<sig>]\r\n<data>\r\n` … a zero-size chunk,
 * then trailer lines (`x-amz-checksum-crc32:<base64>`, `x-amz-trailer-signature:<sig>`) and an empty
 * line. HTTP chunking is already undone by node:http. Only the data flows on; the trailers are
 * kept in `trailers`. When `signing` is given, every chunk signature (and the trailer signature)
 * is checked against the chain seeded by the request's own signature.
 */

export interface ChunkSigning {
  signingKey: Buffer;
  amzDate: string;
  scope: string;
  seedSignature: string;
}

const EMPTY_SHA256 = createHash('sha256').digest('hex');
const MAX_LINE = 4096;
const CRLF = Buffer.from('\r\n');

const incomplete = (detail: string) =>
  new S3Error('IncompleteBody', 400, `The aws-chunked request body is malformed: ${detail}`);
const badChunkSignature = () =>
  new S3Error(
    'SignatureDoesNotMatch',
    403,
    'The request signature we calculated does not match the signature you provided. Check your key and signing method.',
  );

export class AwsChunkedDecoder extends Transform {
  readonly trailers: Record<string, string> = {};
  private state: 'size' | 'data' | 'dataEnd' | 'trailer' | 'done' = 'size';
  private pending = Buffer.alloc(0);
  private remaining = 0;
  private chunkSignature: string | undefined;
  private chunkHash: Hash | undefined;
  private previousSignature: string;
  private trailerSignature: string | undefined;
  private readonly trailerLines: string[] = [];

  constructor(private readonly signing?: ChunkSigning) {
    super();
    this.previousSignature = signing?.seedSignature ?? '';
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    try {
      this.consume(this.pending.length > 0 ? Buffer.concat([this.pending, chunk]) : chunk);
      done();
    } catch (error) {
      done(error as Error);
    }
  }

  override _flush(done: TransformCallback): void {
    if (this.state !== 'done') {
      done(incomplete('the body ended before the final zero-size chunk and its trailer'));
      return;
    }
    done();
  }

  private consume(input: Buffer): void {
    let pos = 0;
    this.pending = Buffer.alloc(0);
    while (pos < input.length) {
      if (this.state === 'data') {
        const take = Math.min(this.remaining, input.length - pos);
        const data = input.subarray(pos, pos + take);
        this.chunkHash?.update(data);
        this.push(data);
        this.remaining -= take;
        pos += take;
        if (this.remaining === 0) this.state = 'dataEnd';
        continue;
      }
      if (this.state === 'dataEnd') {
        if (input.length - pos < 2) break;
        if (input[pos] !== 13 || input[pos + 1] !== 10) throw incomplete('a chunk is not followed by CRLF');
        pos += 2;
        this.verifyChunk();
        this.state = 'size';
        continue;
      }
      if (this.state === 'done') {
        if (input.subarray(pos).toString('latin1').trim() !== '') throw incomplete('data after the trailer');
        return;
      }
      const end = input.indexOf(CRLF, pos);
      if (end < 0) {
        if (input.length - pos > MAX_LINE) throw incomplete('a chunk header or trailer line is too long');
        break;
      }
      const line = input.subarray(pos, end).toString('latin1');
      pos = end + 2;
      if (this.state === 'size') this.startChunk(line);
      else this.trailerLine(line);
    }
    this.pending = Buffer.from(input.subarray(pos));
  }

  private startChunk(line: string): void {
    const match = /^([0-9a-fA-F]{1,16})(?:;chunk-signature=([0-9a-f]{64}))?$/.exec(line.trim());
    if (!match) throw incomplete(`unreadable chunk header "${line.slice(0, 100)}"`);
    this.remaining = Number.parseInt(match[1]!, 16);
    this.chunkSignature = match[2];
    if (this.signing && !this.chunkSignature) throw incomplete('a chunk has no chunk-signature');
    this.chunkHash = this.signing ? createHash('sha256') : undefined;
    if (this.remaining === 0) {
      this.verifyChunk();
      this.state = 'trailer';
    } else {
      this.state = 'data';
    }
  }

  private verifyChunk(): void {
    if (!this.signing) return;
    const { signingKey, amzDate, scope } = this.signing;
    const stringToSign = [
      'AWS4-HMAC-SHA256-PAYLOAD',
      amzDate,
      scope,
      this.previousSignature,
      EMPTY_SHA256,
      this.chunkHash!.digest('hex'),
    ].join('\n');
    const expected = createHmac('sha256', signingKey).update(stringToSign).digest('hex');
    if (!sameHex(expected, this.chunkSignature ?? '')) throw badChunkSignature();
    this.previousSignature = expected;
  }

  private trailerLine(line: string): void {
    if (line === '') {
      this.verifyTrailer();
      this.state = 'done';
      return;
    }
    const colon = line.indexOf(':');
    if (colon < 1) throw incomplete(`unreadable trailer line "${line.slice(0, 100)}"`);
    const name = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    if (name === 'x-amz-trailer-signature') {
      this.trailerSignature = value;
      return;
    }
    this.trailers[name] = value;
    this.trailerLines.push(`${name}:${value}\n`);
  }

  private verifyTrailer(): void {
    if (!this.signing || this.trailerLines.length === 0) return;
    if (!this.trailerSignature) throw incomplete('the trailer has no x-amz-trailer-signature');
    const { signingKey, amzDate, scope } = this.signing;
    const stringToSign = [
      'AWS4-HMAC-SHA256-TRAILER',
      amzDate,
      scope,
      this.previousSignature,
      // Canonical trailing headers: `name:value\n`, sorted by name (as the AWS SDKs sign them).
      createHash('sha256')
        .update([...this.trailerLines].sort().join(''))
        .digest('hex'),
    ].join('\n');
    const expected = createHmac('sha256', signingKey).update(stringToSign).digest('hex');
    if (!sameHex(expected, this.trailerSignature)) throw badChunkSignature();
  }
}

export function sameHex(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}
