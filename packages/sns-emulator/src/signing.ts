import {
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  type KeyObject,
  sign,
  X509Certificate,
} from 'node:crypto';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileDurableSync } from '@eventline/durable-file';
import { SnsStateError } from './errors.ts';
import { selfSignedCertificate } from './x509.ts';

/**
 * The key that signs every message (SignatureVersion 1 = SHA1withRSA, 2 = SHA256withRSA) and the
 * self-signed certificate served at SigningCertURL. With a data directory both are kept there, so
 * subscribers that cache the certificate by URL keep verifying across restarts.
 */
export interface Signer {
  readonly certificatePem: string;
  /** Base64 signature of `stringToSign`. */
  sign(stringToSign: string, signatureVersion: string): string;
}

const KEY_FILE = 'signing-key.pem';
const CERT_FILE = 'signing-cert.pem';
const VALIDITY_MS = 10 * 365 * 24 * 60 * 60 * 1000;
const DAY_MS = 24 * 60 * 60 * 1000;

function create(commonName: string): { privateKey: KeyObject; certificatePem: string } {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const now = Date.now();
  const certificatePem = selfSignedCertificate(privateKey, publicKey, {
    commonName,
    notBefore: new Date(now - DAY_MS),
    notAfter: new Date(now + VALIDITY_MS),
  });
  return { privateKey, certificatePem };
}

function load(dir: string): { privateKey: KeyObject; certificatePem: string } | undefined {
  let keyPem: string;
  let certificatePem: string;
  try {
    keyPem = readFileSync(join(dir, KEY_FILE), 'utf8');
    certificatePem = readFileSync(join(dir, CERT_FILE), 'utf8');
  } catch {
    return undefined;
  }
  try {
    const privateKey = createPrivateKey(keyPem);
    const certificate = new X509Certificate(certificatePem);
    const matches = certificate.checkPrivateKey(privateKey);
    const fresh = Date.parse(certificate.validTo) - Date.now() > DAY_MS;
    return matches && fresh ? { privateKey, certificatePem } : undefined;
  } catch {
    // An unreadable or mismatched pair is replaced: it only ever signed local test traffic.
    return undefined;
  }
}

function save(dir: string, privateKey: KeyObject, certificatePem: string): void {
  try {
    mkdirSync(dir, { recursive: true });
    writeFileDurableSync(join(dir, KEY_FILE), privateKey.export({ type: 'pkcs8', format: 'pem' }), {
      mode: 0o600,
    });
    writeFileDurableSync(join(dir, CERT_FILE), certificatePem);
  } catch (error) {
    throw new SnsStateError(dir, `cannot write the SNS signing key to ${dir}`, { cause: error });
  }
}

export function createSigner(options: { dataDir?: string; commonName: string }): Signer {
  let pair = options.dataDir ? load(options.dataDir) : undefined;
  if (!pair) {
    pair = create(options.commonName);
    if (options.dataDir) save(options.dataDir, pair.privateKey, pair.certificatePem);
  }
  const { privateKey, certificatePem } = pair;
  return {
    certificatePem,
    sign(stringToSign, signatureVersion) {
      const algorithm = signatureVersion === '2' ? 'sha256' : 'sha1';
      return sign(algorithm, Buffer.from(stringToSign, 'utf8'), privateKey).toString('base64');
    },
  };
}

/** The public key inside a certificate PEM (for verifiers). */
export const publicKeyOf = (certificatePem: string): KeyObject => createPublicKey(certificatePem);
