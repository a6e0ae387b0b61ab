import { describe, expect, it } from '@jest/globals';
import { parse, stringify } from 'yaml';
import {
  IN_CLUSTER_CA_FILE,
  IN_CLUSTER_TOKEN_FILE,
  inClusterConnection,
  kubeconfigConnection,
  KubeConfigError,
  loadKubeConnection,
  type ConfigFiles,
} from './config.js';

function files(contents: Readonly<Record<string, string>>): ConfigFiles {
  return {
    exists: (path) => path in contents,
    read: (path) => {
      const text = contents[path];
      if (text === undefined) throw new Error(`ENOENT: ${path}`);
      return Buffer.from(text);
    },
  };
}

const b64 = (s: string): string => Buffer.from(s).toString('base64');

function kubeconfig(user: Record<string, unknown>, cluster: Record<string, unknown> = {}): string {
  return stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: 'c', cluster: { server: 'https://10.0.0.1:6443/', ...cluster } }],
    users: [{ name: 'u', user }],
    contexts: [{ name: 'ctx', context: { cluster: 'c', user: 'u' } }],
    'current-context': 'ctx',
  });
}

describe('how a service reaches the apiserver (utils.GetConfig order)', () => {
  const podFiles = files({ [IN_CLUSTER_TOKEN_FILE]: 'tok', [IN_CLUSTER_CA_FILE]: 'CA' });

  it('in a pod: the service host and port, the mounted CA and the token file', () => {
    const env = { KUBERNETES_SERVICE_HOST: '10.96.0.1', KUBERNETES_SERVICE_PORT: '443' };
    expect(inClusterConnection(env, podFiles)).toEqual({
      server: 'https://10.96.0.1:443',
      ca: Buffer.from('CA'),
      tokenFile: IN_CLUSTER_TOKEN_FILE,
      insecureSkipTlsVerify: false,
      source: 'in-cluster',
    });
    expect(
      inClusterConnection({ KUBERNETES_SERVICE_HOST: 'fd00::1', KUBERNETES_SERVICE_PORT: '443' }, podFiles)
        ?.server,
    ).toBe('https://[fd00::1]:443');
  });

  it('outside a pod (no env, or no token): not in-cluster', () => {
    expect(inClusterConnection({}, podFiles)).toBeUndefined();
    expect(
      inClusterConnection({ KUBERNETES_SERVICE_HOST: 'h', KUBERNETES_SERVICE_PORT: '1' }, files({})),
    ).toBeUndefined();
  });

  it('prefers in-cluster over --kubeconfig, as upstream', async () => {
    const env = { KUBERNETES_SERVICE_HOST: '10.96.0.1', KUBERNETES_SERVICE_PORT: '443' };
    expect((await loadKubeConnection({ kubeconfig: '/nope', env, files: podFiles })).source).toBe(
      'in-cluster',
    );
  });

  it('reads inline certificate data and a token from the current context', () => {
    const text = kubeconfig(
      { 'client-certificate-data': b64('CERT'), 'client-key-data': b64('KEY'), token: 't' },
      { 'certificate-authority-data': b64('CA'), 'tls-server-name': 'kubernetes' },
    );
    expect(kubeconfigConnection(parse(text), '/home/me/.kube/config', files({}))).toMatchObject({
      server: 'https://10.0.0.1:6443',
      ca: Buffer.from('CA'),
      clientCert: Buffer.from('CERT'),
      clientKey: Buffer.from('KEY'),
      token: 't',
      tlsServerName: 'kubernetes',
      insecureSkipTlsVerify: false,
      source: 'kubeconfig /home/me/.kube/config',
    });
  });

  it('resolves certificate files and tokenFile relative to the kubeconfig', () => {
    const text = kubeconfig(
      { 'client-certificate': 'pki/me.crt', 'client-key': '/abs/me.key', tokenFile: 'tok' },
      { 'certificate-authority': 'pki/ca.crt', 'insecure-skip-tls-verify': true },
    );
    const read = files({ '/cfg/pki/me.crt': 'CERT', '/abs/me.key': 'KEY', '/cfg/pki/ca.crt': 'CA' });
    expect(kubeconfigConnection(parse(text), '/cfg/kubeconfig', read)).toMatchObject({
      ca: Buffer.from('CA'),
      clientCert: Buffer.from('CERT'),
      clientKey: Buffer.from('KEY'),
      tokenFile: '/cfg/tok',
      insecureSkipTlsVerify: true,
    });
  });

  it.each([
    ['an exec user', kubeconfig({ exec: { command: 'aws' } }), /exec or auth-provider/],
    ['an auth-provider user', kubeconfig({ 'auth-provider': { name: 'gcp' } }), /exec or auth-provider/],
    ['no current context', stringify({ clusters: [] }), /no current-context/],
    ['an empty document', '', /is empty/],
    [
      'a context naming no cluster',
      stringify({ 'current-context': 'x', contexts: [] }),
      /no context named "x"/,
    ],
    [
      'a missing CA file',
      kubeconfig({}, { 'certificate-authority': 'gone.crt' }),
      /cannot read certificate-authority/,
    ],
  ])('refuses %s with a clear error', (_name, text, message) => {
    expect(() => kubeconfigConnection(parse(text), '/cfg/kubeconfig', files({}))).toThrow(KubeConfigError);
    expect(() => kubeconfigConnection(parse(text), '/cfg/kubeconfig', files({}))).toThrow(message);
  });

  it('needs a readable, valid kubeconfig outside a pod', async () => {
    const load = (kubeconfig: string, contents: Record<string, string>, env = {}): Promise<unknown> =>
      loadKubeConnection({ kubeconfig, env, files: files(contents) });
    await expect(load('', {})).rejects.toThrow(/no kubeconfig given/);
    await expect(load('/missing', {})).rejects.toThrow(/cannot read kubeconfig \/missing/);
    await expect(load('/bad', { '/bad': 'a: [' })).rejects.toThrow(/kubeconfig \/bad is not valid YAML/);
    await expect(load('', { '/k': kubeconfig({ token: 't' }) }, { KUBECONFIG: '/k' })).resolves.toMatchObject(
      {
        token: 't',
      },
    );
  });
});
