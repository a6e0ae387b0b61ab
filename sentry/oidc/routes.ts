// What the OIDC discovery server answers (docs/contracts/sentry.md §7 "OIDC server"), as a pure function of the
// request's method, path, Host and X-Forwarded-Host; oidc/server.ts puts it on HTTP(S).
//
// Host-injection protections: the allow-list (--oidc-allowed-hosts) is checked against
// X-Forwarded-Host when present, else Host, with or without a port; `*` allows every host. The
// issuer and jwks_uri are built from the request only when --jwt-issuer / --oidc-jwks-uri are not
// given, and from X-Forwarded-Host only when an explicit allow-list (not `*`) vetted it, so an
// unvetted header can never put an attacker's host into the discovery document.

export const JWKS_PATH = '/jwks.json';
export const DISCOVERY_PATH = '/.well-known/openid-configuration';

export interface OidcRoutesOptions {
  /** Served as-is at the JWKS path. */
  readonly jwksJson: Buffer;
  /** --jwt-issuer. */
  readonly issuer?: string;
  /** --oidc-jwks-uri. */
  readonly jwksUri?: string;
  /** --oidc-path-prefix. */
  readonly pathPrefix?: string;
  /** --oidc-allowed-hosts; empty allows every host. */
  readonly allowedHosts: readonly string[];
  /** The scheme of self-built URLs: https when the server has a certificate. */
  readonly tls: boolean;
  /** The JWT signing algorithm. */
  readonly algorithm: string;
}

export interface OidcRequest {
  readonly method: string;
  /** The path without the query. */
  readonly path: string;
  readonly host: string;
  readonly forwardedHost?: string;
}

export interface OidcResponse {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string | Buffer;
}

/** A host name or address with an optional port: nothing that could add a path or user info. */
const HOST_SYNTAX = /^[A-Za-z0-9.\-_]+(:\d{1,5})?$|^\[[0-9A-Fa-f:.]+\](:\d{1,5})?$/;

const JSON_HEADERS = { 'Content-Type': 'application/json', 'Cache-Control': 'public, max-age=3600' };

function text(status: number, body: string): OidcResponse {
  return {
    status,
    headers: { 'Content-Type': 'text/plain; charset=utf-8', 'X-Content-Type-Options': 'nosniff' },
    body: `${body}\n`,
  };
}

/** `/auth/` and `/auth` give `/auth`; `/` and none give no prefix. */
function normalizedPrefix(prefix: string | undefined): string {
  if (prefix === undefined || prefix === '/' || prefix === '') return '';
  const trimmed = prefix.endsWith('/') ? prefix.slice(0, -1) : prefix;
  return trimmed.startsWith('/') ? trimmed : `/${trimmed}`;
}

/** The host without its port (`[::1]:80` gives `::1`); undefined when there is no port. */
function withoutPort(host: string): string | undefined {
  const bracketed = /^\[([^\]]+)\]:\d*$/.exec(host);
  if (bracketed) return bracketed[1];
  const plain = /^([^:[\]]+):\d*$/.exec(host);
  return plain?.[1];
}

export class OidcRoutes {
  readonly #options: OidcRoutesOptions;
  readonly #jwksPath: string;
  readonly #discoveryPath: string;
  readonly #wildcard: boolean;

  constructor(options: OidcRoutesOptions) {
    this.#options = options;
    const prefix = normalizedPrefix(options.pathPrefix);
    this.#jwksPath = prefix + JWKS_PATH;
    this.#discoveryPath = prefix + DISCOVERY_PATH;
    this.#wildcard = options.allowedHosts.includes('*');
  }

  get paths(): { readonly jwks: string; readonly discovery: string } {
    return { jwks: this.#jwksPath, discovery: this.#discoveryPath };
  }

  #hostAllowed(request: OidcRequest): boolean {
    const { allowedHosts } = this.#options;
    if (allowedHosts.length === 0 || this.#wildcard) return true;
    const host =
      request.forwardedHost !== undefined && request.forwardedHost !== ''
        ? request.forwardedHost
        : request.host;
    if (allowedHosts.includes(host)) return true;
    const bare = withoutPort(host);
    return bare !== undefined && allowedHosts.includes(bare);
  }

  handle(request: OidcRequest): OidcResponse {
    const route =
      request.path === this.#jwksPath
        ? 'jwks'
        : request.path === this.#discoveryPath
          ? 'discovery'
          : undefined;
    if (route === undefined) return text(404, '404 page not found');
    if (!this.#hostAllowed(request)) return text(403, 'Forbidden: unauthorized domain');
    if (request.method !== 'GET') return text(405, 'Method not allowed');
    if (this.#options.jwksJson.length === 0) {
      return text(404, route === 'jwks' ? 'JWKS not available' : 'OIDC configuration not available');
    }
    if (route === 'jwks') return { status: 200, headers: JSON_HEADERS, body: this.#options.jwksJson };
    return this.#discovery(request);
  }

  #discovery(request: OidcRequest): OidcResponse {
    const { issuer, jwksUri, tls, algorithm, allowedHosts } = this.#options;
    let host = request.host;
    if (allowedHosts.length > 0 && !this.#wildcard && request.forwardedHost) host = request.forwardedHost;
    const scheme = tls ? 'https' : 'http';
    let requestBase: URL;
    try {
      if (!HOST_SYNTAX.test(host)) throw new Error('not a host');
      requestBase = new URL(`${scheme}://${host}`);
    } catch {
      return text(400, 'Invalid host');
    }
    const issuerUrl = issuer ?? `${scheme}://${host}`;
    let jwks = jwksUri;
    if (jwks === undefined) {
      let base = requestBase;
      try {
        base = new URL(issuerUrl);
      } catch {
        // an issuer that is not a URL: resolve against the request instead
      }
      jwks = new URL(this.#jwksPath, base).toString();
    }
    const document = {
      issuer: issuerUrl,
      jwks_uri: jwks,
      response_types_supported: ['id_token'],
      subject_types_supported: ['public'],
      id_token_signing_alg_values_supported: [algorithm],
      scopes_supported: ['openid'],
      claims_supported: ['sub', 'iss', 'aud', 'exp', 'iat', 'nbf', 'use'],
    };
    return { status: 200, headers: JSON_HEADERS, body: `${JSON.stringify(document)}\n` };
  }
}
