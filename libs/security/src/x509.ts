import 'reflect-metadata';
import { randomBytes, webcrypto, X509Certificate as NodeX509 } from 'node:crypto';
import { isIP } from 'node:net';
import * as x509 from '@peculiar/x509';
import type {
  CertificateAndKey,
  CertificateFacts,
  CertificateToolkit,
  ServerCertificateRequest,
} from '@app/domain/ports';

// ECDSA P-256 with SHA-256: small keys made in a millisecond, accepted by every engine's OpenSSL and every client.
const KEY_ALG: webcrypto.EcKeyGenParams = { name: 'ECDSA', namedCurve: 'P-256' };
const SIGN_ALG: webcrypto.EcdsaParams = { name: 'ECDSA', hash: 'SHA-256' };
const crypto = webcrypto;
type CryptoKey = webcrypto.CryptoKey;
type CryptoKeyPair = webcrypto.CryptoKeyPair;
// The library's own types are the DOM's WebCrypto ones; Node's are the same objects under other names.
x509.cryptoProvider.set(webcrypto as never);
const dom = <T>(v: T) => v as never;

/** A positive 16-byte serial (RFC 5280: at most 20 octets, positive; random, so never reused). */
function serial(): string {
  const b = randomBytes(16);
  b[0] &= 0x7f;
  b[0] |= 0x01;
  return b.toString('hex');
}

/** A distinguished name value goes into `CN=…`: the characters RFC 4514 escapes are never in ours, refused anyway. */
function cn(name: string): string {
  if (!/^[A-Za-z0-9 ._:-]{1,64}$/.test(name)) throw new Error(`unsafe common name: ${JSON.stringify(name)}`);
  return `CN=${name}`;
}

async function keyPem(key: CryptoKey): Promise<string> {
  return x509.PemConverter.encode(await crypto.subtle.exportKey('pkcs8', key), 'PRIVATE KEY');
}

async function importSigningKey(pem: string): Promise<CryptoKey> {
  return crypto.subtle.importKey('pkcs8', x509.PemConverter.decodeFirst(pem), KEY_ALG, false, ['sign']);
}

/**
 * X.509 through @peculiar/x509 on Node's WebCrypto (maintained, typed, no native code, ECDSA); Node's own
 * X509Certificate reads certificates back and checks signatures.
 */
export class PeculiarCertificateToolkit implements CertificateToolkit {
  async createAuthority(req: { commonName: string; notBefore: Date; notAfter: Date }): Promise<CertificateAndKey> {
    const keys = (await crypto.subtle.generateKey(KEY_ALG, true, ['sign', 'verify'])) as CryptoKeyPair;
    const cert = await x509.X509CertificateGenerator.createSelfSigned({
      serialNumber: serial(),
      name: cn(req.commonName),
      notBefore: req.notBefore,
      notAfter: req.notAfter,
      signingAlgorithm: SIGN_ALG,
      keys: dom(keys),
      extensions: [
        // A CA that signs end certificates only (no intermediate below it).
        new x509.BasicConstraintsExtension(true, 0, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
        await x509.SubjectKeyIdentifierExtension.create(dom(keys.publicKey)),
      ],
    });
    return { certPem: cert.toString('pem'), keyPem: await keyPem(keys.privateKey) };
  }

  async issueServer(ca: CertificateAndKey, req: ServerCertificateRequest): Promise<CertificateAndKey> {
    const names = [
      ...req.dnsNames.map((value) => ({ type: 'dns' as const, value })),
      ...req.ipAddresses.map((value) => {
        if (!isIP(value)) throw new Error(`not an IP address: ${JSON.stringify(value)}`);
        return { type: 'ip' as const, value };
      }),
    ];
    if (!names.length) throw new Error('a server certificate needs at least one name');
    const caCert = new x509.X509Certificate(ca.certPem);
    const keys = (await crypto.subtle.generateKey(KEY_ALG, true, ['sign', 'verify'])) as CryptoKeyPair;
    const cert = await x509.X509CertificateGenerator.create({
      serialNumber: serial(),
      subject: cn(req.commonName),
      issuer: caCert.subject,
      notBefore: req.notBefore,
      notAfter: req.notAfter,
      signingAlgorithm: SIGN_ALG,
      publicKey: dom(keys.publicKey),
      signingKey: dom(await importSigningKey(ca.keyPem)),
      extensions: [
        new x509.BasicConstraintsExtension(false, undefined, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
        new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
        // Clients check the name they connect to against these (CN is not looked at any more).
        new x509.SubjectAlternativeNameExtension(names, false),
        await x509.AuthorityKeyIdentifierExtension.create(caCert.publicKey),
        await x509.SubjectKeyIdentifierExtension.create(dom(keys.publicKey)),
      ],
    });
    return { certPem: cert.toString('pem'), keyPem: await keyPem(keys.privateKey) };
  }

  describe(certPem: string): CertificateFacts {
    const c = new NodeX509(certPem);
    const dnsNames: string[] = [];
    const ipAddresses: string[] = [];
    // Node's form: `DNS:a, IP Address:10.0.0.1`; our names hold no comma.
    for (const part of (c.subjectAltName ?? '').split(', ')) {
      const m = /^(DNS|IP Address):(.+)$/.exec(part);
      if (m?.[1] === 'DNS') dnsNames.push(m[2]);
      else if (m) ipAddresses.push(m[2]);
    }
    return {
      serial: c.serialNumber,
      notBefore: new Date(c.validFrom),
      notAfter: new Date(c.validTo),
      dnsNames,
      ipAddresses,
    };
  }

  issuedBy(certPem: string, caPem: string): boolean {
    const cert = new NodeX509(certPem);
    const ca = new NodeX509(caPem);
    return cert.checkIssued(ca) && cert.verify(ca.publicKey);
  }
}
