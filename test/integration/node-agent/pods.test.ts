// Node agent acceptance: real pods (Node test apps as processes in their own network
// namespaces) scheduled by the real kube-scheduler, reached through Service names, with
// downward-API env, projected tokens checked by TokenReview, probes, restarts and deletion.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { V1EndpointSliceList, V1Pod, V1PodList } from '@kubernetes/client-node';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTestEnvironment, type TestEnvironment } from '../../harness/environment.js';
import { processesOfRun, networkLeftovers } from '../../harness/reaper.js';
import { runId } from '../../../kit/testing/managed-process.js';
import { waitFor } from '../../../kit/testing/wait.js';
import { cmd } from '../../node-agent/cmd.js';
import { PodVolumes } from '../../node-agent/volumes.js';
import { isPodReady } from '../../harness/pods.js';

let env: TestEnvironment;
const get = <T>(path: string): Promise<T> => env.agent.client.get<T>(path);
const post = <T>(path: string, body: unknown): Promise<T> => env.agent.client.request<T>('POST', path, body);

async function podsOf(ns: string, selector: string): Promise<V1Pod[]> {
  return (await get<V1PodList>(`/api/v1/namespaces/${ns}/pods?labelSelector=${encodeURIComponent(selector)}`))
    .items;
}

async function readyPods(ns: string, selector: string, count: number, timeoutMs = 60_000): Promise<V1Pod[]> {
  return waitFor(
    async () => {
      const pods = (await podsOf(ns, selector)).filter((p) => !p.metadata?.deletionTimestamp);
      return pods.length === count && pods.every(isPodReady) ? pods : undefined;
    },
    { what: `${count} ready pod(s) ${selector} in ${ns}`, timeoutMs },
  );
}

async function httpJson<T>(url: string, init?: RequestInit): Promise<T> {
  const r = await fetch(url, { ...init, signal: AbortSignal.timeout(10_000) });
  const text = await r.text();
  if (!r.ok) throw new Error(`${url}: HTTP ${r.status}: ${text}`);
  return JSON.parse(text) as T;
}

/** GET url from inside a pod, through the echo app's /call. */
async function callFrom(
  podIp: string,
  port: number,
  url: string,
): Promise<{ status?: number; body?: string; error?: string }> {
  return httpJson(`http://${podIp}:${port}/call?url=${encodeURIComponent(url)}`);
}

const WEB = `
apiVersion: v1
kind: Namespace
metadata: {name: apps}
---
apiVersion: v1
kind: Namespace
metadata: {name: other}
---
apiVersion: v1
kind: ServiceAccount
metadata: {name: echo-sa, namespace: apps}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: echo-config, namespace: apps}
data: {color: blue, size: large, greeting.txt: "hello from a configmap"}
---
apiVersion: v1
kind: Secret
metadata: {name: echo-secret, namespace: apps}
stringData: {password: s3cret}
---
apiVersion: v1
kind: Service
metadata: {name: web, namespace: apps}
spec:
  selector: {app: web}
  ports:
  - {name: http, port: 8080, targetPort: http}
  - {name: alt, port: 80, targetPort: 8080}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: apps}
spec:
  replicas: 2
  selector: {matchLabels: {app: web}}
  template:
    metadata:
      labels: {app: web, tier: front}
      annotations: {note: "an annotation"}
    spec:
      serviceAccountName: echo-sa
      terminationGracePeriodSeconds: 10
      securityContext: {runAsUser: 1234, runAsGroup: 2345, runAsNonRoot: true}
      containers:
      - name: echo
        image: dapr-ts/test-app:echo
        args: ["--port", "$(HTTP_PORT)"]
        ports: [{name: http, containerPort: 8080}]
        resources:
          limits: {cpu: 1500m, memory: 256Mi}
          requests: {memory: 64Mi}
        envFrom:
        - configMapRef: {name: echo-config}
          prefix: CM_
        env:
        - {name: HTTP_PORT, value: "8080"}
        - {name: POD_NAME, valueFrom: {fieldRef: {fieldPath: metadata.name}}}
        - {name: POD_NAMESPACE, valueFrom: {fieldRef: {fieldPath: metadata.namespace}}}
        - {name: POD_UID, valueFrom: {fieldRef: {fieldPath: metadata.uid}}}
        - {name: POD_IP, valueFrom: {fieldRef: {fieldPath: status.podIP}}}
        - {name: HOST_IP, valueFrom: {fieldRef: {fieldPath: status.hostIP}}}
        - {name: NODE_NAME, valueFrom: {fieldRef: {fieldPath: spec.nodeName}}}
        - {name: SA_NAME, valueFrom: {fieldRef: {fieldPath: spec.serviceAccountName}}}
        - {name: APP_LABEL, valueFrom: {fieldRef: {fieldPath: "metadata.labels['app']"}}}
        - {name: NOTE, valueFrom: {fieldRef: {fieldPath: "metadata.annotations['note']"}}}
        - {name: CPU_LIMIT, valueFrom: {resourceFieldRef: {resource: limits.cpu}}}
        - {name: MEM_REQUEST_MI, valueFrom: {resourceFieldRef: {resource: requests.memory, divisor: 1Mi}}}
        - {name: COLOR, valueFrom: {configMapKeyRef: {name: echo-config, key: color}}}
        - {name: PASSWORD, valueFrom: {secretKeyRef: {name: echo-secret, key: password}}}
        - {name: GREETING, value: "hi $(POD_NAME) in $(POD_NAMESPACE), $(UNDEFINED) and $$(POD_NAME)"}
        readinessProbe:
          httpGet: {path: /healthz, port: http}
          periodSeconds: 1
        volumeMounts:
        - {name: audience-token, mountPath: /var/run/secrets/tokens, readOnly: true}
        - {name: config, mountPath: /etc/echo}
        - {name: scratch, mountPath: /var/cache/echo}
      volumes:
      - name: audience-token
        projected:
          sources:
          - serviceAccountToken: {audience: echo-audience, expirationSeconds: 600, path: token}
      - name: config
        configMap: {name: echo-config, items: [{key: greeting.txt, path: greeting.txt}]}
      - name: scratch
        emptyDir: {}
`;

const client = (ns: string): string => `
apiVersion: v1
kind: Pod
metadata: {name: client, namespace: ${ns}, labels: {app: client}}
spec:
  terminationGracePeriodSeconds: 5
  containers:
  - name: echo
    image: dapr-ts/test-app:echo
    args: ["--port", "9090"]
    ports: [{containerPort: 9090}]
    readinessProbe:
      tcpSocket: {port: 9090}
      periodSeconds: 1
`;

beforeAll(async () => {
  env = await startTestEnvironment({ agent: { backoff: { initialMs: 500, maxMs: 2000 } } });
  process.stdout.write(
    `[node-agent] started: network ${env.startup.networkMs} ms, cluster ${env.startup.clusterMs} ms, agent ${env.startup.agentMs} ms\n`,
  );
}, 180_000);

afterAll(async () => {
  await env?.stop();
}, 120_000);

describe('node agent: pods as processes', () => {
  let webPods: V1Pod[] = [];
  let clientIp = '';

  it('registers a Ready node that the scheduler binds pods to', async () => {
    const node = await get<{
      status: {
        conditions: Array<{ type: string; status: string }>;
        addresses: Array<{ type: string; address: string }>;
      };
    }>(`/api/v1/nodes/${env.agent.nodeName}`);
    expect(node.status.conditions.find((c) => c.type === 'Ready')?.status).toBe('True');
    expect(node.status.addresses).toContainEqual({ type: 'InternalIP', address: env.network.hostIp });
    const lease = await get<{ spec: { holderIdentity: string; renewTime: string } }>(
      `/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/${env.agent.nodeName}`,
    );
    expect(lease.spec.holderIdentity).toBe(env.agent.nodeName);
  });

  it('runs a Deployment: pods Running and Ready, in their own network namespaces, listed in EndpointSlices', async () => {
    const t0 = Date.now();
    await env.apply(WEB);
    webPods = await readyPods('apps', 'app=web', 2);
    process.stdout.write(`[node-agent] Deployment create → 2 pods Ready: ${Date.now() - t0} ms\n`);
    for (const p of webPods) {
      expect(p.status?.phase).toBe('Running');
      expect(p.spec?.nodeName).toBe(env.agent.nodeName);
      expect(p.status?.podIP).toMatch(/^198\.18\.\d+\.\d+$/);
      expect(p.status?.podIPs).toEqual([{ ip: p.status?.podIP }]);
      expect(p.status?.hostIP).toBe(env.network.hostIp);
      const types = (p.status?.conditions ?? [])
        .filter((c) => c.status === 'True')
        .map((c) => c.type)
        .sort();
      expect(types).toEqual([
        'ContainersReady',
        'Initialized',
        'PodReadyToStartContainers',
        'PodScheduled',
        'Ready',
      ]);
      const cs = p.status?.containerStatuses?.[0];
      expect(cs).toMatchObject({
        name: 'echo',
        ready: true,
        started: true,
        restartCount: 0,
        image: 'dapr-ts/test-app:echo',
      });
      expect(cs?.state?.running?.startedAt).toBeDefined();
      const pid = Number(/^dapr-ts:\/\/(\d+)$/.exec(cs?.containerID ?? '')?.[1]);
      expect(processesOfRun(runId)).toContain(pid);
      const info = env.agent.podInfo('apps', p.metadata!.name!);
      expect(info?.pids.echo).toBe(pid);
      expect((await cmd('ip', ['netns', 'list'])).stdout).toContain(info!.netns!);
    }
    expect(new Set(webPods.map((p) => env.agent.podInfo('apps', p.metadata!.name!)!.netns)).size).toBe(2);
    const ips = webPods.map((p) => p.status!.podIP!).sort();
    const slices = await waitFor(
      async () => {
        const list = await get<V1EndpointSliceList>(
          '/apis/discovery.k8s.io/v1/namespaces/apps/endpointslices?labelSelector=kubernetes.io%2Fservice-name%3Dweb',
        );
        const ready = list.items
          .flatMap((s) => (s.endpoints ?? []).filter((e) => e.conditions?.ready).flatMap((e) => e.addresses))
          .sort();
        return JSON.stringify(ready) === JSON.stringify(ips) ? list : undefined;
      },
      { what: 'the EndpointSlice of web to list both ready pod IPs' },
    );
    expect(slices.items[0]?.ports?.map((p) => p.port).sort()).toEqual([8080, 8080]);
    const table = await env.kubectl(['get', 'pods', '-n', 'apps', '-o', 'wide']);
    expect(table.stdout).toMatch(/web-\S+\s+1\/1\s+Running\s+0/);
  });

  it('reaches a Service by name from another pod (FQDN, short name, and a Service port that differs from the target port)', async () => {
    await env.apply(client('apps') + '---\n' + client('other'));
    const [appsClient] = await readyPods('apps', 'app=client', 1);
    const [otherClient] = await readyPods('other', 'app=client', 1);
    clientIp = appsClient!.status!.podIP!;
    const webIps = webPods.map((p) => p.status!.podIP!);
    for (const url of [
      'http://web.apps.svc.cluster.local:8080/whoami',
      'http://web:8080/whoami',
      'http://web.apps/whoami',
    ]) {
      const r = await callFrom(clientIp, 9090, url);
      expect(r.error).toBeUndefined();
      expect(r.status).toBe(200);
      const who = JSON.parse(r.body!) as { hostname: string };
      expect(webPods.map((p) => p.metadata!.name)).toContain(who.hostname);
    }
    // The name resolves to the Service's ClusterIP; the agent's rules pick a pod (port 80 → 8080 too).
    const resolved = await httpJson<Array<{ address: string }>>(
      `http://${clientIp}:9090/resolve?name=web.apps.svc.cluster.local`,
    );
    const web = await get<{ spec: { clusterIP: string } }>('/api/v1/namespaces/apps/services/web');
    expect(resolved.map((a) => a.address)).toEqual([web.spec.clusterIP]);
    const alt = await callFrom(clientIp, 9090, 'http://web/whoami');
    expect(webPods.map((p) => p.metadata!.name)).toContain(
      (JSON.parse(alt.body!) as { hostname: string }).hostname,
    );
    expect(webIps).not.toContain(web.spec.clusterIP);
    // From another namespace: the FQDN resolves, the short name does not.
    const otherIp = otherClient!.status!.podIP!;
    const fqdn = await callFrom(otherIp, 9090, 'http://web.apps.svc.cluster.local:8080/whoami');
    expect(fqdn.status).toBe(200);
    const short = await callFrom(otherIp, 9090, 'http://web:8080/whoami');
    expect(short.error).toMatch(/ENOTFOUND|EAI_AGAIN/);
    // The apiserver's Service name resolves to the bridge's host address.
    const k8sAddr = await httpJson<Array<{ address: string }>>(
      `http://${clientIp}:9090/resolve?name=kubernetes.default.svc`,
    );
    expect(k8sAddr.map((a) => a.address)).toEqual([env.network.hostIp]);
  });

  it('runs the container as the securityContext user, with downward-API env, $(VAR) expansion, ConfigMap/Secret values and mounted volumes', async () => {
    const pod = webPods[0]!;
    const ip = pod.status!.podIP!;
    const who = await httpJson<{ uid: number; gid: number; hostname: string }>(`http://${ip}:8080/whoami`);
    expect(who).toMatchObject({ uid: 1234, gid: 2345, hostname: pod.metadata!.name });
    const e = await httpJson<Record<string, string>>(`http://${ip}:8080/env`);
    expect(e).toMatchObject({
      POD_NAME: pod.metadata!.name,
      POD_NAMESPACE: 'apps',
      POD_UID: pod.metadata!.uid,
      POD_IP: ip,
      HOST_IP: env.network.hostIp,
      NODE_NAME: env.agent.nodeName,
      SA_NAME: 'echo-sa',
      APP_LABEL: 'web',
      NOTE: 'an annotation',
      CPU_LIMIT: '2',
      MEM_REQUEST_MI: '64',
      COLOR: 'blue',
      PASSWORD: 's3cret',
      CM_color: 'blue',
      CM_size: 'large',
      GREETING: `hi ${pod.metadata!.name} in apps, $(UNDEFINED) and $(POD_NAME)`,
      KUBERNETES_SERVICE_HOST: env.network.hostIp,
      KUBERNETES_SERVICE_PORT: String(env.cluster.layout.apiserverPort),
      HOSTNAME: pod.metadata!.name,
    });
    const file = async (path: string): Promise<string> => {
      const r = await fetch(`http://${ip}:8080/file?path=${encodeURIComponent(path)}`);
      expect(r.status).toBe(200);
      return r.text();
    };
    expect(await file('/etc/echo/greeting.txt')).toBe('hello from a configmap');
    expect(await file('/var/run/secrets/kubernetes.io/serviceaccount/namespace')).toBe('apps');
    expect(await file('/var/run/secrets/kubernetes.io/serviceaccount/ca.crt')).toBe(
      env.cluster.pki.ca.certPem,
    );
    // The host filesystem is untouched: the mount paths exist only in the container's mount namespace.
    expect(existsSync('/var/run/secrets/tokens')).toBe(false);
    expect(existsSync('/etc/echo')).toBe(false);
    expect(env.logs('apps', pod.metadata!.name!, 'echo')).toContain('echo listening on :8080 as uid 1234');
  });

  it('writes a projected service-account token with the requested audience, bound to the pod (TokenReview)', async () => {
    const pod = webPods[0]!;
    const token = await (
      await fetch(`http://${pod.status!.podIP}:8080/file?path=/var/run/secrets/tokens/token`)
    ).text();
    const review = await post<{
      status: {
        authenticated?: boolean;
        audiences?: string[];
        user?: { username?: string; extra?: Record<string, string[]> };
      };
    }>('/apis/authentication.k8s.io/v1/tokenreviews', {
      apiVersion: 'authentication.k8s.io/v1',
      kind: 'TokenReview',
      spec: { token, audiences: ['echo-audience'] },
    });
    expect(review.status.authenticated).toBe(true);
    expect(review.status.audiences).toEqual(['echo-audience']);
    expect(review.status.user?.username).toBe('system:serviceaccount:apps:echo-sa');
    expect(review.status.user?.extra?.['authentication.kubernetes.io/pod-name']).toEqual([
      pod.metadata!.name,
    ]);
    expect(review.status.user?.extra?.['authentication.kubernetes.io/pod-uid']).toEqual([pod.metadata!.uid]);
    const payload = JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()) as {
      exp: number;
      iat: number;
    };
    expect(payload.exp - payload.iat).toBe(600);
    // The default kube-api-access token works against the apiserver too.
    const saToken = await (
      await fetch(
        `http://${pod.status!.podIP}:8080/file?path=/var/run/secrets/kubernetes.io/serviceaccount/token`,
      )
    ).text();
    const saReview = await post<{ status: { authenticated?: boolean } }>(
      '/apis/authentication.k8s.io/v1/tokenreviews',
      {
        apiVersion: 'authentication.k8s.io/v1',
        kind: 'TokenReview',
        spec: { token: saToken },
      },
    );
    expect(saReview.status.authenticated).toBe(true);
  });

  it('updates ConfigMap volumes in running pods, and renews projected tokens at 80% of their lifetime', async () => {
    const pod = webPods[0]!;
    const ip = pod.status!.podIP!;
    await env.agent.client.mergePatch('/api/v1/namespaces/apps/configmaps/echo-config', {
      data: { 'greeting.txt': 'updated' },
    });
    await waitFor(
      async () =>
        (await (await fetch(`http://${ip}:8080/file?path=/etc/echo/greeting.txt`)).text()) === 'updated',
      {
        what: 'the mounted ConfigMap file to show the update',
        timeoutMs: 20_000,
      },
    );
    // Renewal, with a controllable clock, against the real TokenRequest API.
    let now = Date.now();
    const dir = mkdtempSync(join(tmpdir(), `dapr-ts-${runId}-volumes-`));
    try {
      const spec = {
        ...pod.spec!,
        volumes: [
          {
            name: 't',
            projected: {
              sources: [
                { serviceAccountToken: { audience: 'renew', expirationSeconds: 600, path: 'token' } },
              ],
            },
          },
        ],
      };
      const vols = new PodVolumes({ ...pod, spec }, dir, {
        client: env.agent.client,
        podIp: ip,
        hostIp: env.network.hostIp,
        nodeAllocatable: { cpu: '1', memory: '1Gi' },
        now: () => now,
      });
      await vols.setup();
      const first = readFileSync(join(dir, 't', 'token'), 'utf8');
      now += 0.79 * 600_000;
      expect(await vols.sync()).toEqual([]);
      now += 0.02 * 600_000;
      expect(await vols.sync()).toEqual(['t']);
      const second = readFileSync(join(dir, 't', 'token'), 'utf8');
      expect(second).not.toBe(first);
      const review = await post<{ status: { authenticated?: boolean } }>(
        '/apis/authentication.k8s.io/v1/tokenreviews',
        {
          apiVersion: 'authentication.k8s.io/v1',
          kind: 'TokenReview',
          spec: { token: second, audiences: ['renew'] },
        },
      );
      expect(review.status.authenticated).toBe(true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('stops the processes and removes the network namespace of a deleted pod; the Deployment replaces it', async () => {
    const victim = webPods[0]!;
    const name = victim.metadata!.name!;
    const info = env.agent.podInfo('apps', name)!;
    const pid = info.pids.echo!;
    expect(existsSync(`/proc/${pid}`)).toBe(true);
    await env.agent.client.request('DELETE', `/api/v1/namespaces/apps/pods/${name}`);
    await waitFor(
      async () => (await env.agent.client.getOptional(`/api/v1/namespaces/apps/pods/${name}`)) === undefined,
      {
        what: `pod ${name} to be gone`,
        timeoutMs: 30_000,
      },
    );
    expect(existsSync(`/proc/${pid}`)).toBe(false);
    expect((await cmd('ip', ['netns', 'list'])).stdout).not.toContain(info.netns!);
    expect(existsSync(`/etc/netns/${info.netns}`)).toBe(false);
    expect(env.logs('apps', name, 'echo')).toContain('SIGTERM: shutting down');
    const now = await readyPods('apps', 'app=web', 2);
    expect(now.map((p) => p.metadata!.name)).not.toContain(name);
    webPods = now;
    // The client follows: through the Service name (its ClusterIP), only the current pods answer.
    const names = now.map((p) => p.metadata!.name!);
    for (let i = 0; i < 10; i++) {
      const r = await callFrom(clientIp, 9090, 'http://web.apps.svc.cluster.local:8080/whoami');
      expect(names).toContain((JSON.parse(r.body ?? '{}') as { hostname?: string }).hostname);
    }
  });

  it('restarts a container whose liveness probe fails (restartCount increments), and runs exec probes in the container', async () => {
    await env.apply(`
apiVersion: v1
kind: Pod
metadata: {name: fragile, namespace: apps}
spec:
  terminationGracePeriodSeconds: 5
  containers:
  - name: echo
    image: dapr-ts/test-app:echo
    ports: [{name: http, containerPort: 8080}]
    livenessProbe:
      httpGet: {path: /healthz, port: http}
      periodSeconds: 1
      failureThreshold: 2
    readinessProbe:
      exec: {command: [/bin/sh, -c, "test -s /var/run/secrets/kubernetes.io/serviceaccount/token && test $(id -u) = 65532"]}
      periodSeconds: 1
`);
    const [pod] = await waitFor(
      async () => {
        const p = await get<V1Pod>('/api/v1/namespaces/apps/pods/fragile');
        return isPodReady(p) ? [p] : undefined;
      },
      { what: 'fragile to be ready (exec readiness probe)' },
    );
    const ip = pod.status!.podIP!;
    const firstPid = env.agent.podInfo('apps', 'fragile')!.pids.echo;
    await fetch(`http://${ip}:8080/sick`, { method: 'POST' });
    const restarted = await waitFor(
      async () => {
        const p = await get<V1Pod>('/api/v1/namespaces/apps/pods/fragile');
        const cs = p.status?.containerStatuses?.[0];
        return (cs?.restartCount ?? 0) >= 1 && cs?.state?.running && isPodReady(p) ? p : undefined;
      },
      { what: 'fragile to be restarted and ready again', timeoutMs: 30_000 },
    );
    const cs = restarted.status!.containerStatuses![0]!;
    expect(cs.restartCount).toBe(1);
    expect(cs.lastState?.terminated?.message).toMatch(/failed liveness probe/);
    expect(cs.lastState?.terminated?.finishedAt).toBeDefined();
    expect(env.agent.podInfo('apps', 'fragile')!.pids.echo).not.toBe(firstPid);
    expect(existsSync(`/proc/${firstPid}`)).toBe(false);
    expect(env.logs('apps', 'fragile', 'echo', { previous: true })).toContain('POST /sick');
    expect(env.logs('apps', 'fragile', 'echo')).not.toContain('POST /sick');
  });

  it('runs init containers to completion first, keeps native sidecars running, and honours restartPolicy', async () => {
    await env.apply(`
apiVersion: v1
kind: Pod
metadata: {name: staged, namespace: apps}
spec:
  restartPolicy: Never
  terminationGracePeriodSeconds: 2
  initContainers:
  - name: prepare
    image: busybox:1.36
    command: [/bin/sh, -c, "echo prepared-by-init > /var/work/ready.txt && echo x > /etc/dapr-ts-written-by-a-pod && echo y > /usr/dapr-ts-written-by-a-pod"]
    volumeMounts: [{name: work, mountPath: /var/work}]
  - name: helper
    image: dapr-ts/test-app:echo
    restartPolicy: Always
    args: ["--port", "7070"]
    startupProbe:
      tcpSocket: {port: 7070}
      periodSeconds: 1
  containers:
  - name: main
    image: busybox:1.36
    command: [/bin/sh, -c, "cat /var/work/ready.txt; exit 3"]
    securityContext: {runAsUser: 4321}
    volumeMounts: [{name: work, mountPath: /var/work}]
  volumes:
  - {name: work, emptyDir: {}}
`);
    const done = await waitFor(
      async () => {
        const p = await get<V1Pod>('/api/v1/namespaces/apps/pods/staged');
        return p.status?.phase === 'Failed' ? p : undefined;
      },
      { what: 'staged to fail (main exits 3, restartPolicy Never)', timeoutMs: 30_000 },
    );
    expect(
      done.status?.initContainerStatuses?.find((c) => c.name === 'prepare')?.state?.terminated,
    ).toMatchObject({
      exitCode: 0,
      reason: 'Completed',
    });
    expect(done.status?.containerStatuses?.[0]?.state?.terminated).toMatchObject({
      exitCode: 3,
      reason: 'Error',
    });
    expect(done.status?.containerStatuses?.[0]?.restartCount).toBe(0);
    expect(env.logs('apps', 'staged', 'main')).toContain('prepared-by-init');
    // A root container writes into its own copy-on-write layer, never into the host's directories.
    expect(existsSync('/etc/dapr-ts-written-by-a-pod')).toBe(false);
    expect(existsSync('/usr/dapr-ts-written-by-a-pod')).toBe(false);
    // The sidecar started (and passed its startup probe) before the main container, and was stopped with the pod.
    await waitFor(() => env.agent.podInfo('apps', 'staged')?.finished, { what: 'staged to be torn down' });
    expect(env.logs('apps', 'staged', 'helper')).toMatch(/echo listening on :7070[^]*SIGTERM: shutting down/);

    await env.apply(`
apiVersion: v1
kind: Pod
metadata: {name: flaky, namespace: apps}
spec:
  restartPolicy: OnFailure
  containers:
  - name: main
    image: busybox:1.36
    command: [/bin/sh, -c, "exit 1"]
`);
    const flaky = await waitFor(
      async () => {
        const p = await get<V1Pod>('/api/v1/namespaces/apps/pods/flaky');
        const cs = p.status?.containerStatuses?.[0];
        return (cs?.restartCount ?? 0) >= 2 ? cs : undefined;
      },
      { what: 'flaky to be restarted twice', timeoutMs: 30_000 },
    );
    expect(flaky.lastState?.terminated?.exitCode).toBe(1);
  });

  it('reports an unknown image as ErrImagePull with a clear message', async () => {
    await env.apply(`
apiVersion: v1
kind: Pod
metadata: {name: mystery, namespace: apps}
spec:
  containers:
  - {name: c, image: "example.com/nothing:1"}
`);
    // Past the transient PodInitializing/ContainerCreating, to the reason it stays waiting for.
    const waiting = await waitFor(
      async () => {
        const w = (await get<V1Pod>('/api/v1/namespaces/apps/pods/mystery')).status?.containerStatuses?.[0]
          ?.state?.waiting;
        return w && !['PodInitializing', 'ContainerCreating'].includes(w.reason ?? '') ? w : undefined;
      },
      { what: 'mystery to be waiting' },
    );
    expect(waiting.reason).toBe('ErrImagePull');
    expect(waiting.message).toMatch(/no local program for image "example.com\/nothing:1"/);
  });

  it('measures per-pod overhead', () => {
    const timings = env.agent.timings();
    const sandbox = timings.map((t) => t.sandboxMs).filter((x): x is number => x !== undefined);
    const ready = timings.map((t) => t.readyMs).filter((x): x is number => x !== undefined);
    const avg = (xs: number[]): number => Math.round(xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length));
    process.stdout.write(
      `[node-agent] ${timings.length} pods: sandbox setup avg ${avg(sandbox)} ms (max ${Math.max(...sandbox)}), ` +
        `agent-seen → ready avg ${avg(ready)} ms over ${ready.length} pods\n`,
    );
    expect(sandbox.length).toBeGreaterThan(0);
  });
});

describe('node agent cleanup', () => {
  it('leaves no process, namespace, link or /etc/netns dir behind after stop()', async () => {
    const pids = Object.values(env.agent.podInfo('apps', 'client')?.pids ?? {});
    expect(pids.length).toBeGreaterThan(0);
    await env.stop();
    expect(processesOfRun(runId).filter((p) => pids.includes(p))).toEqual([]);
    const left = networkLeftovers(runId);
    expect(left.netns.filter((n) => n.includes(`n${env.network.index}-`))).toEqual([]);
    expect(left.links.filter((l) => new RegExp(`^dts${env.network.index}(br|-)`).test(l))).toEqual([]);
    expect((await cmd('ip', ['link', 'show', env.network.bridge])).code).not.toBe(0);
    expect(existsSync(env.agent.dir)).toBe(false);
  });
});
