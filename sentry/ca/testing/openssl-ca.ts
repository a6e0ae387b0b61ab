// Test helper: a user-provided CA made with the openssl CLI (an independent implementation), as
// a user would make one for `dapr_sentry.tls.*` or `dapr mtls renew-certificate`.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { keyPem, privateKey, type KeyKind } from './keys.js';

export interface OpensslCa {
  readonly rootPem: Buffer;
  readonly rootKeyPem: Buffer;
  readonly issuerPem: Buffer;
  readonly issuerKeyPem: Buffer;
}

export interface OpensslCaOptions {
  /** x509v3 lines for the issuer (default: a CA allowed to sign). */
  readonly issuerExtensions?: string;
  /** Validity of both certificates, days (negative start offsets are not needed). */
  readonly days?: number;
  /** UTF8String subjects (openssl's default) unless false. */
  readonly issuerSubject?: string;
}

const CA_EXTENSIONS =
  'basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign,digitalSignature\n';

export function opensslCa(rootKind: KeyKind, issuerKind: KeyKind, options: OpensslCaOptions = {}): OpensslCa {
  const dir = mkdtempSync(join(tmpdir(), 'sentry-ca-'));
  const run = (args: string[]): void => {
    execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  };
  try {
    const rootKey = privateKey(rootKind, true);
    const issuerKey = privateKey(issuerKind, true);
    writeFileSync(join(dir, 'root.key'), keyPem(rootKey));
    writeFileSync(join(dir, 'issuer.key'), keyPem(issuerKey));
    writeFileSync(join(dir, 'ca.ext'), CA_EXTENSIONS);
    writeFileSync(join(dir, 'issuer.ext'), options.issuerExtensions ?? CA_EXTENSIONS);
    const days = String(options.days ?? 30);
    run([
      'req',
      '-x509',
      '-new',
      '-key',
      'root.key',
      '-subj',
      '/O=User Root CA',
      '-days',
      days,
      '-config',
      '/dev/null',
      '-addext',
      'basicConstraints=critical,CA:TRUE',
      '-addext',
      'keyUsage=critical,keyCertSign,cRLSign',
      '-addext',
      'subjectKeyIdentifier=hash',
      '-out',
      'root.crt',
    ]);
    run([
      'req',
      '-new',
      '-key',
      'issuer.key',
      '-subj',
      options.issuerSubject ?? '/O=User Issuer/CN=issuer',
      '-config',
      '/dev/null',
      '-out',
      'issuer.csr',
    ]);
    run([
      'x509',
      '-req',
      '-in',
      'issuer.csr',
      '-CA',
      'root.crt',
      '-CAkey',
      'root.key',
      '-CAcreateserial',
      '-days',
      days,
      '-extfile',
      'issuer.ext',
      '-out',
      'issuer.crt',
    ]);
    return {
      rootPem: readFileSync(join(dir, 'root.crt')),
      rootKeyPem: Buffer.from(keyPem(rootKey)),
      issuerPem: readFileSync(join(dir, 'issuer.crt')),
      issuerKeyPem: Buffer.from(keyPem(issuerKey)),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
