// The conversion webhook (docs/contracts/operator.md §3): HTTPS on --webhook-server-port (19443), POST
// /convert with an apiextensions.k8s.io/v1 ConversionReview, answered with a ConversionReview.
// A body that is not a review with a request gets HTTP 400; a conversion that fails is still
// HTTP 200 with result.status "Failure" (the apiserver reports the message to the user).
//
// The serving certificate is the operator's SVID (it carries the DNS SAN dapr-webhook.<ns>.svc
// that the apiserver checks). It rotates: every identity update swaps the secure context, so
// new connections get the new certificate without a restart. No client certificate is asked for.
import { jsonDepthProblem } from '../../kit/json-depth.js';
import { createServer, type Server as HttpsServer } from 'node:https';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { applyServerTimeouts, formatAddress, serveUntilAborted } from '../../kit/http-serve.js';
import type { Logger } from '../../kit/logger.js';
import { orAborted } from '../../kit/runner.js';
import { ConversionError, convertSubscription } from './subscription.js';

export const CONVERT_PATH = '/convert';
export const REVIEW_API_VERSION = 'apiextensions.k8s.io/v1';
/** The apiserver sends whole lists of objects to convert; etcd's limit per object is ~1.5 MB. */
const MAX_BODY_BYTES = 32 * 1024 * 1024;

export interface IdentityUpdate {
  readonly certificate: Buffer;
  readonly privateKey: Buffer;
}

/** Where the serving certificate comes from: the SecurityProvider implements this. */
export interface IdentitySource {
  addIdentityCertificateListener(listener: (update: IdentityUpdate | null) => void): void;
  removeIdentityCertificateListener(listener: (update: IdentityUpdate | null) => void): void;
}

interface ConversionReview {
  readonly apiVersion?: string;
  readonly kind?: string;
  readonly request?: {
    readonly uid?: string;
    readonly desiredAPIVersion?: string;
    readonly objects?: readonly unknown[];
  };
}

/** The review's response for a parsed request (pure; the HTTP layer is around it). */
export function reviewResponse(review: ConversionReview): Record<string, unknown> {
  const request = review.request!;
  const uid = request.uid ?? '';
  let response: Record<string, unknown>;
  try {
    const desired = request.desiredAPIVersion ?? '';
    const convertedObjects = (request.objects ?? []).map((o) => convertSubscription(o, desired));
    response = { uid, convertedObjects, result: { metadata: {}, status: 'Success' } };
  } catch (err) {
    const message = err instanceof ConversionError ? err.message : String(err);
    response = { uid, result: { metadata: {}, status: 'Failure', message } };
  }
  return { apiVersion: REVIEW_API_VERSION, kind: 'ConversionReview', response };
}

function readBody(req: IncomingMessage): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        resolve(undefined);
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function parseReview(body: Buffer): ConversionReview | undefined {
  try {
    const text = body.toString('utf8');
    if (jsonDepthProblem(text) !== undefined) return undefined;
    const review = JSON.parse(text) as unknown;
    if (typeof review !== 'object' || review === null) return undefined;
    const request = (review as ConversionReview).request;
    return typeof request === 'object' && request !== null ? review : undefined;
  } catch {
    return undefined;
  }
}

export interface ConversionWebhookOptions {
  readonly port: number;
  /** Empty: all interfaces. */
  readonly host: string;
  readonly identity: IdentitySource;
  readonly log: Logger;
  /** Called once the server listens (tests read the port of a `0` bind). */
  readonly onListening?: (port: number) => void;
}

export class ConversionWebhook {
  readonly #opts: ConversionWebhookOptions;

  constructor(opts: ConversionWebhookOptions) {
    this.#opts = opts;
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'https://webhook');
    if (url.pathname !== CONVERT_PATH) {
      res.writeHead(404).end();
      return;
    }
    if (req.method !== 'POST') {
      res.writeHead(405, { Allow: 'POST' }).end();
      return;
    }
    const body = await readBody(req);
    const review = body === undefined ? undefined : parseReview(body);
    if (review === undefined) {
      res.writeHead(400, { 'Content-Type': 'text/plain' }).end('invalid ConversionReview\n');
      return;
    }
    const answer = reviewResponse(review);
    const { result } = answer.response as { result: { status: string; message?: string } };
    if (result.status !== 'Success') this.#opts.log.warn(`Conversion failed: ${result.message ?? ''}`);
    else
      this.#opts.log.debug(
        `Converted ${review.request?.objects?.length ?? 0} Subscription(s) to ${review.request?.desiredAPIVersion ?? ''}`,
      );
    const text = JSON.stringify(answer);
    res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) });
    res.end(text);
  }

  /** Waits for the first certificate, then serves until `signal` aborts. */
  async run(signal: AbortSignal): Promise<void> {
    const { identity, log } = this.#opts;
    let server: HttpsServer | undefined;
    let first: (update: IdentityUpdate) => void = () => undefined;
    const firstIdentity = new Promise<IdentityUpdate>((resolve) => (first = resolve));
    const listener = (update: IdentityUpdate | null): void => {
      if (update === null) return;
      if (server === undefined) first(update);
      else {
        server.setSecureContext({ cert: update.certificate, key: update.privateKey });
        log.info('Conversion webhook certificate rotated');
      }
    };
    identity.addIdentityCertificateListener(listener);
    try {
      const initial = await orAborted(firstIdentity, signal);
      if (initial === undefined || signal.aborted) return;
      server = createServer({ cert: initial.certificate, key: initial.privateKey }, (req, res) => {
        this.#handle(req, res).catch((err: unknown) => {
          log.error({ error: err }, 'Conversion webhook request failed');
          if (!res.headersSent) res.writeHead(500).end();
        });
      });
      // https.Server has the http.Server surface serveUntilAborted uses.
      const plain = server as unknown as Server;
      applyServerTimeouts(plain);
      await serveUntilAborted(
        {
          server: plain,
          port: this.#opts.port,
          host: this.#opts.host,
          onListening: (address) => {
            log.info(`Conversion webhook server listening on ${formatAddress(address)}`);
            this.#opts.onListening?.(address.port);
          },
        },
        signal,
      );
    } finally {
      identity.removeIdentityCertificateListener(listener);
    }
  }
}
