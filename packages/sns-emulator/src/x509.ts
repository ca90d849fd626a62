import { type KeyObject, randomBytes, sign } from 'node:crypto';
import { AsnConvert, OctetString } from '@peculiar/asn1-schema';
import {
  AlgorithmIdentifier,
  AttributeTypeAndValue,
  AttributeValue,
  BasicConstraints,
  Certificate,
  Extension,
  Extensions,
  id_ce_basicConstraints,
  id_ce_keyUsage,
  KeyUsage,
  KeyUsageFlags,
  Name,
  RelativeDistinguishedName,
  SubjectPublicKeyInfo,
  TBSCertificate,
  Validity,
  Version,
} from '@peculiar/asn1-x509';

/**
 * A self-signed X.509 v3 certificate for an RSA key. Message verifiers fetch it from SigningCertURL
 * and check message signatures with its public key. The structure is encoded by @peculiar/asn1-x509
 * (the RFC 5280 schemas under @peculiar/x509) and signed with node:crypto. @peculiar/x509 and
 * selfsigned (v5) would build it too, but only asynchronously (WebCrypto), and the SNS service is
 * created synchronously; the schemas encode synchronously.
 */

const ID_AT_COMMON_NAME = '2.5.4.3';
const SHA256_WITH_RSA = '1.2.840.113549.1.1.11';

const name = (commonName: string): Name =>
  new Name([
    new RelativeDistinguishedName([
      new AttributeTypeAndValue({
        type: ID_AT_COMMON_NAME,
        value: new AttributeValue({ utf8String: commonName }),
      }),
    ]),
  ]);

/** AlgorithmIdentifier with explicit NULL parameters, as RFC 4055 has it for sha256WithRSAEncryption. */
const sha256WithRsa = () =>
  new AlgorithmIdentifier({ algorithm: SHA256_WITH_RSA, parameters: new Uint8Array([0x05, 0x00]).buffer });

const extension = (extnID: string, value: object): Extension =>
  new Extension({ extnID, critical: true, extnValue: new OctetString(AsnConvert.serialize(value)) });

export interface CertificateOptions {
  commonName: string;
  notBefore: Date;
  notAfter: Date;
}

/** Returns the PEM of a certificate for `publicKey`, signed by `privateKey` (its own pair). */
export function selfSignedCertificate(
  privateKey: KeyObject,
  publicKey: KeyObject,
  options: CertificateOptions,
): string {
  // A positive serial of 16 random bytes (RFC 5280 4.1.2.2: at most 20 octets, non-negative).
  const serial = randomBytes(16);
  serial[0] = (serial[0] ?? 0) & 0x7f || 0x01;
  const tbsCertificate = new TBSCertificate({
    version: Version.v3,
    serialNumber: new Uint8Array(serial).buffer,
    signature: sha256WithRsa(),
    issuer: name(options.commonName),
    validity: new Validity({ notBefore: options.notBefore, notAfter: options.notAfter }),
    subject: name(options.commonName),
    subjectPublicKeyInfo: AsnConvert.parse(
      publicKey.export({ type: 'spki', format: 'der' }),
      SubjectPublicKeyInfo,
    ),
    extensions: new Extensions([
      extension(id_ce_basicConstraints, new BasicConstraints({ cA: false })),
      extension(id_ce_keyUsage, new KeyUsage(KeyUsageFlags.digitalSignature)),
    ]),
  });
  const signature = sign('sha256', Buffer.from(AsnConvert.serialize(tbsCertificate)), privateKey);
  const der = AsnConvert.serialize(
    new Certificate({
      tbsCertificate,
      signatureAlgorithm: sha256WithRsa(),
      signatureValue: new Uint8Array(signature).buffer,
    }),
  );
  const base64 = Buffer.from(der).toString('base64').replace(/.{64}/g, '$&\n');
  return `-----BEGIN CERTIFICATE-----\n${base64}${base64.endsWith('\n') ? '' : '\n'}-----END CERTIFICATE-----\n`;
}
