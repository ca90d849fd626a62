/**
 * The simulator's slower tier for S3: the pipeline's GetObject and HeadObject answered by the
 * project's S3 emulator (in this process, on loopback) instead of fake-aws.ts's FakeS3. The fake
 * still decides what is written (its history, put numbers and sequencers are what the events and
 * the checks name); every put and delete is also made on an emulator bucket, versioned or not as
 * the plan's, and the fake's version ids (`v3`) are translated to the emulator's and back. So
 * VersionId reads, IfMatch (412), Range (ContentRange), delete markers (405) and missing keys and
 * versions (404, HeadObject's bodiless errors) are the emulator's, through an SDK v3 client.
 */
import {
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { createS3Emulator } from '@eventline/s3-emulator';
import type { S3Version } from './fake-aws.ts';

export interface RealGet {
  body: Uint8Array;
  ContentLength?: number;
  ContentRange?: string;
  ETag?: string;
  VersionId?: string;
}

export class RealS3 {
  /** The fake's version ids and the emulator's, both ways. */
  private readonly toReal = new Map<string, string>();
  private readonly toFake = new Map<string, string>();

  constructor(
    private readonly client: S3Client,
    readonly bucket: string,
  ) {}

  /** Makes the fake's write `version` of `key` on the emulator too. */
  async write(key: string, version: S3Version): Promise<void> {
    const out = version.deleteMarker
      ? await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: key }))
      : await this.client.send(new PutObjectCommand({ Bucket: this.bucket, Key: key, Body: version.body }));
    if (version.versionId && out.VersionId) {
      this.toReal.set(version.versionId, out.VersionId);
      this.toFake.set(out.VersionId, version.versionId);
    }
  }

  private real(versionId: string | undefined): string | undefined {
    return versionId === undefined ? undefined : (this.toReal.get(versionId) ?? versionId);
  }

  private fake(versionId: string | undefined): string | undefined {
    return versionId === undefined ? undefined : (this.toFake.get(versionId) ?? versionId);
  }

  async getObject(input: {
    Key: string;
    VersionId?: string;
    IfMatch?: string;
    Range?: string;
  }): Promise<RealGet> {
    const out = await this.client.send(
      new GetObjectCommand({ ...input, Bucket: this.bucket, VersionId: this.real(input.VersionId) }),
    );
    const body = out.Body ? await out.Body.transformToByteArray() : new Uint8Array();
    const got: RealGet = { body };
    if (out.ContentLength !== undefined) got.ContentLength = out.ContentLength;
    if (out.ContentRange !== undefined) got.ContentRange = out.ContentRange;
    if (out.ETag !== undefined) got.ETag = out.ETag;
    const versionId = this.fake(out.VersionId);
    if (versionId !== undefined) got.VersionId = versionId;
    return got;
  }

  async headObject(input: {
    Key: string;
    VersionId?: string;
  }): Promise<{ ETag?: string; VersionId?: string }> {
    const out = await this.client.send(
      new HeadObjectCommand({ ...input, Bucket: this.bucket, VersionId: this.real(input.VersionId) }),
    );
    const versionId = this.fake(out.VersionId);
    return {
      ...(out.ETag ? { ETag: out.ETag } : {}),
      ...(versionId !== undefined ? { VersionId: versionId } : {}),
    };
  }
}

/** The S3 emulator of a run of the slower tier, a fresh bucket per plan. */
export class S3Tier {
  private buckets = 0;

  private constructor(
    private readonly emulator: Awaited<ReturnType<typeof createS3Emulator>>,
    private readonly client: S3Client,
  ) {}

  static async start(dataDir: string): Promise<S3Tier> {
    const emulator = await createS3Emulator({ dataDir, fsync: false });
    const { url } = await emulator.listen(0, '127.0.0.1');
    const client = new S3Client({
      region: 'us-east-1',
      endpoint: url,
      forcePathStyle: true,
      credentials: { accessKeyId: 'sim', secretAccessKey: 'sim' },
      maxAttempts: 1,
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
    });
    return new S3Tier(emulator, client);
  }

  async bucket(versioned: boolean): Promise<RealS3> {
    this.buckets += 1;
    const name = `sim-${this.buckets}`;
    await this.emulator.ensureBucket(name, versioned ? { versioning: 'Enabled' } : {});
    return new RealS3(this.client, name);
  }

  async close(): Promise<void> {
    this.client.destroy();
    await this.emulator.close();
  }
}
