/**
 * AWS's naming rules for the resources a config names, checked at config time so that a bad name
 * fails with the setting that holds it instead of the SDK's message at the first request. Each
 * function returns what is wrong with a name, or undefined when AWS would accept it.
 */

/** DynamoDB: 3-255 characters of `a-z A-Z 0-9 _ - .`. */
export function tableNameProblem(name: string): string | undefined {
  if (name.length < 3 || name.length > 255 || !/^[A-Za-z0-9_.-]+$/.test(name)) {
    return `a DynamoDB table name (3-255 letters, digits, "_", "-" or "."), got "${name}"`;
  }
  return undefined;
}

const RESERVED_BUCKET_PREFIXES = ['xn--', 'sthree-', 'amzn-s3-demo-'];
const RESERVED_BUCKET_SUFFIXES = ['-s3alias', '--ol-s3', '.mrap', '--x-s3', '--table-s3'];

/** S3 general purpose buckets: https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucketnamingrules.html */
export function bucketNameProblem(name: string): string | undefined {
  const expected =
    'an S3 bucket name (3-63 lowercase letters, digits, "." or "-", starting and ending with a letter or digit)';
  if (!/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(name)) return `${expected}, got "${name}"`;
  if (name.includes('..')) return `${expected} without two adjacent dots, got "${name}"`;
  if (/^\d{1,3}(\.\d{1,3}){3}$/.test(name)) return `${expected} not shaped as an IP address, got "${name}"`;
  const prefix = RESERVED_BUCKET_PREFIXES.find((p) => name.startsWith(p));
  if (prefix) return `${expected}; the prefix "${prefix}" is reserved by AWS, got "${name}"`;
  const suffix = RESERVED_BUCKET_SUFFIXES.find((s) => name.endsWith(s));
  if (suffix) return `${expected}; the suffix "${suffix}" is reserved by AWS, got "${name}"`;
  return undefined;
}

/**
 * SNS: 1-256 of `A-Z a-z 0-9 _ -`; only FIFO topics end in `.fifo`. A FIFO topic takes a
 * MessageGroupId on every publish, which per-file notifications do not have: refused with why.
 */
export function topicNameProblem(name: string): string | undefined {
  if (name.endsWith('.fifo')) {
    return `a standard SNS topic: "${name}" names a FIFO topic, which needs a MessageGroupId on every Publish and eventline's per-file notifications have none; drop the ".fifo" suffix`;
  }
  if (!/^[A-Za-z0-9_-]{1,256}$/.test(name)) {
    return `an SNS topic name (1-256 letters, digits, "_" or "-"), got "${name}"`;
  }
  return undefined;
}

/**
 * SQS: 1-80 of `A-Z a-z 0-9 _ -`. A FIFO queue cannot subscribe to eventline's standard topic (SNS
 * delivers to FIFO queues from FIFO topics only): refused with why.
 */
export function queueNameProblem(name: string): string | undefined {
  if (name.endsWith('.fifo')) {
    return `a standard SQS queue: "${name}" names a FIFO queue, and SNS delivers to FIFO queues from FIFO topics only; drop the ".fifo" suffix`;
  }
  if (!/^[A-Za-z0-9_-]{1,80}$/.test(name)) {
    return `an SQS queue name (1-80 letters, digits, "_" or "-"), got "${name}"`;
  }
  return undefined;
}
