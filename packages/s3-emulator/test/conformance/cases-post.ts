import { createHash, createHmac } from 'node:crypto';
import { GetObjectCommand, GetObjectTaggingCommand, HeadObjectCommand } from '@aws-sdk/client-s3';
import { createPresignedPost } from '@aws-sdk/s3-presigned-post';
import { expect } from 'vitest';
import { type Case, newBucket } from './case-kit.ts';
import { ACCESS_KEY_ID, errorCode, REGION, SECRET_ACCESS_KEY } from './target.ts';

/**
 * POST Object, browser-based uploads (AWS user guide "Browser-based uploads using POST", API
 * reference "POST Object"): a policy signed with SigV4 (made by @aws-sdk/s3-presigned-post, or by
 * hand where a case needs a policy the SDK will not make), sent as multipart/form-data.
 */

function hmac(key: Buffer | string, data: string): Buffer {
  return createHmac('sha256', key).update(data).digest();
}

/** A SigV4-signed POST policy's form fields, made by hand (for expired or unusual policies). */
function signedFields(
  conditions: unknown[],
  expiration: Date,
  secret = SECRET_ACCESS_KEY,
): Record<string, string> {
  const now = new Date();
  const amzDate = `${now.toISOString().replace(/[-:]/g, '').slice(0, 15)}Z`;
  const date = amzDate.slice(0, 8);
  const credential = `${ACCESS_KEY_ID}/${date}/${REGION}/s3/aws4_request`;
  const fields = {
    'X-Amz-Algorithm': 'AWS4-HMAC-SHA256',
    'X-Amz-Credential': credential,
    'X-Amz-Date': amzDate,
  };
  const policy = Buffer.from(
    JSON.stringify({
      expiration: expiration.toISOString(),
      conditions: [...conditions, ...Object.entries(fields).map(([k, v]) => ({ [k]: v }))],
    }),
  ).toString('base64');
  const key = hmac(hmac(hmac(hmac(`AWS4${secret}`, date), REGION), 's3'), 'aws4_request');
  return {
    ...fields,
    Policy: policy,
    'X-Amz-Signature': createHmac('sha256', key).update(policy).digest('hex'),
  };
}

function form(fields: Record<string, string>, file: string | Buffer, filename = 'upload.csv'): FormData {
  const body = new FormData();
  for (const [name, value] of Object.entries(fields)) body.append(name, value);
  body.append('file', new Blob([file]), filename);
  return body;
}

const postTo = (endpoint: string, bucket: string, body: FormData, redirect: 'follow' | 'manual' = 'follow') =>
  fetch(`${endpoint}/${bucket}`, { method: 'POST', body, redirect });

export const postCases: Case[] = [
  {
    // biome-ignore lint/suspicious/noTemplateCurlyInString: S3's own ${filename} placeholder, sent literally
    name: 'POST Object: a presigned POST (SDK) with ${filename}, content-length-range and starts-with uploads a file; 201 answers a PostResponse; the event is ObjectCreated:Post',
    motoDiffers: 'moto answers success_action_status 201 without a PostResponse document',
    async run({ s3, name, events }) {
      const Bucket = await newBucket(s3, 'post');
      const post = await createPresignedPost(s3, {
        Bucket,
        // biome-ignore lint/suspicious/noTemplateCurlyInString: S3's own ${filename} placeholder, sent literally
        Key: 'uploads/${filename}',
        Conditions: [
          ['content-length-range', 1, 1024],
          ['starts-with', '$key', 'uploads/'],
          ['starts-with', '$Content-Type', 'text/'],
        ],
        Fields: { success_action_status: '201', 'Content-Type': 'text/csv', 'x-amz-meta-owner': 'ana' },
        Expires: 300,
      });
      expect(post.fields.Policy).toBeDefined();
      const res = await fetch(post.url, {
        method: 'POST',
        body: form(post.fields, 'a,b\n1,2\n', 'data.csv'),
      });
      const xml = await res.text();
      expect(res.status, xml).toBe(201);
      expect(xml).toContain('<Key>uploads/data.csv</Key>');
      expect(xml).toContain(`<Bucket>${Bucket}</Bucket>`);
      const md5 = createHash('md5').update('a,b\n1,2\n').digest('hex');
      expect(res.headers.get('etag')).toBe(`"${md5}"`);
      const got = await s3.send(new GetObjectCommand({ Bucket, Key: 'uploads/data.csv' }));
      expect(await got.Body!.transformToString()).toBe('a,b\n1,2\n');
      expect(got.ContentType).toBe('text/csv');
      expect(got.Metadata).toEqual({ owner: 'ana' });
      if (name === 'emulator') {
        expect(events.filter((e) => e.bucket === Bucket).map((e) => [e.eventName, e.key, e.size])).toEqual([
          ['ObjectCreated:Post', 'uploads/data.csv', 8],
        ]);
      }
    },
  },
  {
    name: 'POST Object: no success_action_status is 204; success_action_redirect is 303 to the URL with bucket, key and etag; tagging is applied',
    motoDiffers: 'moto ignores the tagging field of a POST form',
    async run({ s3, endpoint }) {
      const Bucket = await newBucket(s3, 'post-redirect');
      const tagging =
        '<Tagging><TagSet><Tag><Key>source</Key><Value>browser</Value></Tag></TagSet></Tagging>';
      const plain = await createPresignedPost(s3, { Bucket, Key: 'plain.txt', Fields: { tagging } });
      const res = await fetch(plain.url, { method: 'POST', body: form(plain.fields, 'x') });
      expect(res.status, await res.text()).toBe(204);
      expect((await s3.send(new GetObjectTaggingCommand({ Bucket, Key: 'plain.txt' }))).TagSet).toEqual([
        { Key: 'source', Value: 'browser' },
      ]);
      const redirect = 'https://app.example.com/done';
      const post = await createPresignedPost(s3, {
        Bucket,
        Key: 'r.txt',
        Fields: { success_action_redirect: redirect },
      });
      const moved = await postTo(endpoint, Bucket, form(post.fields, 'y'), 'manual');
      expect(moved.status).toBe(303);
      const location = new URL(moved.headers.get('location') ?? '');
      expect(`${location.origin}${location.pathname}`).toBe(redirect);
      expect(location.searchParams.get('bucket')).toBe(Bucket);
      expect(location.searchParams.get('key')).toBe('r.txt');
      expect(location.searchParams.get('etag')).toBe(`"${createHash('md5').update('y').digest('hex')}"`);
    },
  },
  {
    name: 'POST Object: a file outside content-length-range is EntityTooLarge/EntityTooSmall; a key failing starts-with, an extra field or an expired policy is AccessDenied',
    motoDiffers: 'moto checks neither the policy conditions nor the fields against them',
    async run({ s3, endpoint }) {
      const Bucket = await newBucket(s3, 'post-policy');
      const later = new Date(Date.now() + 300_000);
      const base = [{ bucket: Bucket }, ['starts-with', '$key', 'in/'], ['content-length-range', 2, 10]];
      const attempt = async (fields: Record<string, string>, file: string) => {
        const res = await postTo(endpoint, Bucket, form(fields, file));
        return { status: res.status, code: errorCode(await res.text()) };
      };
      expect(await attempt({ key: 'in/a', ...signedFields(base, later) }, 'ok')).toEqual({
        status: 204,
        code: undefined,
      });
      expect(await attempt({ key: 'in/a', ...signedFields(base, later) }, 'x'.repeat(11))).toEqual({
        status: 400,
        code: 'EntityTooLarge',
      });
      expect(await attempt({ key: 'in/a', ...signedFields(base, later) }, 'x')).toEqual({
        status: 400,
        code: 'EntityTooSmall',
      });
      expect(await attempt({ key: 'out/a', ...signedFields(base, later) }, 'ok')).toEqual({
        status: 403,
        code: 'AccessDenied',
      });
      expect(
        await attempt({ key: 'in/a', 'x-amz-meta-extra': '1', ...signedFields(base, later) }, 'ok'),
      ).toEqual({
        status: 403,
        code: 'AccessDenied',
      });
      expect(
        await attempt({ key: 'in/a', ...signedFields(base, new Date(Date.now() - 1000)) }, 'ok'),
      ).toEqual({
        status: 403,
        code: 'AccessDenied',
      });
      await expect(s3.send(new HeadObjectCommand({ Bucket, Key: 'out/a' }))).rejects.toThrow();
    },
  },
  {
    name: 'POST Object: a policy signed with the wrong secret is SignatureDoesNotMatch; no key field is InvalidArgument',
    motoDiffers: 'moto does not verify the signature of a POST policy',
    async run({ s3, endpoint }) {
      const Bucket = await newBucket(s3, 'post-sig');
      const later = new Date(Date.now() + 300_000);
      const bad = await postTo(
        endpoint,
        Bucket,
        form(
          { key: 'k', ...signedFields([{ bucket: Bucket }, ['starts-with', '$key', '']], later, 'wrong') },
          'x',
        ),
      );
      expect(bad.status).toBe(403);
      expect(errorCode(await bad.text())).toBe('SignatureDoesNotMatch');
      const noKey = await postTo(endpoint, Bucket, form(signedFields([{ bucket: Bucket }], later), 'x'));
      expect(noKey.status).toBe(400);
      expect(errorCode(await noKey.text())).toBe('InvalidArgument');
    },
  },
];
