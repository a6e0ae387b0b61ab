#!/usr/bin/env node
// `npm start`: the local real Kubernetes control plane (etcd, kube-apiserver, controller
// manager, scheduler), a node agent that runs the pods scheduled to it, and the dapr.io CRDs
// from crds/, kept running until Ctrl-C.
// Flags: --exit-when-ready (start, print, stop: used by the tests of this command).
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { ApiextensionsV1Api, type V1CustomResourceDefinition } from '@kubernetes/client-node';
import { binDir, cacheDir, fetchScript, repoRoot } from '../deps/paths.js';
import type { TestCluster } from '../cluster/cluster.js';
import { startTestEnvironment } from '../harness/environment.js';

const say = (msg: string): void => void process.stdout.write(`[dapr-ts] ${msg}\n`);

function fetchDependencies(): void {
  say('making sure the real components are built (cached after the first run)');
  const r = spawnSync('bash', [fetchScript, 'kubernetes', 'helm-kubectl'], { stdio: 'inherit' });
  if (r.status !== 0) throw new Error('fetching the test dependencies failed (see the lines above)');
}

async function applyCrds(cluster: TestCluster): Promise<string[]> {
  const dir = join(repoRoot, 'crds');
  if (!existsSync(dir)) return [];
  const api = cluster.kubeConfig.makeApiClient(ApiextensionsV1Api);
  const names: string[] = [];
  for (const file of readdirSync(dir)
    .filter((f) => f.endsWith('.yaml'))
    .sort()) {
    for (const doc of parseAllDocuments(readFileSync(join(dir, file), 'utf8'))) {
      const crd = doc.toJS() as V1CustomResourceDefinition | null;
      if (crd?.kind !== 'CustomResourceDefinition') continue;
      await api.createCustomResourceDefinition({ body: crd });
      names.push(crd.metadata?.name ?? file);
    }
  }
  return names;
}

async function main(): Promise<void> {
  const exitWhenReady = process.argv.includes('--exit-when-ready');
  fetchDependencies();
  say('starting etcd, kube-apiserver, kube-controller-manager, kube-scheduler and a node agent');
  const env = await startTestEnvironment();
  const { cluster } = env;
  let stopping = false;
  const stop = async (why: string): Promise<void> => {
    if (stopping) return;
    stopping = true;
    say(`${why}: stopping the cluster`);
    await env.stop();
    say('stopped; nothing left running');
  };
  process.once('SIGINT', () => void stop('Ctrl-C').then(() => process.exit(0)));
  process.once('SIGTERM', () => void stop('SIGTERM').then(() => process.exit(0)));
  try {
    const crds = await applyCrds(cluster);
    say(crds.length > 0 ? `applied CRDs: ${crds.join(', ')}` : 'no CRDs in crds/ yet');
    const kubeconfig = join(cacheDir, 'demo', 'kubeconfig');
    mkdirSync(join(cacheDir, 'demo'), { recursive: true });
    copyFileSync(cluster.kubeconfigPath, kubeconfig);
    say(
      `the cluster is ready at ${cluster.server}, node ${env.agent.nodeName}; container logs under ${env.agent.dir}`,
    );
    say('in another terminal:');
    process.stdout.write(
      [
        `  export KUBECONFIG=${kubeconfig} PATH=${binDir}:$PATH`,
        '  kubectl get nodes',
        '  kubectl create deployment hello --image=dapr-ts/test-app:echo --port=8080',
        '  kubectl get pods -o wide',
        '  helm list -A',
        '',
      ].join('\n'),
    );
    if (exitWhenReady) {
      await stop('--exit-when-ready');
      return;
    }
    say('press Ctrl-C to stop');
    await new Promise(() => undefined); // until a signal handler exits the process
  } catch (err) {
    await stop('error');
    throw err;
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`[dapr-ts] ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
