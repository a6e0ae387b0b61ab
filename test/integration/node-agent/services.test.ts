// Services as a real cluster has them (docs/node-agent.md): ClusterIP names resolve to a stable
// virtual IP that the node agent's nftables rules translate to a ready endpoint; headless names
// (and a StatefulSet's per-pod names) resolve to pod IPs that follow re-rolled pods. Clients
// are pods (the echo test app's /call and /resolve), so the traffic is what a pod originates.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { V1Pod, V1PodList, V1Service } from '@kubernetes/client-node';
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import { startTestEnvironment, type TestEnvironment } from '../../harness/environment.js';
import { waitFor } from '../../../kit/testing/wait.js';
import { isPodReady } from '../../harness/pods.js';

const NS = 'svcs';
let env: TestEnvironment;
const get = <T>(path: string): Promise<T> => env.agent.client.get<T>(path);

async function readyPods(selector: string, count: number, timeoutMs = 60_000): Promise<V1Pod[]> {
  return waitFor(
    async () => {
      const pods = (
        await get<V1PodList>(`/api/v1/namespaces/${NS}/pods?labelSelector=${encodeURIComponent(selector)}`)
      ).items.filter((p) => !p.metadata?.deletionTimestamp);
      return pods.length === count && pods.every(isPodReady) ? pods : undefined;
    },
    { what: `${count} ready pod(s) ${selector}`, timeoutMs, intervalMs: 50 },
  );
}

interface CallResult {
  readonly status?: number;
  readonly body?: string;
  readonly error?: string;
}

/** GET url from inside the client pod (echo's /call); also how long it took. */
async function callFromClient(url: string): Promise<CallResult & { ms: number }> {
  const t0 = Date.now();
  const r = await fetch(`http://${clientIp}:9090/call?url=${encodeURIComponent(url)}`, {
    signal: AbortSignal.timeout(10_000),
  });
  return { ...((await r.json()) as CallResult), ms: Date.now() - t0 };
}

async function resolveInClient(name: string): Promise<string[]> {
  const r = await fetch(`http://${clientIp}:9090/resolve?name=${encodeURIComponent(name)}`, {
    signal: AbortSignal.timeout(10_000),
  });
  if (r.status !== 200) return [];
  return ((await r.json()) as Array<{ address: string }>).map((a) => a.address).sort();
}

const hostnameOf = (r: CallResult): string | undefined =>
  r.status === 200 ? (JSON.parse(r.body!) as { hostname: string }).hostname : undefined;

const echo = (port: number): string => `
      - name: echo
        image: dapr-ts/test-app:echo
        args: ["--port", "${port}"]
        ports: [{name: http, containerPort: ${port}}]
        readinessProbe:
          httpGet: {path: /healthz, port: http}
          periodSeconds: 1`;

const MANIFESTS = `
apiVersion: v1
kind: Namespace
metadata: {name: ${NS}}
---
apiVersion: v1
kind: Service
metadata: {name: server, namespace: ${NS}}
spec:
  selector: {app: server}
  ports:
  - {name: web, port: 80, targetPort: http}
---
apiVersion: v1
kind: Service
metadata: {name: nobody, namespace: ${NS}}
spec:
  selector: {app: nothing-has-this-label}
  ports:
  - {port: 80}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: server, namespace: ${NS}}
spec:
  replicas: 1
  selector: {matchLabels: {app: server}}
  template:
    metadata: {labels: {app: server}}
    spec:
      terminationGracePeriodSeconds: 2
      containers:${echo(8080)}
---
apiVersion: v1
kind: Service
metadata: {name: peer, namespace: ${NS}}
spec:
  clusterIP: None
  selector: {app: peer}
  ports:
  - {name: http, port: 7070}
---
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: peer, namespace: ${NS}}
spec:
  serviceName: peer
  replicas: 2
  podManagementPolicy: Parallel
  selector: {matchLabels: {app: peer}}
  template:
    metadata: {labels: {app: peer}}
    spec:
      terminationGracePeriodSeconds: 2
      containers:${echo(7070)}
---
apiVersion: v1
kind: Pod
metadata: {name: client, namespace: ${NS}, labels: {app: client}}
spec:
  terminationGracePeriodSeconds: 2
  containers:${echo(9090)}
`;

let clientIp = '';
let vip = '';

beforeAll(async () => {
  env = await startTestEnvironment({ agent: { backoff: { initialMs: 500, maxMs: 2000 } } });
  await env.apply(MANIFESTS);
  const [client] = await readyPods('app=client', 1);
  clientIp = client!.status!.podIP!;
  await readyPods('app=server', 1);
  await readyPods('app=peer', 2);
  vip = (await get<V1Service>(`/api/v1/namespaces/${NS}/services/server`)).spec!.clusterIP!;
}, 180_000);

afterAll(async () => {
  await env?.stop();
}, 120_000);

describe('node agent: Services', () => {
  it('resolves a ClusterIP Service to its ClusterIP and forwards its port to the named target port', async () => {
    expect(vip).toMatch(/^198\.19\.\d+\.\d+$/);
    for (const name of [`server.${NS}.svc.cluster.local`, `server.${NS}`, 'server'])
      expect(await resolveInClient(name)).toEqual([vip]);
    const [server] = await readyPods('app=server', 1);
    const r = await callFromClient(`http://server.${NS}.svc.cluster.local/whoami`); // port 80 → 8080
    expect(r.error).toBeUndefined();
    expect(hostnameOf(r)).toBe(server!.metadata!.name);
    // A pod reaches itself through its own Service (no hairpin setup needed: the rules run in its namespace).
    const self = await fetch(
      `http://${server!.status!.podIP}:8080/call?url=${encodeURIComponent('http://server/whoami')}`,
    );
    expect(hostnameOf((await self.json()) as CallResult)).toBe(server!.metadata!.name);
  });

  it('refuses at once a ClusterIP without ready endpoints, and a port the Service does not have', async () => {
    for (const url of [`http://nobody.${NS}/`, `http://server.${NS}:81/`]) {
      const r = await callFromClient(url);
      expect(r.error).toMatch(/ECONNREFUSED/);
      expect(r.ms).toBeLessThan(1000);
    }
  });

  it('sends new connections to the re-rolled pod of a Deployment within moments of it becoming Ready, and never hangs meanwhile', async () => {
    const [old] = await readyPods('app=server', 1);
    const oldName = old!.metadata!.name!;
    const log: Array<{ t: number; host?: string; error?: string; ms: number }> = [];
    let calling = true;
    const caller = (async (): Promise<void> => {
      while (calling) {
        const r = await callFromClient(`http://server.${NS}.svc.cluster.local/whoami`);
        log.push({ t: Date.now(), host: hostnameOf(r), error: r.error, ms: r.ms });
        await sleep(50);
      }
    })();
    try {
      await sleep(300);
      const tDelete = Date.now();
      await env.kubectl(['delete', 'pod', '-n', NS, oldName, '--wait=false']);
      const [fresh] = await waitFor(
        async () => {
          const pods = await readyPods('app=server', 1, 30_000);
          return pods[0]!.metadata!.name !== oldName ? pods : undefined;
        },
        { what: 'the replacement server pod to be Ready', timeoutMs: 60_000, intervalMs: 50 },
      );
      const tReady = Date.now();
      const newName = fresh!.metadata!.name!;
      await waitFor(() => log.some((e) => e.host === newName) || undefined, {
        what: `a call answered by ${newName}`,
        timeoutMs: 10_000,
        intervalMs: 20,
      });
      await sleep(2000);
      const first = log.find((e) => e.host === newName)!;
      const after = log.filter((e) => e.t > first.t);
      const during = log.filter((e) => e.t > tDelete && e.t < first.t);
      process.stdout.write(
        `[services] Deployment pod re-rolled: deleted → new pod Ready ${tReady - tDelete} ms; ` +
          `first call answered by it ${first.t - tReady} ms after we saw it Ready; ` +
          `${during.filter((e) => e.error).length} refused/failed calls meanwhile, slowest ${Math.max(0, ...during.map((e) => e.ms))} ms\n`,
      );
      expect(first.t - tReady).toBeLessThan(2000);
      expect(after.length).toBeGreaterThan(5);
      expect(after.every((e) => e.host === newName)).toBe(true);
      // Failing calls fail fast (refused: no endpoint), none waits for a timeout.
      expect(during.every((e) => e.ms < 1500)).toBe(true);
    } finally {
      calling = false;
      await caller;
    }
  }, 90_000);

  it('resets an established connection whose endpoint left the Service (its pod still runs)', async () => {
    const [server] = await readyPods('app=server', 1);
    const name = server!.metadata!.name!;
    const clientNetns = env.agent.podInfo(NS, 'client')!.netns!;
    // A keep-alive HTTP client in the client pod's namespace: one request now, one when told.
    const script = `
      const net = require('node:net');
      const rl = require('node:readline').createInterface({ input: process.stdin });
      const s = net.connect(80, process.argv[1]);
      const ask = () => s.write('GET /whoami HTTP/1.1\\r\\nHost: x\\r\\nConnection: keep-alive\\r\\n\\r\\n');
      s.on('connect', ask);
      s.on('data', (d) => console.log('data ' + (/"hostname":"([^"]+)"/.exec(String(d)) || [])[1]));
      s.on('error', (e) => { console.log('error ' + e.code); process.exit(0); });
      s.on('close', () => { console.log('closed'); process.exit(0); });
      rl.on('line', ask);`;
    const child = spawn('ip', ['netns', 'exec', clientNetns, process.execPath, '-e', script, vip], {
      stdio: ['pipe', 'pipe', 'inherit'],
    });
    const lines: string[] = [];
    createInterface({ input: child.stdout }).on('line', (l) => lines.push(l));
    try {
      await waitFor(() => lines.includes(`data ${name}`) || undefined, { what: 'the first answer' });
      // Take the pod out of the Service; the Deployment makes a new one, the old one keeps running.
      await env.kubectl(['label', 'pod', '-n', NS, name, 'app=detached', '--overwrite']);
      await waitFor(
        async () => {
          const slices = await get<{ items: Array<{ endpoints?: Array<{ addresses: string[] }> }> }>(
            `/apis/discovery.k8s.io/v1/namespaces/${NS}/endpointslices?labelSelector=kubernetes.io%2Fservice-name%3Dserver`,
          );
          const ips = slices.items.flatMap((s) => (s.endpoints ?? []).flatMap((e) => e.addresses));
          return !ips.includes(server!.status!.podIP!) || undefined;
        },
        { what: 'the EndpointSlice to drop the detached pod', intervalMs: 50 },
      );
      await sleep(300); // the agent's rule sync (20 ms debounce + nft)
      child.stdin.write('again\n');
      await waitFor(() => lines.some((l) => l.startsWith('error') || l === 'closed') || undefined, {
        what: 'the connection to end',
        timeoutMs: 5000,
      });
      expect(lines.filter((l) => l.startsWith('data'))).toEqual([`data ${name}`]);
      expect(lines).toContain('error ECONNRESET');
      expect((await fetch(`http://${server!.status!.podIP}:8080/healthz`)).status).toBe(200); // still up
    } finally {
      child.kill('SIGKILL');
      await env.kubectl(['delete', 'pod', '-n', NS, name, '--wait=false']);
    }
  }, 60_000);

  it("resolves a headless Service's per-pod names to the re-rolled StatefulSet pod at once, never to another pod", async () => {
    const pods = await readyPods('app=peer', 2);
    const byName = new Map(pods.map((p) => [p.metadata!.name!, p.status!.podIP!]));
    const fqdn = `peer-0.peer.${NS}.svc.cluster.local`;
    expect(await resolveInClient(fqdn)).toEqual([byName.get('peer-0')]);
    expect(await resolveInClient(`peer.${NS}`)).toEqual([...byName.values()].sort());
    const oldIp = byName.get('peer-0')!;
    const seen: Array<{ t: number; ips: string[] }> = [];
    let polling = true;
    const poller = (async (): Promise<void> => {
      while (polling) {
        seen.push({ t: Date.now(), ips: await resolveInClient(fqdn) });
        await sleep(20);
      }
    })();
    try {
      const tDelete = Date.now();
      await env.kubectl(['delete', 'pod', '-n', NS, 'peer-0', '--wait=false']);
      const fresh = await waitFor(
        async () => {
          const p = await get<V1Pod>(`/api/v1/namespaces/${NS}/pods/peer-0`).catch(() => undefined);
          return p && p.status?.podIP !== oldIp && !p.metadata?.deletionTimestamp && isPodReady(p)
            ? p
            : undefined;
        },
        { what: 'peer-0 to come back Ready', timeoutMs: 60_000, intervalMs: 50 },
      );
      const tReady = Date.now();
      const newIp = fresh.status!.podIP!;
      await waitFor(() => seen.some((s) => s.ips.includes(newIp)) || undefined, {
        what: `${fqdn} to resolve to ${newIp}`,
        timeoutMs: 5000,
        intervalMs: 20,
      });
      await sleep(500);
      const first = seen.find((s) => s.ips.includes(newIp))!;
      process.stdout.write(
        `[services] StatefulSet pod re-rolled: deleted → Ready ${tReady - tDelete} ms; per-pod name on the new IP ${first.t - tReady} ms after we saw it Ready\n`,
      );
      expect(first.t - tReady).toBeLessThan(1000);
      // Only ever peer-0's old address (while it still ran), nothing, or its new one.
      for (const s of seen) for (const ip of s.ips) expect([oldIp, newIp]).toContain(ip);
      expect(seen.filter((s) => s.t > first.t).every((s) => s.ips.join() === newIp)).toBe(true);
    } finally {
      polling = false;
      await poller;
    }
  }, 90_000);
});
