// Real X.509 v3 certificates (RFC 5280), built synchronously: the simulator
// runs discrete events and cannot await @peculiar/x509's Promise-based
// generator, so the TBSCertificate is built with its synchronous ASN.1 layer
// (@peculiar/asn1-x509, DER through @peculiar/asn1-schema) and signed with
// node's crypto.sign. Node's X509Certificate and OpenSSL read the result.
//
// Determinism: serials, names, dates and keys follow the seed, so the signed
// part (TBSCertificate) is the same on every run; ECDSA signatures are
// randomised by node, so the signature bytes differ. Run results never hold
// certificate bytes, only verdicts.
import { createHash } from 'node:crypto';
import { AsnConvert, OctetString } from '@peculiar/asn1-schema';
import {
  AlgorithmIdentifier, AttributeTypeAndValue, AttributeValue, AuthorityKeyIdentifier, BasicConstraints,
  Certificate, Extension, Extensions, KeyIdentifier, KeyUsage, KeyUsageFlags, Name, RelativeDistinguishedName,
  SubjectKeyIdentifier, SubjectPublicKeyInfo, TBSCertificate, Validity, Version,
  id_ce_authorityKeyIdentifier, id_ce_basicConstraints, id_ce_keyUsage, id_ce_subjectKeyIdentifier,
} from '@peculiar/asn1-x509';
import { sign, type KeyPair } from './keys';

const OID = {
  commonName: '2.5.4.3',
  organization: '2.5.4.10',
  ecdsaWithSha256: '1.2.840.10045.4.3.2',
  sha256WithRsa: '1.2.840.113549.1.1.11',
};

/** A distinguished name as vmsec writes it: CN, and O when the language gives one (a tenant). */
export interface DistinguishedName { cn: string; o?: string }

export interface CertificateRequest {
  serial: Buffer;
  issuer: DistinguishedName;
  issuerKey: KeyPair;
  subject: DistinguishedName;
  /** SubjectPublicKeyInfo DER of the key being certified. */
  subjectPublicDer: Buffer;
  notBefore: Date;
  notAfter: Date;
  /** A CA certificate (basicConstraints CA:true, keyCertSign) or an end entity's. */
  ca: boolean;
}

function name(dn: DistinguishedName): Name {
  const rdn = (type: string, value: string) =>
    new RelativeDistinguishedName([new AttributeTypeAndValue({ type, value: new AttributeValue({ utf8String: value }) })]);
  const rdns = [];
  if (dn.o !== undefined) rdns.push(rdn(OID.organization, dn.o));
  rdns.push(rdn(OID.commonName, dn.cn));
  return new Name(rdns);
}

/** The signature algorithm of a key: ECDSA has no parameters, RSA a NULL (RFC 5758, RFC 4055). */
function signatureAlgorithm(key: KeyPair): AlgorithmIdentifier {
  return key.alg === 'rsa-2048'
    ? new AlgorithmIdentifier({ algorithm: OID.sha256WithRsa, parameters: null })
    : new AlgorithmIdentifier({ algorithm: OID.ecdsaWithSha256 });
}

/** Key identifier, RFC 5280 §4.2.1.2 method 1: SHA-1 of the subjectPublicKey bits. */
export function keyIdentifier(spkiDer: Buffer): Buffer {
  const spki = AsnConvert.parse(spkiDer, SubjectPublicKeyInfo);
  return createHash('sha1').update(Buffer.from(spki.subjectPublicKey)).digest();
}

function extension(id: string, critical: boolean, value: unknown): Extension {
  return new Extension({ extnID: id, critical, extnValue: new OctetString(AsnConvert.serialize(value)) });
}

/** A positive DER INTEGER of 16 bytes from derived bytes (RFC 5280: at most 20 octets, positive). */
export function serialFrom(bytes: Buffer): Buffer {
  const s = Buffer.from(bytes.subarray(0, 16));
  s[0] = (s[0] & 0x3f) | 0x40; // positive, and no leading zero byte to strip
  return s;
}

/** Builds and signs one certificate; returns its DER bytes. */
export function buildCertificate(r: CertificateRequest): Buffer {
  const usage = r.ca ? KeyUsageFlags.keyCertSign | KeyUsageFlags.cRLSign : KeyUsageFlags.digitalSignature;
  const extensions = [
    extension(id_ce_basicConstraints, true, new BasicConstraints({ cA: r.ca })),
    extension(id_ce_keyUsage, true, new KeyUsage(usage)),
    extension(id_ce_subjectKeyIdentifier, false, new SubjectKeyIdentifier(keyIdentifier(r.subjectPublicDer))),
    extension(id_ce_authorityKeyIdentifier, false, new AuthorityKeyIdentifier({ keyIdentifier: new KeyIdentifier(keyIdentifier(r.issuerKey.publicDer)) })),
  ];
  const algorithm = signatureAlgorithm(r.issuerKey);
  const tbs = new TBSCertificate({
    version: Version.v3,
    serialNumber: new Uint8Array(r.serial).buffer,
    signature: algorithm,
    issuer: name(r.issuer),
    validity: new Validity({ notBefore: r.notBefore, notAfter: r.notAfter }),
    subject: name(r.subject),
    subjectPublicKeyInfo: AsnConvert.parse(r.subjectPublicDer, SubjectPublicKeyInfo),
    extensions: new Extensions(extensions),
  });
  const tbsDer = Buffer.from(AsnConvert.serialize(tbs));
  const signature = sign(r.issuerKey, tbsDer);
  const cert = new Certificate({ tbsCertificate: tbs, signatureAlgorithm: algorithm, signatureValue: new Uint8Array(signature).buffer });
  return Buffer.from(AsnConvert.serialize(cert));
}

/** PEM text of DER certificate bytes, 64 columns (RFC 7468). */
export function toPem(der: Buffer): string {
  const b64 = der.toString('base64').replace(/.{64}/g, '$&\n').replace(/\n$/, '');
  return `-----BEGIN CERTIFICATE-----\n${b64}\n-----END CERTIFICATE-----\n`;
}
