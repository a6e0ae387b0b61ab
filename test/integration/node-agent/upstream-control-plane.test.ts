// The upstream Go control plane (Dapr v1.18.3 sentry, placement, operator) installed as pods
// in dapr-system and run by the node agent: sentry generates the trust bundle, placement and
// operator get their certificates from it with projected tokens (and become healthy only
// then); a pod with the real daprd 1.18.3 beside its app gets its certificate from that sentry,
// its components from that operator, and becomes Ready: the reference our control plane is
// compared against.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { V1ConfigMap, V1Pod, V1PodList, V1Secret } from '@kubernetes/client-node';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { X509Certificate } from 'node:crypto';
import { connect as tlsConnect } from 'node:tls';
import { daprBinDir, repoRoot } from '../../deps/paths.js';
import { startTestEnvironment, type TestEnvironment } from '../../harness/environment.js';
import { waitFor } from '../../../kit/testing/wait.js';
import { cmd } from '../../node-agent/cmd.js';
import { isPodReady } from '../../harness/pods.js';

const DAPR_DIR = daprBinDir();
const DAPRD = join(DAPR_DIR, 'daprd');
const fixture = (name: string): string =>
  readFileSync(join(repoRoot, 'test', 'fixtures', 'upstream-control-plane', name), 'utf8');
const haveBinaries = ['sentry', 'placement', 'operator', 'daprd'].every((b) => existsSync(join(DAPR_DIR, b)));

let env: TestEnvironment;
const get = <T>(path: string): Promise<T> => env.agent.client.get<T>(path);
async function readyPod(app: string, timeoutMs = 90_000): Promise<V1Pod> {
  return waitFor(
    async () => {
      const pods = (await get<V1PodList>(`/api/v1/namespaces/dapr-system/pods?labelSelector=app%3D${app}`))
        .items;
      return pods.length === 1 && isPodReady(pods[0]!) ? pods[0] : undefined;
    },
    { what: `${app} to be Ready`, timeoutMs },
  ).catch((err: Error) => {
    throw new Error(`${err.message}\n${diagnostics(app)}`);
  });
}

/** The logs of every dapr-system pod of an app, for failure messages. */
const diagnostics = (app: string): string => env.logTails('dapr-system', app, 25);

/** The URI SAN of the certificate a TLS server at ip:port presents. */
function peerUriSan(ip: string, port: number): Promise<string | undefined> {
  return new Promise((ok, fail) => {
    const sock = tlsConnect({ host: ip, port, rejectUnauthorized: false, ALPNProtocols: ['h2'] }, () => {
      const san = sock.getPeerCertificate().subjectaltname;
      sock.destroy();
      ok(san);
    });
    sock.setTimeout(5000, () => sock.destroy(new Error(`TLS to ${ip}:${port} timed out`)));
    sock.on('error', fail);
  });
}

/** Runs a Node.js script inside a pod's network namespace; its stdout, or an error with its stderr. */
async function nodeInPod(netns: string, script: string, args: readonly string[]): Promise<string> {
  const r = await cmd('ip', ['netns', 'exec', netns, process.execPath, '-e', script, ...args]);
  if (r.code !== 0) throw new Error(`${args.join(' ')} from ${netns}: ${r.stderr.trim()}`);
  return r.stdout.trim();
}

/** The SANs of the certificate a TLS server presents to a client in a pod (host:port as the pod dials it). */
function peerSanFromPod(netns: string, host: string, port: number): Promise<string> {
  const script =
    'const s = require("node:tls").connect({ host: process.argv[1], port: Number(process.argv[2]), ' +
    'rejectUnauthorized: false, ALPNProtocols: ["h2"] }, () => { console.log(s.getPeerCertificate().subjectaltname); s.destroy(); });' +
    's.setTimeout(5000, () => s.destroy(new Error("timeout"))); s.on("error", (e) => { console.error(e.message); process.exit(1); });';
  return nodeInPod(netns, script, [host, String(port)]);
}

/** An HTTPS GET (no client certificate) from a pod: "HTTP <status>", or "error <message>". */
function httpsStatusFromPod(netns: string, url: string): Promise<string> {
  const script =
    'require("node:https").get(process.argv[1], { rejectUnauthorized: false, timeout: 5000 }, (r) => { console.log("HTTP " + r.statusCode); r.destroy(); })' +
    '.on("error", (e) => console.log("error " + e.message));';
  return nodeInPod(netns, script, [url]);
}

async function healthz(ip: string): Promise<number> {
  return (await fetch(`http://${ip}:8080/healthz`, { signal: AbortSignal.timeout(5000) })).status;
}

beforeAll(async () => {
  // A missing real component fails the suite loudly; it is never skipped.
  if (!haveBinaries) {
    throw new Error(
      `the upstream Go control plane or daprd is not built in ${DAPR_DIR}: run \`npm run deps\``,
    );
  }
  env = await startTestEnvironment({ agent: { backoff: { initialMs: 1000, maxMs: 5000 } } });
}, 180_000);

afterAll(async () => {
  await env?.stop();
}, 120_000);

describe('the upstream Go control plane (v1.18.3) as pods run by the node agent', () => {
  let sentryPod: V1Pod;

  it('installs the dapr.io CRDs and the daprsystem Configuration', async () => {
    await env.apply(fixture('crds.yaml'));
    await waitFor(
      async () => {
        const r = await env.kubectl([
          'wait',
          '--for=condition=Established',
          '--timeout=20s',
          'crd',
          '-l',
          'app.kubernetes.io/part-of=dapr',
        ]);
        return r.code === 0;
      },
      { what: 'the dapr.io CRDs to be established' },
    );
    await env.apply(fixture('base.yaml'));
    const cfg = await get<{ spec: { mtls: { controlPlaneTrustDomain: string } } }>(
      '/apis/dapr.io/v1alpha1/namespaces/dapr-system/configurations/daprsystem',
    );
    expect(cfg.spec.mtls.controlPlaneTrustDomain).toBe('cluster.local');
  });

  it('runs sentry, which generates the trust bundle and becomes Ready', async () => {
    const t0 = Date.now();
    await env.apply(fixture('sentry.yaml'));
    sentryPod = await readyPod('dapr-sentry');
    process.stdout.write(`[upstream] sentry Deployment → Ready: ${Date.now() - t0} ms\n`);
    expect(await healthz(sentryPod.status!.podIP!)).toBe(200);
    // Runs as the image's non-root user (no DAPR_UNSAFE_SKIP_CONTAINER_UID_GID_CHECK).
    const pid = env.agent.podInfo('dapr-system', sentryPod.metadata!.name!)!.pids['dapr-sentry']!;
    expect(readFileSync(`/proc/${pid}/status`, 'utf8')).toMatch(/^Uid:\s+65532\s+65532/m);
    expect(readFileSync(`/proc/${pid}/environ`, 'latin1')).not.toContain(
      'DAPR_UNSAFE_SKIP_CONTAINER_UID_GID_CHECK',
    );

    const secret = await get<V1Secret>('/api/v1/namespaces/dapr-system/secrets/dapr-trust-bundle');
    const cm = await get<V1ConfigMap>('/api/v1/namespaces/dapr-system/configmaps/dapr-trust-bundle');
    expect(Object.keys(secret.data ?? {}).sort()).toEqual(['ca.crt', 'issuer.crt', 'issuer.key']);
    const caPem = Buffer.from(secret.data!['ca.crt']!, 'base64').toString();
    expect(cm.data?.['ca.crt']).toBe(caPem);
    const root = new X509Certificate(caPem);
    expect(root.subject).toBe('O=cluster.local');
    const issuer = new X509Certificate(Buffer.from(secret.data!['issuer.crt']!, 'base64').toString());
    expect(issuer.verify(root.publicKey)).toBe(true);
  });

  it('runs placement and the operator, which get their certificates from sentry and become Ready', async () => {
    const t0 = Date.now();
    await env.apply(fixture('placement.yaml'));
    await env.apply(fixture('operator.yaml'));
    const [placement, operator] = await Promise.all([
      readyPod('dapr-placement-server'),
      readyPod('dapr-operator'),
    ]);
    process.stdout.write(`[upstream] placement and operator → Ready: ${Date.now() - t0} ms\n`);
    expect(placement.metadata?.name).toBe('dapr-placement-server-0');
    for (const p of [placement, operator]) expect(await healthz(p.status!.podIP!)).toBe(200);
    // Sentry signed their certificate requests (its own metric), reached through the Service
    // name and port 443 (the ClusterIP the agent's rules translate to sentry's 50001).
    const metrics = await (await fetch(`http://${sentryPod.status!.podIP}:9090/`)).text();
    const signed = Number(/^dapr_sentry_cert_sign_success_total (\S+)$/m.exec(metrics)?.[1] ?? 0);
    expect(signed).toBeGreaterThanOrEqual(2);
    const opNetns = env.agent.podInfo('dapr-system', operator.metadata!.name!)!.netns!;
    expect(await peerSanFromPod(opNetns, 'dapr-sentry.dapr-system.svc.cluster.local', 443)).toBe(
      'URI:spiffe://cluster.local/ns/dapr-system/dapr-sentry',
    );
    expect(await peerUriSan(placement.status!.podIP!, 50005)).toBe(
      'URI:spiffe://cluster.local/ns/dapr-system/dapr-placement',
    );
    // The StatefulSet pod's own name (hostname.subdomain) resolves in the other pods.
    expect(readFileSync(`/etc/netns/${opNetns}/hosts`, 'utf8')).toContain(
      `${placement.status!.podIP}\tdapr-placement-server-0.dapr-placement-server.dapr-system.svc.cluster.local`,
    );
    // dapr-api:443 → 6500 and dapr-webhook:443 → 19443 select the same pod: each Service has its
    // own ClusterIP, so both work side by side.
    expect(await peerSanFromPod(opNetns, 'dapr-api.dapr-system.svc.cluster.local', 443)).toMatch(
      /URI:spiffe:\/\/cluster\.local\/ns\/dapr-system\/dapr-operator/,
    );
    // The webhook (no client certificate needed) answers HTTP; the API (mTLS) refuses a client without one.
    expect(await httpsStatusFromPod(opNetns, 'https://dapr-webhook.dapr-system.svc/')).toMatch(
      /^HTTP \d{3}$/,
    );
    expect(await httpsStatusFromPod(opNetns, 'https://dapr-api.dapr-system.svc/')).toMatch(/^error /);
    // The operator patched the Subscription CRD's conversion webhook with its namespace and the trust anchors.
    const crd = await get<{
      spec: {
        conversion: { webhook: { clientConfig: { service: { namespace: string }; caBundle: string } } };
      };
    }>('/apis/apiextensions.k8s.io/v1/customresourcedefinitions/subscriptions.dapr.io');
    expect(crd.spec.conversion.webhook.clientConfig.service.namespace).toBe('dapr-system');
    const cm = await get<V1ConfigMap>('/api/v1/namespaces/dapr-system/configmaps/dapr-trust-bundle');
    expect(Buffer.from(crd.spec.conversion.webhook.clientConfig.caBundle, 'base64').toString()).toBe(
      cm.data?.['ca.crt'],
    );
  });

  it('serves the Subscription conversion webhook to the apiserver from the operator pod', async () => {
    const body = {
      apiVersion: 'dapr.io/v1alpha1',
      kind: 'Subscription',
      metadata: { name: 'orders', namespace: 'default' },
      spec: { pubsubname: 'pubsub', topic: 'orders', route: '/orders' },
    };
    // Stored as v2alpha1: the apiserver calls the operator's webhook (at its endpoint IP, port 19443).
    await waitFor(
      async () => {
        await env.agent.client.request(
          'POST',
          '/apis/dapr.io/v1alpha1/namespaces/default/subscriptions',
          body,
        );
        return true;
      },
      { what: 'a v1alpha1 Subscription to be accepted', timeoutMs: 30_000 },
    );
    const v2 = await get<{ spec: { routes: { default: string } } }>(
      '/apis/dapr.io/v2alpha1/namespaces/default/subscriptions/orders',
    );
    expect(v2.spec.routes.default).toBe('/orders');
  });

  /** An app pod with the daprd container as the v1.18.3 injector writes it (docs/contracts/injector-and-chart.md §3). */
  async function daprdPod(name: string): Promise<string> {
    const anchors =
      (await get<V1ConfigMap>('/api/v1/namespaces/dapr-system/configmaps/dapr-trust-bundle')).data?.[
        'ca.crt'
      ] ?? '';
    const pod = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: {
        name,
        namespace: 'default',
        labels: { app: name },
        annotations: { 'dapr.io/enabled': 'true', 'dapr.io/app-id': name },
      },
      spec: {
        containers: [
          { name: 'app', image: 'dapr-ts/test-app:echo', ports: [{ containerPort: 8080 }] },
          {
            name: 'daprd',
            image: 'ghcr.io/dapr/daprd:1.18.3',
            args: [
              '/daprd',
              ...[
                '--dapr-http-port',
                '3500',
                '--dapr-grpc-port',
                '50001',
                '--dapr-internal-grpc-port',
                '50002',
              ],
              ...[
                '--dapr-listen-addresses',
                '[::1],127.0.0.1',
                '--dapr-public-port',
                '3501',
                '--app-id',
                name,
              ],
              ...[
                '--app-protocol',
                'http',
                '--log-level',
                'info',
                '--dapr-graceful-shutdown-seconds',
                '-1',
                '--mode',
                'kubernetes',
              ],
              ...['--control-plane-address', 'dapr-api.dapr-system.svc.cluster.local:443'],
              ...['--sentry-address', 'dapr-sentry.dapr-system.svc.cluster.local:443', '--app-port', '8080'],
              ...['--enable-metrics', '--metrics-port', '9090'],
              ...[
                '--placement-host-address',
                'dapr-placement-server.dapr-system.svc.cluster.local:50005',
                '--enable-mtls',
              ],
            ],
            ports: [
              { name: 'dapr-http', containerPort: 3500 },
              { name: 'dapr-grpc', containerPort: 50001 },
              { name: 'dapr-internal', containerPort: 50002 },
              { name: 'dapr-metrics', containerPort: 9090 },
            ],
            env: [
              { name: 'NAMESPACE', value: 'default' },
              { name: 'DAPR_TRUST_ANCHORS', value: anchors },
              { name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
              { name: 'DAPR_CONTROLPLANE_NAMESPACE', value: 'dapr-system' },
              { name: 'DAPR_CONTROLPLANE_TRUST_DOMAIN', value: 'cluster.local' },
            ],
            readinessProbe: {
              httpGet: { path: '/v1.0/healthz', port: 3501 },
              initialDelaySeconds: 1,
              timeoutSeconds: 1,
              periodSeconds: 1,
              failureThreshold: 5,
            },
            livenessProbe: {
              tcpSocket: { port: 3501 },
              initialDelaySeconds: 180,
              timeoutSeconds: 3,
              periodSeconds: 10,
              failureThreshold: 5,
            },
            securityContext: {
              allowPrivilegeEscalation: false,
              runAsNonRoot: true,
              readOnlyRootFilesystem: true,
            },
            volumeMounts: [
              {
                name: 'dapr-identity-token',
                mountPath: '/var/run/secrets/dapr.io/sentrytoken',
                readOnly: true,
              },
            ],
          },
        ],
        volumes: [
          {
            name: 'dapr-identity-token',
            projected: {
              defaultMode: 420,
              sources: [
                {
                  serviceAccountToken: {
                    path: 'token',
                    expirationSeconds: 7200,
                    audience: 'spiffe://cluster.local/ns/dapr-system/dapr-sentry',
                  },
                },
              ],
            },
          },
        ],
      },
    };
    await env.agent.client.request('POST', '/api/v1/namespaces/default/pods', pod);
    return name;
  }

  it('runs the real daprd beside an app: certificate from sentry, components from the operator, Ready', async () => {
    await env.apply(`apiVersion: dapr.io/v1alpha1
kind: Component
metadata:
  name: reference-store
  namespace: default
spec:
  type: state.in-memory
  version: v1
`);
    const t0 = Date.now();
    const name = await daprdPod('with-daprd');
    const pod = await waitFor(
      async () => {
        const p = await get<V1Pod>(`/api/v1/namespaces/default/pods/${name}`);
        return isPodReady(p) ? p : undefined;
      },
      { what: 'the pod with daprd to be Ready', timeoutMs: 90_000 },
    ).catch((err: Error) => {
      throw new Error(`${err.message}\n${env.logTails('default', name, 40)}\n${diagnostics('dapr-sentry')}`);
    });
    process.stdout.write(`[upstream] daprd pod created → Ready: ${Date.now() - t0} ms\n`);
    // The daprd process is the cached binary (bind-mounted where the container's user can reach
    // it), running as the image's non-root user.
    const pid = env.agent.podInfo('default', name)!.pids.daprd!;
    expect(readFileSync(`/proc/${pid}/cmdline`, 'latin1').split('\0')[0]).toMatch(/\/daprd$/);
    expect(readFileSync(`/proc/${pid}/exe`).equals(readFileSync(DAPRD))).toBe(true);
    expect(readFileSync(`/proc/${pid}/status`, 'utf8')).toMatch(/^Uid:\s+65532\s+65532/m);
    const log = env.logs('default', name, 'daprd');
    expect(log).toContain('dapr initialized. Status: Running.');
    // Its workload certificate came from this sentry, its component from this operator.
    expect(log).toMatch(/workload identity/i);
    expect(log).toMatch(/Component loaded: reference-store \(state\.in-memory\/v1\)/);
    expect(pod.status?.containerStatuses?.find((c) => c.name === 'daprd')?.ready).toBe(true);
  });
});
