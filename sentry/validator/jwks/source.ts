// Where the jwks validator's key set comes from (docs/contracts/sentry.md §4 "JWKS validator", option
// `source`): an http(s) URL (optionally trusting `caCertificate`), a file path, or the JWKS
// itself inline, as JSON or base64 of JSON. Every read is bounded in size and time.
import { readFile, stat } from 'node:fs/promises';
import type { IncomingMessage } from 'node:http';
import { get as httpGet } from '../../../kit/node-http.js';
import { get as httpsGet } from 'node:https';
import { MAX_JWKS_BYTES } from '../../jwt/keys.js';

export type JwksSource =
  | { readonly kind: 'url'; readonly url: URL }
  | { readonly kind: 'file'; readonly path: string }
  | { readonly kind: 'inline'; readonly json: string };

/** Inline JSON, base64 of inline JSON, a URL, or else a file path. */
export async function classifySource(source: string): Promise<JwksSource> {
  const trimmed = source.trim();
  if (/^https?:\/\//i.test(trimmed)) return { kind: 'url', url: new URL(trimmed) };
  if (trimmed.startsWith('{')) return { kind: 'inline', json: trimmed };
  try {
    if ((await stat(trimmed)).isFile()) return { kind: 'file', path: trimmed };
  } catch {
    // not a file: maybe base64
  }
  const decoded = Buffer.from(trimmed, 'base64').toString('utf8').trim();
  if (decoded.startsWith('{')) return { kind: 'inline', json: decoded };
  throw new Error('the jwks source is neither a URL, an existing file, nor an inline (or base64) JWKS');
}

export interface FetchOptions {
  /** PEM to trust for an https URL (in addition to nothing: it replaces the system roots). */
  readonly caCertificate?: string;
  readonly timeoutMs: number;
  readonly signal: AbortSignal;
}

function readBounded(res: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    res.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_JWKS_BYTES) {
        res.destroy(new Error(`the JWKS response is larger than ${MAX_JWKS_BYTES} bytes`));
        return;
      }
      chunks.push(chunk);
    });
    res.on('error', reject);
    res.on('end', () => resolve(Buffer.concat(chunks)));
  });
}

function fetchUrl(url: URL, options: FetchOptions): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const common = { timeout: options.timeoutMs, signal: options.signal };
    const onResponse = (res: IncomingMessage): void => {
      if (res.statusCode !== 200) {
        res.resume();
        reject(new Error(`fetching the JWKS from ${url.toString()}: HTTP ${res.statusCode ?? '?'}`));
        return;
      }
      readBounded(res).then(resolve, reject);
    };
    const req =
      url.protocol === 'https:'
        ? httpsGet(
            url,
            { ...common, ...(options.caCertificate ? { ca: options.caCertificate } : {}) },
            onResponse,
          )
        : httpGet(url, common, onResponse);
    req.on('timeout', () => req.destroy(new Error(`fetching the JWKS from ${url.toString()} timed out`)));
    req.on('error', reject);
  });
}

/** The JWKS document's bytes, from wherever the source points. */
export async function readSource(source: JwksSource, options: FetchOptions): Promise<Buffer> {
  switch (source.kind) {
    case 'inline':
      return Buffer.from(source.json);
    case 'file': {
      const data = await readFile(source.path);
      if (data.length > MAX_JWKS_BYTES)
        throw new Error(`${source.path} is larger than ${MAX_JWKS_BYTES} bytes`);
      return data;
    }
    case 'url':
      return fetchUrl(source.url, options);
  }
}
