/**
 * Sample data for the security-logs recipe: gzip files shaped as AWS delivers them to S3, with keys
 * in AWS's layouts: a CloudTrail log file (`{"Records":[...]}`), an ALB access log and a VPC Flow
 * Logs file (header line, default format, a NODATA row). Deterministic (seeded), so a run can be
 * checked. Run: `npx tsx examples/security-logs/generate.ts [out-dir] [records-per-file]`.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { gzipSync } from 'node:zlib';

export interface SampleFile {
  key: string;
  body: Buffer;
  /** Records a route should store from it (rows the recipe's transform drops are not counted). */
  expected: number;
}

const ACCOUNT = '123456789012';
const REGION = 'us-east-1';

/** A small seeded generator (mulberry32): the same files on every run. */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const hex = (next: () => number, n: number) =>
  Array.from({ length: n }, () => Math.floor(next() * 16).toString(16)).join('');
const pick = <T>(next: () => number, items: readonly T[]): T => items[Math.floor(next() * items.length)]!;
const ip = (next: () => number, prefix = '203.0.113') => `${prefix}.${1 + Math.floor(next() * 250)}`;

const TRAIL_EVENTS = [
  ['signin.amazonaws.com', 'ConsoleLogin', 'AwsConsoleSignIn'],
  ['sts.amazonaws.com', 'AssumeRole', 'AwsApiCall'],
  ['s3.amazonaws.com', 'GetObject', 'AwsApiCall'],
  ['iam.amazonaws.com', 'CreateAccessKey', 'AwsApiCall'],
  ['ec2.amazonaws.com', 'AuthorizeSecurityGroupIngress', 'AwsApiCall'],
] as const;

function cloudTrail(next: () => number, count: number, at: Date): SampleFile {
  const records = Array.from({ length: count }, (_, i) => {
    const [eventSource, eventName, eventType] = pick(next, TRAIL_EVENTS);
    const denied = next() < 0.1;
    const user = pick(next, ['alice', 'bob', 'ci-deployer']);
    return {
      eventVersion: '1.10',
      userIdentity: {
        type: 'IAMUser',
        principalId: `AIDA${hex(next, 16).toUpperCase()}`,
        arn: `arn:aws:iam::${ACCOUNT}:user/${user}`,
        accountId: ACCOUNT,
        accessKeyId: `AKIA${hex(next, 16).toUpperCase()}`,
        userName: user,
      },
      eventTime: new Date(at.getTime() + i * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z'),
      eventSource,
      eventName,
      awsRegion: REGION,
      sourceIPAddress: ip(next),
      userAgent: 'aws-cli/2.15.0 Python/3.11.6 Linux/6.1 exe/x86_64',
      ...(denied
        ? { errorCode: 'AccessDenied', errorMessage: 'User is not authorized to perform this action' }
        : {}),
      requestParameters: eventName === 'GetObject' ? { bucketName: 'reports', key: `q${i}.pdf` } : null,
      responseElements: null,
      requestID: hex(next, 16).toUpperCase(),
      eventID: `${hex(next, 8)}-${hex(next, 4)}-${hex(next, 4)}-${hex(next, 4)}-${hex(next, 12)}`,
      readOnly: eventName === 'GetObject',
      eventType,
      managementEvent: eventSource !== 's3.amazonaws.com',
      recipientAccountId: ACCOUNT,
      eventCategory: eventSource === 's3.amazonaws.com' ? 'Data' : 'Management',
    };
  });
  const stamp = at.toISOString().replace(/[-:]/g, '').slice(0, 13);
  const day = at.toISOString().slice(0, 10).replace(/-/g, '/');
  return {
    key: `trail/AWSLogs/${ACCOUNT}/CloudTrail/${REGION}/${day}/${ACCOUNT}_CloudTrail_${REGION}_${stamp}Z_${hex(next, 16)}.json.gz`,
    body: gzipSync(JSON.stringify({ Records: records })),
    expected: count,
  };
}

function alb(next: () => number, count: number, at: Date): SampleFile {
  const lines = Array.from({ length: count }, (_, i) => {
    const time = new Date(at.getTime() + i * 250).toISOString().replace('Z', '000Z');
    const status = pick(next, ['200', '200', '200', '301', '403', '404', '502']);
    const path = pick(next, ['/', '/login', '/api/orders', '/wp-admin/setup.php', '/.env']);
    const target = status === '502' ? '-' : `10.0.1.${10 + Math.floor(next() * 5)}:8080`;
    const agent = pick(next, [
      'Mozilla/5.0 (X11; Linux x86_64) Firefox/121.0',
      'curl/8.4.0',
      'python-requests/2.31',
    ]);
    return [
      'https',
      time,
      'app/web-prod/50dc6c495c0c9188',
      `${ip(next)}:${40000 + Math.floor(next() * 20000)}`,
      target,
      '0.000',
      status === '502' ? '-1' : (next() / 10).toFixed(3),
      '0.000',
      status,
      status === '502' ? '-' : status,
      String(200 + Math.floor(next() * 800)),
      String(500 + Math.floor(next() * 50000)),
      `"GET https://shop.example.com:443${path} HTTP/1.1"`,
      `"${agent}"`,
      'ECDHE-RSA-AES128-GCM-SHA256',
      'TLSv1.2',
      `arn:aws:elasticloadbalancing:${REGION}:${ACCOUNT}:targetgroup/web/73e2d6bc24d8a067`,
      `"Root=1-${Math.floor(at.getTime() / 1000).toString(16)}-${hex(next, 24)}"`,
      '"shop.example.com"',
      `"arn:aws:acm:${REGION}:${ACCOUNT}:certificate/12345678-1234-1234-1234-123456789012"`,
      '0',
      time,
      '"forward"',
      '"-"',
      status === '502' ? '"TargetConnectionError"' : '"-"',
      `"${target}"`,
      `"${status === '502' ? '-' : status}"`,
      '"-"',
      '"-"',
      `TID_${hex(next, 32)}`,
    ].join(' ');
  });
  const stamp = at.toISOString().replace(/[-:]/g, '').slice(0, 13);
  const day = at.toISOString().slice(0, 10).replace(/-/g, '/');
  return {
    key: `alb/AWSLogs/${ACCOUNT}/elasticloadbalancing/${REGION}/${day}/${ACCOUNT}_elasticloadbalancing_${REGION}_app.web-prod.50dc6c495c0c9188_${stamp}Z_10.0.0.5_${hex(next, 8)}.log.gz`,
    body: gzipSync(`${lines.join('\n')}\n`),
    expected: count,
  };
}

function vpcFlow(next: () => number, count: number, at: Date): SampleFile {
  const start = Math.floor(at.getTime() / 1000);
  const header =
    'version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status';
  const rows = Array.from({ length: count }, (_, i) => {
    const reject = next() < 0.2;
    const dstport = pick(next, ['22', '443', '3389', '5432']);
    return `2 ${ACCOUNT} eni-0a1b2c3d4e5f60718 ${ip(next, '198.51.100')} 10.0.0.${20 + (i % 200)} ${1024 + Math.floor(next() * 60000)} ${dstport} 6 ${1 + Math.floor(next() * 40)} ${60 + Math.floor(next() * 9000)} ${start + i} ${start + i + 60} ${reject ? 'REJECT' : 'ACCEPT'} OK`;
  });
  rows.push(`2 ${ACCOUNT} eni-0a1b2c3d4e5f60718 - - - - - - - ${start} ${start + 60} - NODATA`);
  const stamp = at.toISOString().replace(/[-:]/g, '').slice(0, 13);
  const day = at.toISOString().slice(0, 10).replace(/-/g, '/');
  return {
    key: `flows/AWSLogs/${ACCOUNT}/vpcflowlogs/${REGION}/${day}/${ACCOUNT}_vpcflowlogs_${REGION}_fl-0123456789abcdef0_${stamp}Z_${hex(next, 8)}.log.gz`,
    body: gzipSync(`${[header, ...rows].join('\n')}\n`),
    expected: count,
  };
}

/** One file of each log, `perFile` records each (the VPC file has one NODATA row more, dropped). */
export function securityLogs(perFile = 50, seed = 26, at = new Date('2026-03-01T10:00:00Z')): SampleFile[] {
  const next = random(seed);
  return [cloudTrail(next, perFile, at), alb(next, perFile, at), vpcFlow(next, perFile, at)];
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const out = process.argv[2] ?? 'sample-logs';
  const perFile = Number(process.argv[3] ?? 50);
  for (const file of securityLogs(perFile)) {
    const path = join(out, file.key);
    await mkdir(dirname(path), { recursive: true });
    await writeFile(path, file.body);
    console.log(`${path} (${file.body.length} bytes, ${file.expected} records)`);
  }
}
