// The HTTP side of POST /mutate (docs/contracts/injector-and-chart.md §1.2): method, path, Content-Type and
// body-size checks, then one decision per AdmissionReview, counted and logged as upstream does.
// Every refusal carries a plain-text reason; nothing a client sends can stop the process.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from '../../kit/logger.js';
import type { InjectorMetrics } from '../metrics.js';
import type { AdmissionDecision } from '../patcher/admission.js';
import {
  decodeAdmissionReview,
  encodeAdmissionResponse,
  type AdmissionRequestFacts,
} from './admission-review.js';

export const MUTATE_PATH = '/mutate';
export const JSON_CONTENT_TYPE = 'application/json';
/**
 * The apiserver caps request bodies at 3 MiB (etcd's object limit is 1.5 MiB), so a Pod review
 * never comes close; anything larger is refused before it is buffered.
 */
export const DEFAULT_MAX_BODY_BYTES = 6 * 1024 * 1024;

export interface Mutation {
  readonly decision: AdmissionDecision;
  /** For logs and metric labels: the app-id annotation, else the pod name (may be ""). */
  readonly appId: string;
  readonly warnings: readonly string[];
}

export type Mutator = (request: AdmissionRequestFacts) => Mutation;

export interface WebhookHandlerOptions {
  readonly mutate: Mutator;
  readonly metrics: InjectorMetrics;
  readonly log: Logger;
  readonly maxBodyBytes?: number;
  /** Told every decision after the answer is sent (the decline Events); must not block. */
  readonly decided?: (request: AdmissionRequestFacts, decision: AdmissionDecision) => void;
}

function pathOf(url: string | undefined): string {
  const u = url ?? '/';
  const q = u.indexOf('?');
  return q < 0 ? u : u.slice(0, q);
}

function reply(
  res: ServerResponse,
  status: number,
  text: string,
  headers: Record<string, string> = {},
): void {
  res.writeHead(status, {
    'Content-Type': 'text/plain; charset=utf-8',
    'X-Content-Type-Options': 'nosniff',
    ...headers,
  });
  res.end(`${text}\n`);
}

/** Go's mime check: the media type without parameters, compared exactly (as upstream does). */
function hasJsonContentType(req: IncomingMessage): boolean {
  return req.headers['content-type'] === JSON_CONTENT_TYPE;
}

/** Reads the body up to `limit` bytes; resolves undefined (and stops reading) when it is larger. */
function readBody(req: IncomingMessage, limit: number): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length'] ?? '0');
    if (declared > limit) {
      req.resume();
      resolve(undefined);
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        req.removeAllListeners('data');
        req.resume();
        resolve(undefined);
        return;
      }
      chunks.push(chunk);
    });
    req.once('end', () => resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size)));
    req.once('error', reject);
  });
}

export function webhookHandler(
  options: WebhookHandlerOptions,
): (req: IncomingMessage, res: ServerResponse) => void {
  const { metrics, log } = options;
  const limit = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;

  function respond(res: ServerResponse, request: AdmissionRequestFacts, m: Mutation): void {
    const { decision, appId } = m;
    for (const warning of m.warnings) log.warn(`app '${appId}': ${warning}`);
    const body = encodeAdmissionResponse(request, decision);
    res.writeHead(200, { 'Content-Type': JSON_CONTENT_TYPE, 'Content-Length': Buffer.byteLength(body) });
    res.end(body);
    options.decided?.(request, decision);
    switch (decision.kind) {
      case 'patch':
        log.info(`Sidecar injector succeeded injection for app '${appId}'`);
        metrics.injectionSucceeded(appId);
        return;
      case 'deny':
        log.error(`Sidecar injector failed to inject for app '${appId}'. Error: ${decision.message}`);
        metrics.injectionFailed(appId, 'patch');
        return;
      case 'allow':
        if (decision.failureReason !== undefined) {
          log.error(`Sidecar injector did not inject app '${appId}': ${decision.reason}`);
          metrics.injectionFailed(appId, 'pod_patch');
        }
        return;
    }
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (pathOf(req.url) !== MUTATE_PATH) return reply(res, 404, '404 page not found');
    metrics.injectionRequest();
    if (req.method !== 'POST') return reply(res, 405, 'only POST is allowed on /mutate', { Allow: 'POST' });
    if (!hasJsonContentType(req)) {
      const got = req.headers['content-type'] ?? '';
      log.error(`Content-Type=${got}, expect ${JSON_CONTENT_TYPE}`);
      return reply(res, 415, `invalid Content-Type, expected \`${JSON_CONTENT_TYPE}\``);
    }
    const body = await readBody(req, limit);
    if (body === undefined) {
      log.error(`Request body larger than ${limit} bytes refused`);
      // The rest of the body is read and dropped (not buffered), so the client sees the answer
      // instead of a reset; the server's request timeout bounds how long that may take.
      return reply(res, 413, `request body too large: the limit is ${limit} bytes`);
    }
    if (body.length === 0) {
      log.error('Empty body');
      return reply(res, 400, 'empty body');
    }
    const decoded = decodeAdmissionReview(body);
    if (!decoded.ok) {
      log.error(`Can't decode body: ${decoded.message}`);
      // Upstream counts an undecodable review as a failed injection (reason "patch").
      metrics.injectionFailed('', 'patch');
      return reply(res, 400, decoded.message);
    }
    respond(res, decoded.request, options.mutate(decoded.request));
  }

  return (req, res) => {
    handle(req, res).catch((err: unknown) => {
      // A bug or a broken connection: answer if still possible, never crash the server.
      const reason = err instanceof Error ? err.message : String(err);
      log.error(`Sidecar injector failed to answer a request: ${reason}`);
      metrics.injectionFailed('', 'response');
      if (!res.headersSent) reply(res, 500, `internal error: ${reason}`);
      else res.destroy();
    });
  };
}
