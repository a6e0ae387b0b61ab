// A test environment with pods that really run: a pod network (bridge), the test cluster
// (apiserver reachable from pods at the bridge's host address) and a node agent that runs
// every pod the scheduler binds to its Node. stop() removes all of it, in reverse order, and
// also cleans up after a start that failed half-way.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { startTestCluster, type TestCluster, type TestClusterOptions } from '../cluster/cluster.js';
import { NodeAgent, type NodeAgentOptions } from '../node-agent/agent.js';
import { PodNetwork } from '../node-agent/network.js';
import { runId } from '../../kit/testing/managed-process.js';
import { kubectl, type ToolResult } from './tools.js';

export interface TestEnvironmentOptions {
  readonly cluster?: Omit<TestClusterOptions, 'hostIps'>;
  readonly agent?: Partial<
    Omit<NodeAgentOptions, 'credentials' | 'apiserverPort' | 'network' | 'serviceCidr'>
  >;
}

export interface TestEnvironment {
  readonly cluster: TestCluster;
  readonly network: PodNetwork;
  readonly agent: NodeAgent;
  /** Milliseconds each part took to start. */
  readonly startup: { readonly networkMs: number; readonly clusterMs: number; readonly agentMs: number };
  /** `kubectl logs` equivalent. */
  logs(namespace: string, pod: string, container?: string, opts?: { previous?: boolean }): string;
  /**
   * The last `lines` log lines of every pod the agent ran in `namespace` whose name starts with
   * `podPrefix` (gone ones included), one block per pod: what a failure message needs.
   */
  logTails(namespace: string, podPrefix: string, lines?: number): string;
  /** `kubectl apply -f -` with the given YAML text; rejects with kubectl's output on failure. */
  apply(yaml: string): Promise<ToolResult>;
  kubectl(args: readonly string[]): Promise<ToolResult>;
  stop(): Promise<void>;
}

export async function startTestEnvironment(opts: TestEnvironmentOptions = {}): Promise<TestEnvironment> {
  const t0 = Date.now();
  const network = await PodNetwork.create({ runId, tag: randomBytes(3).toString('hex') });
  const t1 = Date.now();
  let cluster: TestCluster | undefined;
  let agent: NodeAgent | undefined;
  const stop = async (): Promise<void> => {
    await agent?.stop();
    await cluster?.stop();
    await network.destroy();
  };
  try {
    cluster = await startTestCluster({ ...opts.cluster, hostIps: [network.hostIp] });
    const t2 = Date.now();
    const admin = cluster.pki.clients.admin;
    agent = new NodeAgent({
      ...opts.agent,
      credentials: {
        server: cluster.server,
        caPem: cluster.pki.ca.certPem,
        certPem: admin.certPem,
        keyPem: admin.keyPem,
      },
      apiserverPort: cluster.layout.apiserverPort,
      serviceCidr: cluster.layout.serviceCidr,
      network,
    });
    await agent.start();
    const t3 = Date.now();
    const c = cluster;
    const a = agent;
    const kc = (args: readonly string[]): Promise<ToolResult> =>
      kubectl(args, { kubeconfig: c.kubeconfigPath });
    return {
      cluster: c,
      network,
      agent: a,
      startup: { networkMs: t1 - t0, clusterMs: t2 - t1, agentMs: t3 - t2 },
      logs: (ns, pod, container, o) => a.logs(ns, pod, container, o),
      logTails: (namespace, podPrefix, lines = 30) =>
        a
          .timings()
          .filter((t) => t.pod.startsWith(`${namespace}/${podPrefix}`))
          .map((t) => {
            const [ns, name] = t.pod.split('/') as [string, string];
            try {
              return `--- ${t.pod} ---\n${a.logs(ns, name).split('\n').slice(-lines).join('\n')}`;
            } catch (err) {
              return `--- ${t.pod}: ${(err as Error).message}`;
            }
          })
          .join('\n'),
      kubectl: kc,
      apply: async (yaml) => {
        const dir = mkdtempSync(join(tmpdir(), `dapr-ts-${runId}-apply-`));
        try {
          const file = join(dir, 'manifest.yaml');
          writeFileSync(file, yaml);
          const r = await kc(['apply', '-f', file]);
          if (r.code !== 0) throw new Error(`kubectl apply failed (${r.code}): ${r.stderr}${r.stdout}`);
          return r;
        } finally {
          rmSync(dir, { recursive: true, force: true });
        }
      },
      stop,
    };
  } catch (err) {
    await stop().catch(() => undefined);
    throw err;
  }
}
