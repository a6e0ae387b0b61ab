// The strongest check of the certificate profile: upstream's own Go control-plane binaries (the
// same pkg/security client code daprd runs) obtain their identity from our sentry, authorize it
// by its SPIFFE ID, and only then report healthy.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { type CoreV1Api } from '@kubernetes/client-node';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { certificatesFromPem, encodeCertificates } from '../../../kit/x509/pem.js';
import { buildX509Check, type X509Check } from '../../harness/x509check.js';
import { daprBinDir } from '../../deps/paths.js';
import { startTestCluster, type TestCluster } from '../../cluster/cluster.js';
import { ManagedProcess, runId } from '../../../kit/testing/managed-process.js';
import { freePorts } from '../../harness/ports.js';
import {
  coreApi,
  createDaprSystemConfiguration,
  ensureNamespace,
  installDaprCrds,
} from '../../harness/kube-objects.js';
import {
  controlPlaneTokenFile,
  type RunningSentry,
  SKIP_UID_CHECK,
  startSentry,
  trustBundle,
} from '../../harness/sentry-in-cluster.js';
import { metricValue, scrape } from '../../harness/service-probes.js';
import { portFlags, waitHealthy } from '../../../kit/testing/service-binary.js';

const NS = 'dapr-system';

/** daprsystem's mTLS settings, which our sentry reads at startup. */
const WORKLOAD_CERT_TTL_HOURS = 2;

function upstreamBinary(name: 'placement' | 'operator'): string {
  return join(daprBinDir(), name);
}

/** The chain a TLS server presents (it is sent before the server asks for a client certificate). */
async function servedChain(port: number): Promise<Buffer> {
  const { stdout } = await promisify(execFile)('sh', [
    '-c',
    `openssl s_client -connect 127.0.0.1:${port} -alpn h2 -showcerts </dev/null 2>/dev/null || true`,
  ]);
  const chain = certificatesFromPem(stdout);
  if (chain.length === 0) throw new Error(`no certificate from 127.0.0.1:${port}`);
  return encodeCertificates(chain);
}

/** Reads "cert expires on: <time>" from a Dapr service's log. */
function certificateExpiry(log: string): number {
  const match = /cert expires on: (\d{4}-\d\d-\d\d \d\d:\d\d:\d\d)/.exec(log);
  if (match?.[1] === undefined) throw new Error(`no certificate expiry in the log:\n${log}`);
  return Date.parse(`${match[1].replace(' ', 'T')}Z`);
}

describe('upstream Go control-plane services take their identity from our sentry', () => {
  let cluster: TestCluster;
  let core: CoreV1Api;
  let dir: string;
  let sentry: RunningSentry;
  let x509: X509Check;
  const processes: ManagedProcess[] = [];

  /** Verifies a served chain as daprd's go-spiffe client does, for the expected identity. */
  async function verifyServed(port: number, id: string, anchors: string): Promise<Record<string, unknown>> {
    const files = x509.files({ 'chain.pem': await servedChain(port), 'roots.pem': readFileSync(anchors) });
    return x509.run(['verify', '-chain', files['chain.pem']!, '-roots', files['roots.pem']!, '-id', id]);
  }

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), `dapr-ts-${runId}-sentry-upstream-`));
    [cluster, x509] = await Promise.all([startTestCluster(), buildX509Check(dir)]);
    core = coreApi(cluster);
    await ensureNamespace(core, NS);
    await installDaprCrds(cluster);
    const [port = 0, healthzPort = 0, metricsPort = 0] = await freePorts(3);
    await createDaprSystemConfiguration(cluster, NS, {
      sentryAddress: `127.0.0.1:${port}`,
      workloadCertTTL: `${WORKLOAD_CERT_TTL_HOURS}h`,
      allowedClockSkew: '1m',
    });
    sentry = await startSentry({
      cluster,
      dir,
      name: 'sentry',
      namespace: NS,
      ports: { port, healthzPort, metricsPort },
    });
  }, 240_000);

  afterAll(async () => {
    for (const p of processes.reverse()) await p.stop();
    await sentry?.proc.stop();
    x509?.dispose();
    await cluster?.stop();
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  }, 60_000);

  /** A control-plane Pod object and a token bound to it, as the chart's projected volume holds. */
  const controlPlaneToken = (service: string, serviceAccount: string): Promise<string> =>
    controlPlaneTokenFile(core, dir, { namespace: NS, service, serviceAccount });

  const trustAnchorsFile = async (): Promise<string> => (await trustBundle(core, NS, dir)).anchorsFile;

  it('placement (--tls-enabled, Kubernetes mode) gets a certificate and becomes healthy', async () => {
    const tokenFile = await controlPlaneToken('placement', 'dapr-placement');
    const anchors = await trustAnchorsFile();
    const [port = 0, healthzPort = 0, metricsPort = 0, raftPort = 0] = await freePorts(4);
    const before = metricValue(await scrape(sentry.metricsPort), 'dapr_sentry_cert_sign_success_total');
    const placement = await ManagedProcess.start({
      name: 'upstream-placement',
      command: upstreamBinary('placement'),
      args: [
        '--mode',
        'kubernetes',
        '--tls-enabled',
        '--trust-domain',
        'cluster.local',
        '--sentry-address',
        sentry.address,
        '--trust-anchors-file',
        anchors,
        ...portFlags({ port, healthzPort, metricsPort }),
        '--initial-cluster',
        `dapr-placement-0=127.0.0.1:${raftPort}`,
      ],
      env: { NAMESPACE: NS, DAPR_SENTRY_TOKEN_FILE: tokenFile, ...SKIP_UID_CHECK },
      logFile: join(dir, 'placement.log'),
    });
    processes.push(placement);
    await waitHealthy(placement, healthzPort, 'upstream placement to become healthy', 60_000);
    const after = metricValue(await scrape(sentry.metricsPort), 'dapr_sentry_cert_sign_success_total');
    expect(after).toBe(before + 1);
    const log = placement.logTail(200);
    expect(log).toContain('Security is initialized successfully');
    // The daprsystem Configuration's workloadCertTTL reached the certificate.
    const ttlMs = certificateExpiry(log) - Date.now();
    expect(Math.abs(ttlMs - WORKLOAD_CERT_TTL_HOURS * 3_600_000)).toBeLessThan(60_000);
    expect(sentry.proc.logTail(200)).toContain('Using Configuration dapr-system/daprsystem');
    // What daprd would see when it dials placement: our leaf, chaining to the anchors.
    const served = await verifyServed(port, 'spiffe://cluster.local/ns/dapr-system/dapr-placement', anchors);
    expect(served).toMatchObject({ publicKeyAlgorithm: 'Ed25519', dnsNames: [] });
  });

  it('operator (RSA key, webhook DNS name) gets a certificate and becomes healthy', async () => {
    const tokenFile = await controlPlaneToken('operator', 'dapr-operator');
    const anchors = await trustAnchorsFile();
    const [port = 0, healthzPort = 0, metricsPort = 0, webhookPort = 0] = await freePorts(4);
    const before = metricValue(await scrape(sentry.metricsPort), 'dapr_sentry_cert_sign_success_total');
    const operator = await ManagedProcess.start({
      name: 'upstream-operator',
      command: upstreamBinary('operator'),
      args: [
        '--trust-anchors-file',
        anchors,
        ...portFlags({ port, healthzPort, metricsPort }),
        '--webhook-server-port',
        String(webhookPort),
        '--disable-leader-election',
      ],
      env: {
        NAMESPACE: NS,
        KUBECONFIG: cluster.kubeconfigPath,
        DAPR_SENTRY_TOKEN_FILE: tokenFile,
        ENABLE_WEBHOOKS: 'false',
        ...SKIP_UID_CHECK,
      },
      logFile: join(dir, 'operator.log'),
    });
    processes.push(operator);
    await waitHealthy(operator, healthzPort, 'upstream operator to become healthy', 90_000);
    const after = metricValue(await scrape(sentry.metricsPort), 'dapr_sentry_cert_sign_success_total');
    expect(after).toBe(before + 1);
    expect(operator.logTail(400)).toContain('Security is initialized successfully');
    // The operator's API server (daprd's peer) serves our RSA leaf with the webhook DNS name.
    const served = await verifyServed(port, 'spiffe://cluster.local/ns/dapr-system/dapr-operator', anchors);
    expect(served).toMatchObject({ publicKeyAlgorithm: 'RSA', dnsNames: ['dapr-webhook.dapr-system.svc'] });
  });
});
