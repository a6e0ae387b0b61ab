// Sentry in Kubernetes mode against the real test cluster (etcd, kube-apiserver, controller
// manager): the trust bundle objects, real TokenRequest tokens checked by real TokenReviews, and
// certificates fetched and verified by our Go tool acting as daprd (go-spiffe, the code daprd
// uses), across a restart and an issuer rotation.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { CoreV1Api, V1Pod } from '@kubernetes/client-node';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateBundle } from '../../../sentry/ca/bundle.js';
import { buildX509Check, type X509Check } from '../../harness/x509check.js';
import { startTestCluster, type TestCluster } from '../../cluster/cluster.js';
import { runId } from '../../../kit/testing/managed-process.js';
import { waitFor } from '../../../kit/testing/wait.js';
import {
  coreApi,
  createPod,
  ensureNamespace,
  ensureServiceAccount,
  podToken,
} from '../../harness/kube-objects.js';
import {
  type RunningSentry,
  SENTRY_AUDIENCE_LEGACY,
  sentryId,
  startSentry,
} from '../../harness/sentry-in-cluster.js';
import { metricValue, scrape } from '../../harness/service-probes.js';
import { healthz } from '../../../kit/testing/service-binary.js';

const NS = 'dapr-system';
const SENTRY_ID = sentryId(NS);

interface SignArgs {
  readonly token: string;
  readonly appId: string;
  readonly namespace: string;
  /** Trust anchors PEM the client holds (DAPR_TRUST_ANCHORS). */
  readonly roots: string;
  readonly address?: string;
  readonly sentryId?: string;
}

describe('sentry in Kubernetes mode (real apiserver, TokenReview, daprd-like client)', () => {
  let cluster: TestCluster;
  let core: CoreV1Api;
  let x509: X509Check;
  let dir: string;
  let sentry: RunningSentry;
  const pods: Record<string, V1Pod> = {};
  const counts = { received: 0, success: 0, failure: 0 };

  const readBundle = async (
    namespace = NS,
  ): Promise<{ secret: Record<string, string>; configMap: Record<string, string> }> => {
    const secret = await core.readNamespacedSecret({ namespace, name: 'dapr-trust-bundle' });
    const configMap = await core.readNamespacedConfigMap({ namespace, name: 'dapr-trust-bundle' });
    return { secret: secret.data ?? {}, configMap: configMap.data ?? {} };
  };

  /** Asks sentry for a certificate as daprd does; resolves with the issued SPIFFE ID. */
  const sign = async (args: SignArgs): Promise<string> => {
    const files = x509.files({ token: args.token, 'ca.crt': args.roots });
    counts.received++;
    try {
      const out = await x509.run([
        'sign',
        '-addr',
        args.address ?? sentry.address,
        '-roots',
        files['ca.crt']!,
        '-sentry-id',
        args.sentryId ?? SENTRY_ID,
        '-app-id',
        args.appId,
        '-namespace',
        args.namespace,
        '-token-file',
        files.token!,
        '-validator',
        'kubernetes',
      ]);
      counts.success++;
      return (out.leaf as { spiffeId: string }).spiffeId;
    } catch (err) {
      counts.failure++;
      throw err;
    }
  };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), `dapr-ts-${runId}-sentry-`));
    [cluster, x509] = await Promise.all([startTestCluster(), buildX509Check(dir)]);
    core = coreApi(cluster);
    await ensureNamespace(core, NS);
    await ensureNamespace(core, 'team-b');
    await ensureServiceAccount(core, 'default', 'default');
    await ensureServiceAccount(core, 'team-b', 'default');
    await ensureServiceAccount(core, 'default', 'other');
    pods.myapp = await createPod(core, {
      namespace: 'default',
      name: 'myapp-pod',
      serviceAccount: 'default',
      annotations: { 'dapr.io/app-id': 'myapp' },
    });
    pods.other = await createPod(core, {
      namespace: 'default',
      name: 'other-pod',
      serviceAccount: 'other',
      annotations: { 'dapr.io/app-id': 'otherapp' },
    });
    pods.teamB = await createPod(core, {
      namespace: 'team-b',
      name: 'myapp-pod',
      serviceAccount: 'default',
      annotations: { 'dapr.io/app-id': 'myapp' },
    });
    sentry = await startSentry({ cluster, dir, name: 'sentry', namespace: NS });
  }, 240_000);

  afterAll(async () => {
    await sentry?.proc.stop();
    x509?.dispose();
    await cluster?.stop();
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  }, 60_000);

  it('sentry §5: creates the dapr-trust-bundle Secret and ConfigMap with the upstream keys', async () => {
    const { secret, configMap } = await readBundle();
    expect(Object.keys(secret).sort()).toEqual(['ca.crt', 'issuer.crt', 'issuer.key']);
    expect(Object.keys(configMap)).toEqual(['ca.crt']);
    expect(Buffer.from(secret['ca.crt']!, 'base64').toString()).toBe(configMap['ca.crt']);
    expect(configMap['ca.crt']).toMatch(/^-----BEGIN CERTIFICATE-----\n/);
    expect(Buffer.from(secret['issuer.key']!, 'base64').toString()).toMatch(/^-----BEGIN PRIVATE KEY-----\n/);
    const metrics = await scrape(sentry.metricsPort);
    expect(metricValue(metrics, 'dapr_sentry_issuercert_changed_total')).toBe(1);
    const expiry = metricValue(metrics, 'dapr_sentry_issuercert_expiry_timestamp');
    expect(Math.abs(expiry - (Date.now() / 1000 + 365 * 86_400))).toBeLessThan(600);
  });

  it('sentry §4: a pod’s bound token (either audience) gets spiffe://public/ns/default/myapp', async () => {
    const roots = (await readBundle()).configMap['ca.crt']!;
    for (const audience of [SENTRY_AUDIENCE_LEGACY, SENTRY_ID]) {
      const token = await podToken(core, pods.myapp!, [audience]);
      await expect(sign({ token, appId: 'myapp', namespace: 'default', roots })).resolves.toBe(
        'spiffe://public/ns/default/myapp',
      );
    }
  });

  it('sentry §4: a pod without dapr.io/app-id is known by its name, even right after it was created', async () => {
    const pod = await createPod(core, { namespace: 'default', name: 'plain-pod', serviceAccount: 'default' });
    const token = await podToken(core, pod, [SENTRY_ID]);
    const roots = (await readBundle()).configMap['ca.crt']!;
    await expect(sign({ token, appId: 'plain-pod', namespace: 'default', roots })).resolves.toBe(
      'spiffe://public/ns/default/plain-pod',
    );
  });

  describe('refusals (PermissionDenied, no certificate)', () => {
    let roots: string;
    let myappToken: string;

    beforeAll(async () => {
      roots = (await readBundle()).configMap['ca.crt']!;
      myappToken = await podToken(core, pods.myapp!, [SENTRY_ID]);
    });

    it('a token of another service account asking for myapp', async () => {
      const token = await podToken(core, pods.other!, [SENTRY_ID]);
      await expect(sign({ token, appId: 'myapp', namespace: 'default', roots })).rejects.toThrow(
        /code = PermissionDenied desc = requested id myapp does not match the pod's id otherapp/,
      );
    });

    it('a token from another namespace asking for namespace default', async () => {
      const token = await podToken(core, pods.teamB!, [SENTRY_ID]);
      await expect(sign({ token, appId: 'myapp', namespace: 'default', roots })).rejects.toThrow(
        /code = PermissionDenied desc = requested namespace default is not the token's namespace/,
      );
    });

    it('a forged token (payload changed, signature kept)', async () => {
      const [header, payload, signature] = myappToken.split('.');
      const claims = JSON.parse(Buffer.from(payload!, 'base64url').toString()) as { sub: string };
      claims.sub = 'system:serviceaccount:default:other';
      const forged = `${header}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.${signature}`;
      await expect(sign({ token: forged, appId: 'myapp', namespace: 'default', roots })).rejects.toThrow(
        /code = PermissionDenied/,
      );
    });

    it('a token for another audience', async () => {
      const token = await podToken(core, pods.myapp!, ['someone-else']);
      await expect(sign({ token, appId: 'myapp', namespace: 'default', roots })).rejects.toThrow(
        /code = PermissionDenied/,
      );
    });

    it('an id with a dot', async () => {
      await expect(sign({ token: myappToken, appId: 'my.app', namespace: 'default', roots })).rejects.toThrow(
        /code = PermissionDenied desc = invalid request: id must not contain dots/,
      );
    });
  });

  it('observability §2: counts every request, success and failure (reason sign)', async () => {
    const metrics = await scrape(sentry.metricsPort);
    expect(counts.failure).toBeGreaterThan(0);
    expect(metricValue(metrics, 'dapr_sentry_cert_sign_request_received_total')).toBe(counts.received);
    expect(metricValue(metrics, 'dapr_sentry_cert_sign_success_total')).toBe(counts.success);
    expect(metricValue(metrics, 'dapr_sentry_cert_sign_failure_total{reason="sign"}')).toBe(counts.failure);
    expect(metrics).not.toContain('dapr_sentry_servercert_issue_failed_total{');
  });

  it('sentry §5: keeps its CA across a restart (ConfigMap unchanged, old anchors still verify)', async () => {
    const before = await readBundle();
    const ports = { port: sentry.port, healthzPort: sentry.healthzPort, metricsPort: sentry.metricsPort };
    expect(await sentry.proc.stop()).toBe(0);
    sentry = await startSentry({ cluster, dir, name: 'sentry-restarted', namespace: NS, ports });
    expect(await readBundle()).toEqual(before);
    const token = await podToken(core, pods.myapp!, [SENTRY_ID]);
    await expect(
      sign({ token, appId: 'myapp', namespace: 'default', roots: before.configMap['ca.crt']! }),
    ).resolves.toBe('spiffe://public/ns/default/myapp');
    const metrics = await scrape(sentry.metricsPort);
    expect(metricValue(metrics, 'dapr_sentry_issuercert_changed_total')).toBe(0);
  });

  it('sentry §5: picks up a rotation written to the Secret and ConfigMap, without a restart', async () => {
    const rotated = generateBundle({
      trustDomain: 'cluster.local',
      controlPlaneNamespace: NS,
      allowedClockSkewMs: 0,
    });
    const secret = await core.readNamespacedSecret({ namespace: NS, name: 'dapr-trust-bundle' });
    secret.data = {
      ...secret.data,
      'ca.crt': rotated.trustAnchorsPem.toString('base64'),
      'issuer.crt': rotated.issuerChainPem.toString('base64'),
      'issuer.key': rotated.issuerKeyPem.toString('base64'),
    };
    await core.replaceNamespacedSecret({ namespace: NS, name: 'dapr-trust-bundle', body: secret });
    const configMap = await core.readNamespacedConfigMap({ namespace: NS, name: 'dapr-trust-bundle' });
    configMap.data = { ...configMap.data, 'ca.crt': rotated.trustAnchorsPem.toString() };
    await core.replaceNamespacedConfigMap({ namespace: NS, name: 'dapr-trust-bundle', body: configMap });

    const token = await podToken(core, pods.myapp!, [SENTRY_ID]);
    const roots = rotated.trustAnchorsPem.toString();
    // The serving certificate and the issued leaf both chain to the new root once reloaded.
    const id = await waitFor(() => sign({ token, appId: 'myapp', namespace: 'default', roots }), {
      what: 'sentry to serve and sign with the rotated CA',
      timeoutMs: 30_000,
      intervalMs: 500,
    });
    expect(id).toBe('spiffe://public/ns/default/myapp');
    const metrics = await scrape(sentry.metricsPort);
    expect(metricValue(metrics, 'dapr_sentry_issuercert_changed_total')).toBeGreaterThanOrEqual(1);
    expect(sentry.proc.running).toBe(true);
  });

  it('sentry §5: uses a CA the user put in the Secret beforehand, and never replaces it', async () => {
    const userNs = 'dapr-user-ca';
    await ensureNamespace(core, userNs);
    const user = generateBundle({
      trustDomain: 'cluster.local',
      controlPlaneNamespace: userNs,
      allowedClockSkewMs: 0,
    });
    await core.createNamespacedSecret({
      namespace: userNs,
      body: {
        metadata: { name: 'dapr-trust-bundle' },
        data: {
          'ca.crt': user.trustAnchorsPem.toString('base64'),
          'issuer.crt': user.issuerChainPem.toString('base64'),
          'issuer.key': user.issuerKeyPem.toString('base64'),
        },
      },
    });
    // A ConfigMap left over from another CA: reported loudly, not "fixed" by replacing the Secret.
    const stale = generateBundle({
      trustDomain: 'cluster.local',
      controlPlaneNamespace: userNs,
      allowedClockSkewMs: 0,
    });
    await core.createNamespacedConfigMap({
      namespace: userNs,
      body: { metadata: { name: 'dapr-trust-bundle' }, data: { 'ca.crt': stale.trustAnchorsPem.toString() } },
    });
    const before = await readBundle(userNs);
    const userSentry = await startSentry({ cluster, dir, name: 'sentry-user-ca', namespace: userNs });
    try {
      expect(await readBundle(userNs)).toEqual(before);
      expect(userSentry.proc.logTail(200)).toMatch(
        /level=error msg="ConfigMap dapr-user-ca\/dapr-trust-bundle ca.crt lacks 1 of the Secret's trust anchors/,
      );
      const token = await podToken(core, pods.myapp!, [sentryId(userNs)]);
      await expect(
        sign({
          token,
          appId: 'myapp',
          namespace: 'default',
          roots: user.trustAnchorsPem.toString(),
          address: userSentry.address,
          sentryId: sentryId(userNs),
        }),
      ).resolves.toBe('spiffe://public/ns/default/myapp');
      const metrics = await scrape(userSentry.metricsPort);
      expect(metricValue(metrics, 'dapr_sentry_issuercert_changed_total')).toBe(0);
    } finally {
      await userSentry.proc.stop();
    }
  });

  it('stops cleanly on SIGTERM (exit 0)', async () => {
    expect(await sentry.proc.stop()).toBe(0);
    expect(await healthz(sentry.healthzPort)).toBe(0);
  });
});
