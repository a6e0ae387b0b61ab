// Kubeconfig reading on hostile input (issue 15): any file gives a connection or a
// KubeConfigError, in time linear in the file.
import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { KubeConfigError, loadKubeConnection, type ConfigFiles } from './config.js';
import { growth, hostileText, LINEAR_RATIO_LIMIT, PROPERTY_RUNS } from '../testing/hostile.js';

function files(kubeconfig: string): ConfigFiles {
  return {
    read: (path) => {
      if (path !== '/kubeconfig') throw new Error(`no file ${path}`);
      return Buffer.from(kubeconfig);
    },
    exists: (path) => path === '/kubeconfig',
  };
}

const load = (text: string): Promise<unknown> =>
  loadKubeConnection({ kubeconfig: '/kubeconfig', env: {}, files: files(text) });

const kubeconfig = (server: string): string => `apiVersion: v1
kind: Config
current-context: c
contexts: [{name: c, context: {cluster: k, user: u}}]
clusters: [{name: k, cluster: {server: "${server}"}}]
users: [{name: u, user: {token: t}}]
`;

describe('kubeconfig on hostile input (issue 15)', () => {
  it('reads a well-formed kubeconfig, trailing slashes of the server dropped', async () => {
    await expect(load(kubeconfig('https://k:6443//'))).resolves.toMatchObject({
      server: 'https://k:6443',
      token: 't',
    });
  });

  it('property: any text gives a connection or a KubeConfigError', async () => {
    const alphabet = [
      'current-context: c\n',
      'contexts:',
      'clusters:',
      'users:',
      '- ',
      '{',
      '}',
      '[',
      ']',
      ':',
      '\n',
      '&a ',
      '*a',
      'name: c',
      'server: /',
    ];
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(hostileText(alphabet), fc.constant(kubeconfig('https://k'))),
        async (text) => {
          const outcome = await load(text).then(
            () => undefined,
            (err: unknown) => err,
          );
          if (outcome !== undefined) expect(outcome).toBeInstanceOf(KubeConfigError);
        },
      ),
      { numRuns: PROPERTY_RUNS },
    );
  });

  it.each([
    [
      'a server of slashes ending in a letter',
      (n: number): string => kubeconfig(`https://k${'/'.repeat(n)}a`),
    ],
    ['many contexts', (n: number): string => `${kubeconfig('https://k')}\n# ${'x'.repeat(n)}`],
  ])('time grows linearly: %s', async (_name, make) => {
    const g = await growth(make, load, 64 * 1024);
    expect(g.ratio).toBeLessThan(LINEAR_RATIO_LIMIT);
  });
});
