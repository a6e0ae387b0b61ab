// Test helper: a complete sentry gRPC stack on 127.0.0.1 (random port) with a generated CA.
import { generateBundle, type X509Bundle } from '../../ca/bundle.js';
import { CertificateAuthority } from '../../ca/ca.js';
import type { SentryMetrics } from '../../metrics.js';
import { TokenValidator } from '../../../kit/proto/sentry.js';
import { InsecureValidator } from '../../validator/insecure/insecure.js';
import type { Validator } from '../../validator/validator.js';
import { SentryServer } from '../server.js';
import { ServingCertificate } from '../serving-cert.js';
import { SignService } from '../sign.js';

export interface RecordedMetrics extends SentryMetrics {
  readonly events: string[];
}

export function recordingMetrics(): RecordedMetrics {
  const events: string[] = [];
  return {
    events,
    certSignRequestReceived: () => events.push('received'),
    certSignSucceeded: () => events.push('succeeded'),
    certSignFailed: (reason) => events.push(`failed:${reason}`),
    serverCertIssueFailed: () => events.push('serverCertIssueFailed'),
    issuerCertChanged: () => events.push('issuerCertChanged'),
    issuerCertExpiry: () => events.push('issuerCertExpiry'),
  };
}

export interface TestSentryOptions {
  readonly trustDomain?: string;
  readonly namespace?: string;
  readonly workloadCertTtlMs?: number;
  readonly allowedClockSkewMs?: number;
  readonly validators?: ReadonlyMap<number, Validator>;
  readonly defaultValidator?: number;
  readonly bundle?: X509Bundle;
}

export interface TestSentry {
  readonly port: number;
  readonly address: string;
  readonly bundle: X509Bundle;
  readonly sentryId: string;
  readonly metrics: RecordedMetrics;
  readonly serving: ServingCertificate;
  stop(): Promise<void>;
}

export async function startTestSentry(options: TestSentryOptions = {}): Promise<TestSentry> {
  const trustDomain = options.trustDomain ?? 'cluster.local';
  const namespace = options.namespace ?? 'dapr-system';
  const allowedClockSkewMs = options.allowedClockSkewMs ?? 15 * 60_000;
  const bundle =
    options.bundle ?? generateBundle({ trustDomain, controlPlaneNamespace: namespace, allowedClockSkewMs });
  const ca = new CertificateAuthority({
    bundle,
    workloadCertTtlMs: options.workloadCertTtlMs ?? 24 * 3_600_000,
    allowedClockSkewMs,
  });
  const metrics = recordingMetrics();
  const serving = new ServingCertificate({
    ca: () => ca,
    trustDomain,
    namespace,
    onIssueFailed: () => metrics.serverCertIssueFailed(),
  });
  const service = new SignService({
    validators: options.validators ?? new Map([[TokenValidator.INSECURE, new InsecureValidator()]]),
    defaultValidator: options.defaultValidator ?? TokenValidator.INSECURE,
    ca: () => ca,
    controlPlaneNamespace: namespace,
    clusterDomain: trustDomain,
  });
  const stop = new AbortController();
  let resolvePort: (port: number) => void = () => undefined;
  const listening = new Promise<number>((resolve) => (resolvePort = resolve));
  const server = new SentryServer({
    port: 0,
    listenAddress: '127.0.0.1',
    sign: (req) => service.sign(req),
    identity: serving,
    metrics,
    onListening: resolvePort,
    shutdownGraceMs: 1_000,
  });
  const servingRun = serving.run(stop.signal);
  const serverRun = server.run(stop.signal);
  const port = await Promise.race([
    listening,
    serverRun.then(() => Promise.reject(new Error('server stopped'))),
  ]);
  return {
    port,
    address: `127.0.0.1:${port}`,
    bundle,
    sentryId: `spiffe://${trustDomain}/ns/${namespace}/dapr-sentry`,
    metrics,
    serving,
    stop: async () => {
      stop.abort();
      await Promise.all([servingRun, serverRun]);
    },
  };
}
