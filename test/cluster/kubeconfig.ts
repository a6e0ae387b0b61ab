// Kubeconfig files for the test cluster's users, with the certificates inlined so a file
// is self-contained (kubectl, helm and client-node all read it as is).
import { writeFileSync } from 'node:fs';
import { stringify } from 'yaml';
import type { KeyPairPem } from './pki.js';

export interface KubeconfigOptions {
  readonly server: string;
  readonly caPem: string;
  readonly user: string;
  readonly client: KeyPairPem;
  /** Default namespace of the context. */
  readonly namespace?: string;
}

const b64 = (s: string): string => Buffer.from(s).toString('base64');

export function kubeconfigYaml(opts: KubeconfigOptions): string {
  return stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [
      {
        name: 'dapr-ts-test',
        cluster: { server: opts.server, 'certificate-authority-data': b64(opts.caPem) },
      },
    ],
    users: [
      {
        name: opts.user,
        user: {
          'client-certificate-data': b64(opts.client.certPem),
          'client-key-data': b64(opts.client.keyPem),
        },
      },
    ],
    contexts: [
      {
        name: 'dapr-ts-test',
        context: { cluster: 'dapr-ts-test', user: opts.user, namespace: opts.namespace ?? 'default' },
      },
    ],
    'current-context': 'dapr-ts-test',
  });
}

export function writeKubeconfig(path: string, opts: KubeconfigOptions): string {
  writeFileSync(path, kubeconfigYaml(opts), { mode: 0o600 });
  return path;
}
