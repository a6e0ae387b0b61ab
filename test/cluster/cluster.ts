// A real Kubernetes control plane on this machine for tests: etcd, kube-apiserver,
// kube-controller-manager and kube-scheduler, built from the Kubernetes Go module by
// test/deps/fetch.sh. startTestCluster() hands back an admin kubeconfig and a client;
// stop() ends every process and removes every file it made, also after a failure.
import { KubeConfig } from '@kubernetes/client-node';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { cachedBinary } from '../deps/paths.js';
import { ManagedProcess, runId } from '../../kit/testing/managed-process.js';
import { freePorts } from '../harness/ports.js';
import {
  apiserverArgs,
  controllerManagerArgs,
  etcdArgs,
  schedulerArgs,
  WATCH_AUDIT_POLICY,
  type ClusterLayout,
} from './components.js';
import { writeKubeconfig } from './kubeconfig.js';
import { generateClusterPki, writePair, type ClusterPki } from './pki.js';

export interface TestClusterOptions {
  /**
   * Extra host addresses pods use to reach the apiserver (the node agent's bridge address).
   * With any given, the apiserver binds all interfaces and advertises the first.
   */
  readonly hostIps?: readonly string[];
  /** Service CIDR; its first address is the `kubernetes` Service IP. */
  readonly serviceCidr?: string;
  /** How long to wait for the control plane to come up. */
  readonly startTimeoutMs?: number;
  /** Audit every watch into `auditLog` (watch-audit.ts reads it). */
  readonly auditWatches?: boolean;
}

/** RFC 2544's benchmarking range: never routed anywhere, so a stray packet leaves no machine. */
export const DEFAULT_SERVICE_CIDR = '198.19.0.0/16';

export interface TestCluster {
  /** The temp dir holding certificates, kubeconfigs, logs and etcd's data. */
  readonly dir: string;
  readonly server: string;
  readonly kubeconfigPath: string;
  readonly kubeConfig: KubeConfig;
  readonly pki: ClusterPki;
  readonly layout: ClusterLayout;
  readonly processes: readonly ManagedProcess[];
  /** The apiserver's audit log of watches, with TestClusterOptions.auditWatches. */
  readonly auditLog?: string;
  /** Log file of a control-plane process, for failure messages. */
  logOf(name: 'etcd' | 'kube-apiserver' | 'kube-controller-manager' | 'kube-scheduler'): string;
  stop(): Promise<void>;
}

function firstIpOf(cidr: string): string {
  const [base] = cidr.split('/');
  const parts = (base ?? '').split('.').map(Number);
  parts[3] = (parts[3] ?? 0) + 1;
  return parts.join('.');
}

/** GET an https URL with a client certificate; resolves with status and body (never rejects on status). */
export function httpsGet(
  url: string,
  tls: { ca?: string; cert?: string; key?: string; insecure?: boolean },
): Promise<{ status: number; body: string }> {
  return new Promise((ok, fail) => {
    const req = request(
      url,
      { ca: tls.ca, cert: tls.cert, key: tls.key, rejectUnauthorized: !tls.insecure, timeout: 5000 },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (body += c));
        res.on('end', () => ok({ status: res.statusCode ?? 0, body }));
      },
    );
    req.on('timeout', () => req.destroy(new Error(`timeout: ${url}`)));
    req.on('error', fail);
    req.end();
  });
}

async function layoutFor(dir: string, opts: TestClusterOptions): Promise<ClusterLayout> {
  const [etcdClientPort, etcdPeerPort, apiserverPort, controllerManagerPort, schedulerPort] =
    await freePorts(5);
  const hostIps = opts.hostIps ?? [];
  return {
    dir,
    etcdClientPort: etcdClientPort!,
    etcdPeerPort: etcdPeerPort!,
    apiserverPort: apiserverPort!,
    controllerManagerPort: controllerManagerPort!,
    schedulerPort: schedulerPort!,
    bindAddress: hostIps.length > 0 ? '0.0.0.0' : '127.0.0.1',
    advertiseAddress: hostIps[0] ?? '127.0.0.1',
    serviceCidr: opts.serviceCidr ?? DEFAULT_SERVICE_CIDR,
    ...(opts.auditWatches === true
      ? { audit: { policyFile: join(dir, 'audit-policy.yaml'), logFile: join(dir, 'logs', 'audit.log') } }
      : {}),
    files: {
      caCert: join(dir, 'pki', 'ca.crt'),
      caKey: join(dir, 'pki', 'ca.key'),
      apiserverCert: join(dir, 'pki', 'apiserver.crt'),
      apiserverKey: join(dir, 'pki', 'apiserver.key'),
      saPublic: join(dir, 'pki', 'sa.pub'),
      saPrivate: join(dir, 'pki', 'sa.key'),
      controllerManagerKubeconfig: join(dir, 'controller-manager.kubeconfig'),
      schedulerKubeconfig: join(dir, 'scheduler.kubeconfig'),
    },
  };
}

function writeCredentials(l: ClusterLayout, pki: ClusterPki, server: string): string {
  const pkiDir = join(l.dir, 'pki');
  mkdirSync(pkiDir, { recursive: true });
  writePair(pkiDir, 'ca', pki.ca);
  writePair(pkiDir, 'apiserver', pki.apiserver);
  writeFileSync(l.files.saPublic, pki.serviceAccount.publicPem);
  writeFileSync(l.files.saPrivate, pki.serviceAccount.privatePem, { mode: 0o600 });
  if (l.audit !== undefined) {
    writeFileSync(l.audit.policyFile, WATCH_AUDIT_POLICY);
    mkdirSync(dirname(l.audit.logFile), { recursive: true });
  }
  const caPem = pki.ca.certPem;
  writeKubeconfig(l.files.controllerManagerKubeconfig, {
    server,
    caPem,
    user: 'system:kube-controller-manager',
    client: pki.clients.controllerManager,
  });
  writeKubeconfig(l.files.schedulerKubeconfig, {
    server,
    caPem,
    user: 'system:kube-scheduler',
    client: pki.clients.scheduler,
  });
  return writeKubeconfig(join(l.dir, 'admin.kubeconfig'), {
    server,
    caPem,
    user: 'dapr-ts-admin',
    client: pki.clients.admin,
  });
}

type ComponentName = 'etcd' | 'kube-apiserver' | 'kube-controller-manager' | 'kube-scheduler';

interface ClusterFiles {
  readonly dir: string;
  readonly layout: ClusterLayout;
  readonly pki: ClusterPki;
  readonly server: string;
  readonly kubeconfigPath: string;
}

class RunningCluster implements TestCluster {
  readonly processes: ManagedProcess[] = [];
  readonly kubeConfig = new KubeConfig();
  readonly dir: string;
  readonly layout: ClusterLayout;
  readonly pki: ClusterPki;
  readonly server: string;
  readonly kubeconfigPath: string;
  readonly auditLog?: string;
  #stopped = false;

  constructor(files: ClusterFiles) {
    ({
      dir: this.dir,
      layout: this.layout,
      pki: this.pki,
      server: this.server,
      kubeconfigPath: this.kubeconfigPath,
    } = files);
    this.auditLog = files.layout.audit?.logFile;
  }

  logOf(name: ComponentName): string {
    return join(this.dir, 'logs', `${name}.log`);
  }

  async startComponent(
    name: ComponentName,
    args: string[],
    ready: () => Promise<boolean>,
    timeoutMs: number,
  ): Promise<void> {
    const proc = await ManagedProcess.start({
      name,
      command: cachedBinary(name),
      args,
      logFile: this.logOf(name),
    });
    this.processes.push(proc);
    await proc.waitUntilReady(ready, { what: `${name} to become healthy`, timeoutMs });
  }

  async stop(): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    // Reverse start order: clients of the apiserver first, etcd last.
    for (const p of [...this.processes].reverse()) await p.stop();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

export async function startTestCluster(opts: TestClusterOptions = {}): Promise<TestCluster> {
  const dir = mkdtempSync(join(tmpdir(), `dapr-ts-${runId}-cluster-`));
  const layout = await layoutFor(dir, opts);
  const host = layout.advertiseAddress === '127.0.0.1' ? '127.0.0.1' : layout.advertiseAddress;
  const server = `https://${host}:${layout.apiserverPort}`;
  const pki = await generateClusterPki({
    apiserverIps: opts.hostIps ?? [],
    serviceIp: firstIpOf(layout.serviceCidr),
  });
  mkdirSync(join(dir, 'logs'));
  const kubeconfigPath = writeCredentials(layout, pki, server);
  const cluster = new RunningCluster({ dir, layout, pki, server, kubeconfigPath });
  const timeoutMs = opts.startTimeoutMs ?? 90_000;
  const admin = { ca: pki.ca.certPem, cert: pki.clients.admin.certPem, key: pki.clients.admin.keyPem };
  const localHealth = (port: number) => async (): Promise<boolean> =>
    (await httpsGet(`https://127.0.0.1:${port}/healthz`, { insecure: true })).status === 200;
  try {
    await cluster.startComponent(
      'etcd',
      etcdArgs(layout),
      async () => (await fetch(`http://127.0.0.1:${layout.etcdClientPort}/health`)).ok,
      timeoutMs,
    );
    await cluster.startComponent(
      'kube-apiserver',
      apiserverArgs(layout),
      async () => (await httpsGet(`https://127.0.0.1:${layout.apiserverPort}/readyz`, admin)).status === 200,
      timeoutMs,
    );
    await cluster.startComponent(
      'kube-controller-manager',
      controllerManagerArgs(layout),
      localHealth(layout.controllerManagerPort),
      timeoutMs,
    );
    await cluster.startComponent(
      'kube-scheduler',
      schedulerArgs(layout),
      localHealth(layout.schedulerPort),
      timeoutMs,
    );
    cluster.kubeConfig.loadFromFile(kubeconfigPath);
    return cluster;
  } catch (err) {
    await cluster.stop();
    throw err;
  }
}
