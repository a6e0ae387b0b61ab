// The image users install (npm run image: image/build.sh), run under a real OCI runtime (runc)
// against the real test cluster: each entry point the chart runs (/sentry, /placement,
// /operator, /injector) starts and answers /healthz, and /healthcheck (the chart's `helm test`)
// checks them all; every container runs as an arbitrary UID in group 0 (as OpenShift assigns)
// on a read-only root filesystem without capabilities, and sentry issues a workload certificate
// from inside its container. A missing image or runtime fails here with how to build it.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { AdmissionregistrationV1Api, type CoreV1Api } from '@kubernetes/client-node';
import { X509Certificate } from 'node:crypto';
import { lstatSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CHART_ENV } from '../../../sidecar-injector/patcher/testing/fixtures.js';
import { startTestCluster, type TestCluster } from '../../cluster/cluster.js';
import { Container, imageTag, UnpackedImage } from '../../harness/oci-runtime.js';
import { freePorts } from '../../harness/ports.js';
import { runId } from '../../../kit/testing/managed-process.js';
import { waitHealthy } from '../../../kit/testing/service-binary.js';
import { repoRoot } from '../../deps/paths.js';
import { webhookConfiguration } from '../injector/support.js';
import {
  coreApi,
  createDaprSystemConfiguration,
  ensureNamespace,
  installDaprCrds,
} from '../../harness/kube-objects.js';
import { controlPlaneTokenFile, trustBundle } from '../../harness/sentry-in-cluster.js';
import { workloadSvid } from '../../harness/workload-svid.js';

const NS = 'dapr-system';
/** An OpenShift-style UID (from a namespace's range, in no /etc/passwd) with the root group. */
const UID = 1000770000;
const GID = 0;
const KUBECONFIG = '/etc/dapr-ts-test/kubeconfig';
const TOKEN = '/var/run/secrets/dapr.io/sentrytoken/token';
const ANCHORS = '/var/run/secrets/dapr.io/tls/ca.crt';

function pemCertificates(pem: Buffer): X509Certificate[] {
  return (pem.toString().match(/-----BEGIN CERTIFICATE-----[^-]+-----END CERTIFICATE-----/g) ?? []).map(
    (block) => new X509Certificate(block),
  );
}

/** Every path under `dir` (depth first), relative to it with a leading slash. */
function walk(dir: string, prefix = ''): string[] {
  return readdirSync(join(dir, prefix), { withFileTypes: true }).flatMap((e) => {
    const path = `${prefix}/${e.name}`;
    return e.isDirectory() ? [path, ...walk(dir, path)] : [path];
  });
}

interface Service {
  readonly container: Container;
  readonly healthzPort: number;
}

describe('the dapr-ts image under runc (arbitrary UID, group 0, read-only root)', () => {
  let image: UnpackedImage;
  let cluster: TestCluster;
  let core: CoreV1Api;
  let dir: string;
  let kubeconfig: Buffer;
  let anchors: Buffer;
  let sentryPort = 0;
  const services = new Map<string, Service>();

  /** Starts `/<entry> args…` in a container and waits for its /healthz. */
  async function startService(
    entry: string,
    args: readonly string[],
    extra: { env?: Record<string, string>; files?: Record<string, Buffer>; ports?: number[] } = {},
  ): Promise<Service> {
    const [healthzPort = 0, metricsPort = 0] = extra.ports ?? (await freePorts(2));
    const container = await Container.start(image, {
      name: entry,
      dir,
      uid: UID,
      gid: GID,
      args: [
        `/${entry}`,
        ...['--healthz-port', String(healthzPort), '--metrics-port', String(metricsPort)],
        ...args,
      ],
      env: { NAMESPACE: NS, ...extra.env },
      files: { [KUBECONFIG]: kubeconfig, ...extra.files },
    });
    const service = { container, healthzPort };
    services.set(entry, service);
    await waitHealthy(container.proc, healthzPort, `${entry} in its container to answer /healthz`, 90_000);
    return service;
  }

  /** A sentry-audience token for a control-plane service's Pod, as the chart's projected volume holds it. */
  async function tokenFor(service: string, serviceAccount: string, podName: string): Promise<Buffer> {
    return readFileSync(
      await controlPlaneTokenFile(core, dir, { namespace: NS, service, serviceAccount, podName }),
    );
  }

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), `dapr-ts-${runId}-image-test-`));
    image = await UnpackedImage.unpack();
    cluster = await startTestCluster();
    core = coreApi(cluster);
    kubeconfig = readFileSync(cluster.kubeconfigPath);
    await ensureNamespace(core, NS);
    await installDaprCrds(cluster);
    [sentryPort = 0] = await freePorts(1);
    await createDaprSystemConfiguration(cluster, NS, { sentryAddress: `127.0.0.1:${sentryPort}` });
    await cluster.kubeConfig.makeApiClient(AdmissionregistrationV1Api).createMutatingWebhookConfiguration({
      body: webhookConfiguration({ namespace: NS, name: 'dapr-sidecar-injector' }),
    });
  }, 240_000);

  afterAll(async () => {
    for (const { container } of [...services.values()].reverse()) await container.stop();
    await cluster?.stop();
    image?.dispose();
    rmSync(dir, { recursive: true, force: true });
  }, 120_000);

  it('holds node, the libraries it links, the app and the licenses; no shell, no package manager', () => {
    const paths = walk(image.rootfs);
    const top = readdirSync(image.rootfs).sort();
    expect(top).toEqual(
      [
        'LICENSE',
        'all-in-one',
        'app',
        'etc',
        'healthcheck',
        'injector',
        'lib',
        'lib64',
        'licenses',
        'nodejs',
        'operator',
      ]
        .concat(['placement', 'sentry', 'tmp'])
        .sort(),
    );
    for (const tool of ['sh', 'bash', 'dash', 'busybox', 'npm', 'npx', 'corepack', 'apt', 'apt-get', 'dpkg'])
      expect(paths.filter((p) => p.endsWith(`/${tool}`) && !p.startsWith('/app/'))).toEqual([]);
    expect(paths.filter((p) => /\/(npm|npx)(-cli\.js)?$/.test(p))).toEqual([]);
    expect(readFileSync(join(image.rootfs, 'LICENSE'), 'utf8')).toBe(
      readFileSync(join(repoRoot, 'LICENSE'), 'utf8'),
    );
    expect(readFileSync(join(image.rootfs, 'etc', 'passwd'), 'utf8')).toMatch(/^nonroot:x:65532:65532:/m);
    // Production dependencies only: what package-lock.json marks as needed in production is
    // all there, nothing it marks as for development is.
    const lock = JSON.parse(readFileSync(join(repoRoot, 'package-lock.json'), 'utf8')) as {
      packages: Record<string, { dev?: boolean; optional?: boolean }>;
    };
    const entries = Object.entries(lock.packages).filter(([path]) => path.startsWith('node_modules/'));
    const installed = (path: string): boolean => paths.includes(`/app/${path}/package.json`);
    const dev = entries.filter(([, e]) => e.dev === true).map(([path]) => path);
    const production = entries.filter(([, e]) => e.dev !== true && e.optional !== true).map(([path]) => path);
    expect(dev).toContain('node_modules/typescript');
    expect(production).toContain('node_modules/@grpc/grpc-js');
    expect(production.filter((path) => !installed(path))).toEqual([]);
    expect(dev.filter(installed)).toEqual([]);
    expect(paths.filter((p) => p.startsWith('/app/dist/') && p.endsWith('.test.js'))).toEqual([]);
    // sodium-native's builds for other platforms stay out; its build for this one is in.
    const addons = paths.filter((p) => p.startsWith('/app/node_modules/sodium-native/prebuilds/'));
    expect(addons.filter((p) => /\.(node|bare)$/.test(p))).toEqual([
      `/app/node_modules/sodium-native/prebuilds/linux-${process.arch}/sodium-native.node`,
    ]);
    // Root's files, readable by group 0 and everyone, writable by no one else but in /tmp.
    for (const path of paths) {
      const stat = lstatSync(join(image.rootfs, path));
      if (stat.isSymbolicLink()) continue;
      expect({ path, uid: stat.uid, gid: stat.gid }).toEqual({ path, uid: 0, gid: 0 });
      expect({ path, groupRead: (stat.mode & 0o040) !== 0 }).toEqual({ path, groupRead: true });
      if (!path.startsWith('/tmp'))
        expect({ path, writable: (stat.mode & 0o022) !== 0 }).toEqual({ path, writable: false });
    }
    // The image's labels, which umoci hands on as the runtime config's annotations.
    const annotations = (image.config as { annotations?: Record<string, string> }).annotations ?? {};
    expect(annotations).toMatchObject({
      'org.opencontainers.image.version': imageTag(),
      'org.opencontainers.image.licenses': 'Apache-2.0',
      'org.opencontainers.image.source': 'https://github.com/dapr-ts/dapr-ts',
    });
    expect(annotations['org.opencontainers.image.revision']).toMatch(/^[0-9a-f]{40}$/);
    expect(image.config.process.user).toEqual({ uid: 65532, gid: 65532 });
  });

  it('runs /sentry, which issues a workload certificate from inside its container', async () => {
    const { container } = await startService('sentry', [
      ...['--mode', 'kubernetes', '--trust-domain', 'cluster.local', '--port', String(sentryPort)],
      ...['--kubeconfig', KUBECONFIG],
    ]);
    // The process the runtime started is the service, as the user and group asked, not root.
    const pid = await container.hostPid();
    expect(pid).toBeDefined();
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    expect(/^Uid:\s+(\d+)/m.exec(status)?.[1]).toBe(String(UID));
    expect(/^Gid:\s+(\d+)/m.exec(status)?.[1]).toBe(String(GID));
    expect(/^CapEff:\s+(\S+)/m.exec(status)?.[1]).toBe('0000000000000000');
    expect(readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0')[0]).toBe('/nodejs/bin/node');
    // Its root filesystem is mounted read-only.
    const rootMount = readFileSync(`/proc/${pid}/mountinfo`, 'utf8')
      .split('\n')
      .find((line) => line.split(' ')[4] === '/');
    expect(rootMount?.split(' ')[5]?.split(',')).toContain('ro');

    ({ anchors } = await trustBundle(core, NS, dir));
    const svid = await workloadSvid({
      core,
      sentryAddress: `127.0.0.1:${sentryPort}`,
      trustAnchorsPem: anchors,
      sentryNamespace: NS,
      appId: 'image-app',
      namespace: 'image-apps',
    });
    // The chain is the workload certificate and the issuer that signed it, under the anchors.
    const [leaf, issuer] = pemCertificates(svid.chainPem);
    const [root] = pemCertificates(anchors);
    // The app's namespace has no Configuration: its trust domain is Dapr's default, public.
    expect(leaf?.subjectAltName).toContain('URI:spiffe://public/ns/image-apps/image-app');
    expect(leaf?.verify(issuer!.publicKey)).toBe(true);
    expect(issuer?.verify(root!.publicKey)).toBe(true);
    // Ed25519 went through the libsodium build the image carries, not the OpenSSL fallback.
    expect(container.proc.output).toContain('Ed25519 signatures through libsodium (sodium-native)');
  });

  it('runs /placement with mTLS from the containerized sentry', async () => {
    const [port = 0] = await freePorts(1);
    await startService(
      'placement',
      [
        ...['--mode', 'kubernetes', '--tls-enabled', '--trust-domain', 'cluster.local'],
        ...['--sentry-address', `127.0.0.1:${sentryPort}`, '--trust-anchors-file', ANCHORS],
        ...['--port', String(port)],
      ],
      {
        env: { DAPR_SENTRY_TOKEN_FILE: TOKEN },
        files: {
          [TOKEN]: await tokenFor('placement', 'dapr-placement', 'dapr-placement-server-0'),
          [ANCHORS]: anchors,
        },
      },
    );
  });

  it('runs /operator against the apiserver with an SVID from the containerized sentry', async () => {
    const [port = 0, webhookPort = 0] = await freePorts(2);
    await startService(
      'operator',
      [
        ...['--kubeconfig', KUBECONFIG, '--trust-anchors-file', ANCHORS, '--port', String(port)],
        ...['--webhook-server-port', String(webhookPort)],
        ...['--disable-leader-election', '--disable-service-reconciler'],
      ],
      {
        env: { KUBECONFIG, DAPR_SENTRY_TOKEN_FILE: TOKEN, ENABLE_WEBHOOKS: 'false' },
        files: {
          [TOKEN]: await tokenFor('operator', 'dapr-operator', 'dapr-operator-0'),
          [ANCHORS]: anchors,
        },
      },
    );
  });

  it('runs /injector with the chart environment and its token where the chart mounts it', async () => {
    const [port = 0] = await freePorts(1);
    await startService('injector', ['--port', String(port), '--kubeconfig', KUBECONFIG], {
      env: {
        ...CHART_ENV,
        NAMESPACE: NS,
        KUBECONFIG,
        DAPR_TRUST_ANCHORS_FILE: ANCHORS,
        DAPR_SENTRY_ADDRESS: `127.0.0.1:${sentryPort}`,
      },
      files: {
        [TOKEN]: await tokenFor('injector', 'dapr-injector', 'dapr-sidecar-injector-0'),
        [ANCHORS]: anchors,
      },
    });
  });

  it("runs /healthcheck (the chart's helm test), which finds all four healthy", async () => {
    const targets = [...services].map(([name, s]) => `${name}=http://127.0.0.1:${s.healthzPort}/healthz`);
    expect(targets).toHaveLength(4);
    const check = await Container.start(image, {
      name: 'healthcheck',
      dir,
      uid: UID,
      gid: GID,
      args: ['/healthcheck', ...targets],
    });
    const status = await check.proc.exited;
    await check.stop();
    const log = check.proc.output;
    expect({ status, log }).toMatchObject({ status: 0 });
    for (const name of services.keys()) expect(log).toContain(`healthy: ${name}`);
  });
});
