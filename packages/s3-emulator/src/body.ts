import { createHash, type Hash } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { Transform } from 'node:stream';
import { crc32 } from 'node:zlib';
import { AwsChunkedDecoder, type ChunkSigning } from './chunked.ts';
import { invalidRequest, S3Error } from './errors.ts';
import type { Storage, WrittenBlob } from './storage.ts';

/**
 * Receives a request body into a blob: undoes aws-chunked framing, and checks what the client
 * declared about it (Content-MD5, x-amz-content-sha256, x-amz-decoded-content-length,
 * x-amz-checksum-* in a header or a trailer). Reference s3-api-semantics.md section 8.
 */

export interface ReceivedBody extends WrittenBlob {
  md5: string;
  /** Parts' binary MD5, for multipart ETags. */
  md5Binary: Buffer;
  checksum?: { algorithm: string; value: string };
}

const CHECKSUMS = ['crc32', 'crc32c', 'crc64nvme', 'sha1', 'sha256'] as const;
type ChecksumAlgorithm = (typeof CHECKSUMS)[number];

interface Summer {
  update(data: Buffer): void;
  /** Base64, or undefined when this emulator cannot compute the algorithm. */
  digest(): string | undefined;
}

const CRC32C_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0x82f63b78 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

function summer(algorithm: ChecksumAlgorithm): Summer {
  const word = (n: number) => {
    const b = Buffer.alloc(4);
    b.writeUInt32BE(n >>> 0);
    return b.toString('base64');
  };
  switch (algorithm) {
    case 'crc32': {
      let crc = 0;
      return {
        update: (d) => {
          crc = crc32(d, crc);
        },
        digest: () => word(crc),
      };
    }
    case 'crc32c': {
      let crc = 0xffffffff;
      return {
        update: (d) => {
          for (const byte of d) crc = CRC32C_TABLE[(crc ^ byte) & 0xff]! ^ (crc >>> 8);
        },
        digest: () => word(crc ^ 0xffffffff),
      };
    }
    case 'sha1':
    case 'sha256': {
      const hash = createHash(algorithm);
      return { update: (d) => void hash.update(d), digest: () => hash.digest('base64') };
    }
    default:
      return { update: () => undefined, digest: () => undefined };
  }
}

function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value.join(',') : value;
}

/** The checksum algorithm the request names, and its value if sent as a header. */
function requestedChecksum(
  req: IncomingMessage,
): { algorithm: ChecksumAlgorithm; value?: string } | undefined {
  const sent = CHECKSUMS.filter((a) => header(req, `x-amz-checksum-${a}`) !== undefined);
  if (sent.length > 1) {
    throw invalidRequest(
      'Expecting a single x-amz-checksum- header. Multiple checksum Types are not allowed.',
    );
  }
  const trailer = header(req, 'x-amz-trailer')?.trim().toLowerCase();
  if (trailer) {
    const algorithm = trailer.replace(/^x-amz-checksum-/, '') as ChecksumAlgorithm;
    if (!CHECKSUMS.includes(algorithm))
      throw invalidRequest(`The x-amz-trailer value "${trailer}" is not supported.`);
    return { algorithm };
  }
  if (sent[0]) return { algorithm: sent[0], value: header(req, `x-amz-checksum-${sent[0]}`)! };
  const declared = header(req, 'x-amz-sdk-checksum-algorithm')?.toLowerCase();
  if (declared) {
    throw invalidRequest(
      `x-amz-sdk-checksum-algorithm specified, but no corresponding x-amz-checksum-* or x-amz-trailer headers were found.`,
    );
  }
  return undefined;
}

export async function receiveBody(
  storage: Storage,
  req: IncomingMessage,
  chunkSigning: ChunkSigning | undefined,
): Promise<ReceivedBody> {
  const payloadHash = header(req, 'x-amz-content-sha256') ?? '';
  const streaming =
    payloadHash.startsWith('STREAMING-') ||
    /(^|,)\s*aws-chunked\s*(,|$)/.test(header(req, 'content-encoding') ?? '');
  if (
    !streaming &&
    req.headers['content-length'] === undefined &&
    req.headers['transfer-encoding'] === undefined
  ) {
    throw new S3Error('MissingContentLength', 411, 'You must provide the Content-Length HTTP header.');
  }
  const contentMd5 = header(req, 'content-md5');
  if (contentMd5 !== undefined && Buffer.from(contentMd5, 'base64').length !== 16) {
    throw new S3Error('InvalidDigest', 400, 'The Content-MD5 you specified was invalid.', {
      'Content-MD5': contentMd5,
    });
  }
  const checksum = requestedChecksum(req);
  const md5 = createHash('md5');
  const sha256: Hash | undefined = /^[0-9a-f]{64}$/i.test(payloadHash) ? createHash('sha256') : undefined;
  const sum = checksum ? summer(checksum.algorithm) : undefined;
  const decoder = streaming ? new AwsChunkedDecoder(chunkSigning) : undefined;
  const observe = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      md5.update(chunk);
      sha256?.update(chunk);
      sum?.update(chunk);
      done(null, chunk);
    },
  });
  const written = await storage.writeBlob(req, decoder ? [decoder, observe] : [observe]);
  try {
    const md5Binary = md5.digest();
    if (contentMd5 !== undefined && md5Binary.toString('base64') !== contentMd5) {
      throw new S3Error('BadDigest', 400, 'The Content-MD5 you specified did not match what we received.', {
        ExpectedDigest: contentMd5,
        CalculatedDigest: md5Binary.toString('base64'),
      });
    }
    if (sha256) {
      const computed = sha256.digest('hex');
      if (computed !== payloadHash.toLowerCase()) {
        throw new S3Error(
          'XAmzContentSHA256Mismatch',
          400,
          "The provided 'x-amz-content-sha256' header does not match what was computed.",
          { ClientComputedContentSHA256: payloadHash, S3ComputedContentSHA256: computed },
        );
      }
    }
    const decodedLength = header(req, 'x-amz-decoded-content-length');
    if (decoder && decodedLength !== undefined && Number(decodedLength) !== written.size) {
      throw new S3Error(
        'IncompleteBody',
        400,
        `The request body holds ${written.size} bytes, x-amz-decoded-content-length says ${decodedLength}.`,
      );
    }
    const result: ReceivedBody = { ...written, md5: md5Binary.toString('hex'), md5Binary };
    if (checksum) {
      const value = checksum.value ?? decoder?.trailers[`x-amz-checksum-${checksum.algorithm}`];
      if (value === undefined) {
        throw invalidRequest(
          `The trailer x-amz-checksum-${checksum.algorithm} announced by x-amz-trailer was not sent.`,
        );
      }
      const computed = sum!.digest();
      if (computed !== undefined && computed !== value) {
        if (!/^[A-Za-z0-9+/]+=*$/.test(value)) {
          throw invalidRequest(`Value for x-amz-checksum-${checksum.algorithm} header is invalid.`);
        }
        throw new S3Error(
          'BadDigest',
          400,
          `The ${checksum.algorithm.toUpperCase()} you specified did not match the calculated checksum.`,
        );
      }
      result.checksum = { algorithm: checksum.algorithm, value };
    }
    return result;
  } catch (error) {
    await storage.removeBlobs([written.blob]);
    throw error;
  }
}
