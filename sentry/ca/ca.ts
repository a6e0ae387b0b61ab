// The CA proper: signs workload identities with the loaded bundle's issuer. Everything constant
// per issuer (its raw subject, the AKI extension, the signer, the chain PEM) is prepared once,
// so each request costs a TBS concatenation and one signature.
import { createPublicKey } from 'node:crypto';
import { signingKey } from '../../kit/x509/algorithms.js';
import { signCertificateAsync, type Issuer } from '../../kit/x509/certificate.js';
import { encodePem } from '../../kit/x509/pem.js';
import { authorityKeyIdFor, workloadCertificate } from './profile.js';
import { subjectKeyId } from '../../kit/x509/certificate-fields.js';
import type { X509Bundle } from './bundle.js';
import { SentryError } from '../errors.js';
import { daprSpiffeId } from '../../kit/security/spiffe.js';

export interface IdentityRequest {
  /** SubjectPublicKeyInfo DER of the key to certify (from the CSR). */
  readonly spki: Buffer;
  readonly trustDomain: string;
  readonly namespace: string;
  readonly appId: string;
  readonly dnsNames: readonly string[];
}

export interface SignedIdentity {
  /** The leaf certificate DER. */
  readonly leaf: Buffer;
  /** Leaf PEM followed by the issuer chain PEM: SignCertificateResponse.workload_certificate. */
  readonly chainPem: Buffer;
  /** The leaf's NotBefore (back-dated by the clock skew). */
  readonly notBefore: Date;
  /** The leaf's NotAfter: SignCertificateResponse.valid_until. */
  readonly notAfter: Date;
}

/** What the gRPC edge and sentry's own serving certificate need from a CA. */
export interface IdentitySigner {
  /** Rejects with SentryError('sign') when the identity is not a legal SPIFFE ID. */
  signIdentity(request: IdentityRequest): Promise<SignedIdentity>;
  /** The anchors PEM: SignCertificateResponse.trust_chain_certificates[0]. */
  readonly trustAnchorsPem: Buffer;
}

export interface CertificateAuthorityOptions {
  readonly bundle: X509Bundle;
  /** daprsystem spec.mtls.workloadCertTTL. */
  readonly workloadCertTtlMs: number;
  /** daprsystem spec.mtls.allowedClockSkew: NotBefore is back-dated by it. */
  readonly allowedClockSkewMs: number;
  /** Clock, for tests. */
  readonly now?: () => number;
}

export class CertificateAuthority implements IdentitySigner {
  readonly trustAnchorsPem: Buffer;
  readonly #issuer: Issuer;
  readonly #authorityKeyId: Buffer | undefined;
  readonly #issuerChainPem: Buffer;
  readonly #options: CertificateAuthorityOptions;

  constructor(options: CertificateAuthorityOptions) {
    const issuerCert = options.bundle.issuerChain[0];
    if (issuerCert === undefined) throw new Error('bundle has no issuer certificate');
    this.#options = options;
    this.trustAnchorsPem = options.bundle.trustAnchorsPem;
    this.#issuerChainPem = options.bundle.issuerChainPem;
    this.#issuer = {
      name: issuerCert.subject, // raw bytes: Go chains on byte-equal names
      key: signingKey(options.bundle.issuerKey, createPublicKey(options.bundle.issuerKey)),
    };
    const ski = subjectKeyId(issuerCert);
    this.#authorityKeyId = ski && authorityKeyIdFor(ski);
  }

  async signIdentity(request: IdentityRequest): Promise<SignedIdentity> {
    let spiffeId: string;
    try {
      spiffeId = daprSpiffeId(request.trustDomain, request.namespace, request.appId);
    } catch (err) {
      throw new SentryError('sign', 'failed to sign certificate', { cause: err });
    }
    const parts = workloadCertificate({
      now: (this.#options.now ?? Date.now)(),
      ttlMs: this.#options.workloadCertTtlMs,
      allowedClockSkewMs: this.#options.allowedClockSkewMs,
      spki: request.spki,
      spiffeId,
      dnsNames: request.dnsNames,
      authorityKeyId: this.#authorityKeyId,
    });
    let leaf: Buffer;
    try {
      leaf = await signCertificateAsync(parts, this.#issuer);
    } catch (err) {
      throw new SentryError('sign', 'failed to sign certificate', { cause: err });
    }
    const chainPem = Buffer.concat([
      Buffer.from(encodePem('CERTIFICATE', leaf), 'ascii'),
      this.#issuerChainPem,
    ]);
    return { leaf, chainPem, notBefore: parts.notBefore, notAfter: parts.notAfter };
  }
}
