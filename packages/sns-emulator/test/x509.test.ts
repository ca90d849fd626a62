import { generateKeyPairSync, sign, verify, X509Certificate } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { selfSignedCertificate } from '../src/x509.ts';

describe('the self-signed signing certificate', () => {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });

  it('is a v3 certificate for the key, signed by it, that is not a CA', () => {
    // Prepare / Act
    const pem = selfSignedCertificate(privateKey, publicKey, {
      commonName: 'eventline local SNS us-east-1',
      notBefore: new Date('2026-01-01T00:00:00Z'),
      notAfter: new Date('2036-01-01T00:00:00Z'),
    });
    const certificate = new X509Certificate(pem);

    // Assess
    expect(pem).toMatch(
      /^-----BEGIN CERTIFICATE-----\n([A-Za-z0-9+/=]{1,64}\n)+-----END CERTIFICATE-----\n$/,
    );
    expect(certificate.subject).toBe('CN=eventline local SNS us-east-1');
    expect(certificate.issuer).toBe(certificate.subject);
    expect(certificate.checkPrivateKey(privateKey)).toBe(true);
    expect(certificate.verify(publicKey)).toBe(true);
    expect(certificate.ca).toBe(false);
    expect(new Date(certificate.validFrom).toISOString()).toBe('2026-01-01T00:00:00.000Z');
    expect(new Date(certificate.validTo).toISOString()).toBe('2036-01-01T00:00:00.000Z');
    expect(Number.parseInt(certificate.serialNumber.slice(0, 2), 16)).toBeLessThan(0x80);
    // What a subscriber does: verify a message signature with the certificate's public key.
    const signature = sign('sha256', Buffer.from('Message\nhello\n'), privateKey);
    expect(verify('sha256', Buffer.from('Message\nhello\n'), certificate.publicKey, signature)).toBe(true);
  });

  it('encodes dates from 2050 on as GeneralizedTime (RFC 5280 4.1.2.5)', () => {
    const pem = selfSignedCertificate(privateKey, publicKey, {
      commonName: 'far',
      notBefore: new Date('2049-12-31T23:59:59Z'),
      notAfter: new Date('2060-06-01T00:00:00Z'),
    });
    const certificate = new X509Certificate(pem);

    expect(new Date(certificate.validFrom).toISOString()).toBe('2049-12-31T23:59:59.000Z');
    expect(new Date(certificate.validTo).toISOString()).toBe('2060-06-01T00:00:00.000Z');
  });

  it('gives every certificate its own serial', () => {
    const options = { commonName: 'x', notBefore: new Date(), notAfter: new Date(Date.now() + 86_400_000) };
    const serials = new Set(
      [1, 2, 3].map(
        () => new X509Certificate(selfSignedCertificate(privateKey, publicKey, options)).serialNumber,
      ),
    );
    expect(serials.size).toBe(3);
  });
});
