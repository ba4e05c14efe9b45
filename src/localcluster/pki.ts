// @peculiar/x509 resolves its services through tsyringe, which needs the Reflect metadata API.
import 'reflect-metadata';
import { webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';

const ALG = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' };
const DAY_MS = 24 * 3600 * 1000;

export interface KeyPairPem {
  certPem: string;
  keyPem: string;
}

function pem(der: ArrayBuffer, label: string): string {
  const lines = Buffer.from(der).toString('base64').match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join('\n')}\n-----END ${label}-----\n`;
}

async function keyPair(): Promise<webcrypto.CryptoKeyPair> {
  return (await webcrypto.subtle.generateKey(ALG, true, ['sign', 'verify'])) as webcrypto.CryptoKeyPair;
}

async function privatePem(k: webcrypto.CryptoKey): Promise<string> {
  return pem(await webcrypto.subtle.exportKey('pkcs8', k), 'PRIVATE KEY');
}

/** What a certificate is for: a server's names, or a client identity (CN user, O groups). */
export type CertRequest =
  | { kind: 'server'; commonName: string; dnsNames: string[]; ips: string[] }
  | { kind: 'client'; user: string; groups?: string[] }
  | { kind: 'both'; commonName: string; dnsNames: string[]; ips: string[] };

/** A cluster CA, generated at `cluster up` as kubeadm's init phase certs does. ECDSA P-256 keeps it fast. */
export class ClusterCa {
  #serial = 1;
  private constructor(
    readonly certPem: string,
    private readonly cert: x509.X509Certificate,
    private readonly keys: webcrypto.CryptoKeyPair,
  ) {}

  static async create(name: string): Promise<ClusterCa> {
    const keys = await keyPair();
    const now = Date.now();
    const cert = await x509.X509CertificateGenerator.createSelfSigned({
      serialNumber: '01',
      name: `CN=${name}`,
      notBefore: new Date(now - 60_000),
      notAfter: new Date(now + 365 * DAY_MS),
      keys,
      signingAlgorithm: ALG,
      extensions: [
        new x509.BasicConstraintsExtension(true, undefined, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign | x509.KeyUsageFlags.digitalSignature, true),
      ],
    });
    return new ClusterCa(cert.toString('pem') + '\n', cert, keys);
  }

  async keyPem(): Promise<string> {
    return privatePem(this.keys.privateKey as unknown as webcrypto.CryptoKey);
  }

  /** A certificate signed by this CA. */
  async issue(req: CertRequest): Promise<KeyPairPem> {
    const keys = await keyPair();
    const now = Date.now();
    const subject = req.kind === 'client' ? [`CN=${req.user}`, ...(req.groups ?? []).map((g) => `O=${g}`)].join(', ') : `CN=${req.commonName}`;
    const usages = req.kind === 'server' ? [x509.ExtendedKeyUsage.serverAuth] : req.kind === 'client' ? [x509.ExtendedKeyUsage.clientAuth] : [x509.ExtendedKeyUsage.serverAuth, x509.ExtendedKeyUsage.clientAuth];
    const extensions: x509.Extension[] = [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment, true),
      new x509.ExtendedKeyUsageExtension(usages),
    ];
    if (req.kind !== 'client') {
      extensions.push(new x509.SubjectAlternativeNameExtension([...req.dnsNames.map((value) => ({ type: 'dns' as const, value })), ...req.ips.map((value) => ({ type: 'ip' as const, value }))]));
    }
    const cert = await x509.X509CertificateGenerator.create({
      serialNumber: (++this.#serial).toString(16).padStart(2, '0'),
      subject,
      issuer: this.cert.subject,
      notBefore: new Date(now - 60_000),
      notAfter: new Date(now + 365 * DAY_MS),
      publicKey: keys.publicKey,
      signingKey: this.keys.privateKey,
      signingAlgorithm: ALG,
      extensions,
    });
    return { certPem: cert.toString('pem') + '\n', keyPem: await privatePem(keys.privateKey as unknown as webcrypto.CryptoKey) };
  }
}

/** The service-account token signing key pair (kube-apiserver --service-account-signing-key-file / --service-account-key-file). */
export async function serviceAccountKeys(): Promise<{ privatePem: string; publicPem: string }> {
  const keys = await keyPair();
  return {
    privatePem: await privatePem(keys.privateKey as unknown as webcrypto.CryptoKey),
    publicPem: pem(await webcrypto.subtle.exportKey('spki', keys.publicKey as unknown as webcrypto.CryptoKey), 'PUBLIC KEY'),
  };
}
