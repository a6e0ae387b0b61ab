// Issues JWT-SVIDs (docs/contracts/sentry.md §7 "JWT-SVIDs"): the same identity as the X.509 SVID, as a token
// signed with the JWT key. daprd checks sub, aud (it must hold the trust domain), exp and the
// algorithm family; OIDC relying parties verify them through the OIDC server's JWKS.
import { randomBytes } from 'node:crypto';
import { SignJWT } from 'jose';
import { daprSpiffeId } from '../../kit/security/spiffe.js';
import type { JwtSigningKey } from './keys.js';

export interface JwtIssuerOptions {
  readonly key: JwtSigningKey;
  /** --jwt-issuer; no `iss` claim when undefined. */
  readonly issuer?: string;
  /** nbf is back-dated by this much, like the certificates' NotBefore. */
  readonly allowedClockSkewMs: number;
  /** --jwt-ttl. */
  readonly ttlMs: number;
}

export interface JwtRequest {
  readonly trustDomain: string;
  readonly namespace: string;
  readonly appId: string;
  /** Non-empty. */
  readonly audiences: readonly string[];
}

const seconds = (ms: number): number => Math.floor(ms / 1000);

export class JwtIssuer {
  readonly #options: JwtIssuerOptions;

  constructor(options: JwtIssuerOptions) {
    this.#options = options;
  }

  get algorithm(): string {
    return this.#options.key.algorithm;
  }

  get jwksJson(): Buffer {
    return this.#options.key.jwksJson;
  }

  async issue(request: JwtRequest, now = Date.now()): Promise<string> {
    if (request.audiences.length === 0) throw new Error('audience cannot be empty');
    const { key, issuer, allowedClockSkewMs, ttlMs } = this.#options;
    const builder = new SignJWT({ use: 'sig' })
      .setProtectedHeader({ alg: key.algorithm, kid: key.kid, typ: 'JWT' })
      .setJti(randomBytes(16).toString('hex'))
      .setSubject(daprSpiffeId(request.trustDomain, request.namespace, request.appId))
      .setAudience([...request.audiences])
      .setIssuedAt(seconds(now))
      .setNotBefore(seconds(now - allowedClockSkewMs))
      .setExpirationTime(seconds(now + ttlMs));
    if (issuer !== undefined) builder.setIssuer(issuer);
    return builder.sign(key.key);
  }

  /**
   * The response's two token fields: one token for `[trustDomain, ...extra]`, and one per
   * audience in that list, each with exactly that one audience (duplicates collapse).
   */
  async issueForResponse(
    identity: Omit<JwtRequest, 'audiences'>,
    extraAudiences: readonly string[],
  ): Promise<{ jwt: string; perAudienceJwts: Map<string, string> }> {
    const audiences = [identity.trustDomain, ...extraAudiences];
    const now = Date.now();
    const jwt = await this.issue({ ...identity, audiences }, now);
    const perAudienceJwts = new Map<string, string>();
    for (const audience of audiences) {
      if (!perAudienceJwts.has(audience)) {
        perAudienceJwts.set(audience, await this.issue({ ...identity, audiences: [audience] }, now));
      }
    }
    return { jwt, perAudienceJwts };
  }
}
