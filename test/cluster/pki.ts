// The test cluster's PKI: one CA, the apiserver's serving certificate, client certificates for
// the admin and the controllers, and the service-account signing key. Test-only: the project's
// sentry has its own CA code; this just stands in for what kubeadm would generate.
import 'reflect-metadata'; // @peculiar/x509's dependency injection needs it loaded first
import * as x509 from '@peculiar/x509';
import { generateKeyPairSync, randomBytes, webcrypto } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

type CryptoKey = webcrypto.CryptoKey;
type CryptoKeyPair = webcrypto.CryptoKeyPair;

const EC = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
const DAY_MS = 86_400_000;

export interface KeyPairPem {
  readonly certPem: string;
  readonly keyPem: string;
}

export interface ClusterPki {
  readonly ca: KeyPairPem;
  readonly apiserver: KeyPairPem;
  /** Client certificates by user: admin (system:masters), controller manager, scheduler. */
  readonly clients: Readonly<Record<'admin' | 'controllerManager' | 'scheduler', KeyPairPem>>;
  /** Service-account token signing key (PKCS#8) and its public key (SPKI). */
  readonly serviceAccount: { readonly privatePem: string; readonly publicPem: string };
}

export interface PkiOptions {
  /** IP addresses the apiserver is reached at (loopback is always included). */
  readonly apiserverIps: readonly string[];
  /** The first IP of the service CIDR: the `kubernetes` Service's ClusterIP. */
  readonly serviceIp: string;
}

async function keyPem(key: CryptoKey): Promise<string> {
  const der = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', key));
  return `-----BEGIN PRIVATE KEY-----\n${der
    .toString('base64')
    .replace(/(.{64})/g, '$1\n')
    .trimEnd()}\n-----END PRIVATE KEY-----\n`;
}

function serial(): string {
  // Positive, 16 bytes: the high bit cleared so DER does not read it as negative.
  const b = randomBytes(16);
  b[0] = (b[0] ?? 0) & 0x7f;
  return b.toString('hex');
}

interface Issuer {
  readonly cert: x509.X509Certificate;
  readonly keys: CryptoKeyPair;
}

async function issue(issuer: Issuer, subject: string, extensions: x509.Extension[]): Promise<KeyPairPem> {
  const keys = await webcrypto.subtle.generateKey(EC, true, ['sign', 'verify']);
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: serial(),
    subject,
    issuer: issuer.cert.subject,
    notBefore: new Date(Date.now() - 60_000),
    notAfter: new Date(Date.now() + 30 * DAY_MS),
    signingAlgorithm: EC,
    publicKey: keys.publicKey,
    signingKey: issuer.keys.privateKey,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(
        x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment,
        true,
      ),
      await x509.AuthorityKeyIdentifierExtension.create(issuer.cert),
      ...extensions,
    ],
  });
  return { certPem: cert.toString('pem') + '\n', keyPem: await keyPem(keys.privateKey) };
}

function clientCert(issuer: Issuer, cn: string, org?: string): Promise<KeyPairPem> {
  const subject = org === undefined ? `CN=${cn}` : `CN=${cn}, O=${org}`;
  return issue(issuer, subject, [new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.clientAuth])]);
}

export async function generateClusterPki(opts: PkiOptions): Promise<ClusterPki> {
  const caKeys = await webcrypto.subtle.generateKey(EC, true, ['sign', 'verify']);
  const caCert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serial(),
    name: 'CN=dapr-ts-test-cluster-ca',
    notBefore: new Date(Date.now() - 60_000),
    notAfter: new Date(Date.now() + 30 * DAY_MS),
    signingAlgorithm: EC,
    keys: caKeys,
    extensions: [
      new x509.BasicConstraintsExtension(true, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(caKeys.publicKey),
    ],
  });
  const ca: Issuer = { cert: caCert, keys: caKeys };
  const ips = [...new Set(['127.0.0.1', opts.serviceIp, ...opts.apiserverIps])];
  const dns = [
    'localhost',
    'kubernetes',
    'kubernetes.default',
    'kubernetes.default.svc',
    'kubernetes.default.svc.cluster.local',
  ];
  const apiserver = await issue(ca, 'CN=kube-apiserver', [
    new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
    new x509.SubjectAlternativeNameExtension([
      ...dns.map((value) => ({ type: 'dns' as const, value })),
      ...ips.map((value) => ({ type: 'ip' as const, value })),
    ]),
  ]);
  const sa = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return {
    ca: { certPem: caCert.toString('pem') + '\n', keyPem: await keyPem(caKeys.privateKey) },
    apiserver,
    clients: {
      admin: await clientCert(ca, 'dapr-ts-admin', 'system:masters'),
      controllerManager: await clientCert(ca, 'system:kube-controller-manager'),
      scheduler: await clientCert(ca, 'system:kube-scheduler'),
    },
    serviceAccount: {
      privatePem: sa.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
      publicPem: sa.publicKey.export({ type: 'spki', format: 'pem' }).toString(),
    },
  };
}

/** Writes a PEM pair as <dir>/<name>.crt and <dir>/<name>.key (0600); returns the two paths. */
export function writePair(dir: string, name: string, pair: KeyPairPem): { cert: string; key: string } {
  const cert = join(dir, `${name}.crt`);
  const key = join(dir, `${name}.key`);
  writeFileSync(cert, pair.certPem);
  writeFileSync(key, pair.keyPem, { mode: 0o600 });
  return { cert, key };
}
