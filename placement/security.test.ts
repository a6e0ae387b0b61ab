// The SVID provider as placement runs it, with the signer replaced by a test CA in-process:
// the request sent, the verification of the answer, and a server secured by the provider.
import { TokenValidator } from '../kit/proto/sentry.js';
import { afterEach, describe, expect, it } from '@jest/globals';
import { credentials, experimental } from '@grpc/grpc-js';
import { createPublicKey } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HealthTargets } from '../kit/health-targets.js';
import { SecurityProvider, type SignRequest, type Signer } from '../kit/security/provider.js';
import { recordingLogger } from '../kit/testing/logger.js';
import { createCsrPem } from '../kit/x509/csr-builder.js';
import { checkServerSpiffeId } from '../kit/security/sentry-client.js';
import { PlacementServer } from './server/server.js';
import { loopbackServerOptions } from './server/testing/loopback.js';
import { TestDaprd } from './server/testing/test-daprd.js';
import { csrPublicKeyInfo, TestPki } from '../kit/testing/test-pki.js';

const PLACEMENT_ID = 'spiffe://cluster.local/ns/dapr-system/dapr-placement';

function caSigner(pki: TestPki, requests: SignRequest[], override?: { appId?: string }): Signer {
  return (request) => {
    requests.push(request);
    const identity = {
      trustDomain: request.trustDomain,
      namespace: request.namespace,
      appId: override?.appId ?? request.id,
    };
    return Promise.resolve({ workloadCertificate: pki.sign(csrPublicKeyInfo(request.csrPem), identity) });
  };
}

describe('placement security provider', () => {
  const cleanups: (() => void | Promise<void>)[] = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  function setup(sign: Signer): { provider: SecurityProvider; targets: HealthTargets } {
    const pki = new TestPki();
    const dir = mkdtempSync(join(tmpdir(), 'dapr-ts-security-'));
    const anchorsFile = join(dir, 'ca.crt');
    writeFileSync(anchorsFile, pki.trustAnchorsPem);
    writeFileSync(join(dir, 'token'), 'the-token');
    const targets = new HealthTargets();
    const provider = new SecurityProvider({
      appId: 'dapr-placement',
      namespace: 'dapr-system',
      trustDomain: 'cluster.local',
      trustAnchorsFile: anchorsFile,
      sentryAddress: '127.0.0.1:1',
      keyAlgorithm: 'ed25519',
      kubernetesMode: true,
      env: { DAPR_SENTRY_TOKEN_FILE: join(dir, 'token') },
      createCsrPem,
      sign,
      log: recordingLogger(),
      health: targets.addTarget('security-provider'),
      retryMs: 20,
    });
    const ac = new AbortController();
    const done = provider.run(ac.signal);
    cleanups.push(async () => {
      ac.abort();
      await done;
      rmSync(dir, { recursive: true, force: true });
    });
    return { provider, targets };
  }

  it('asks for dapr-placement with the token, KUBERNETES, the trust domain and an Ed25519 CSR', async () => {
    const requests: SignRequest[] = [];
    const pki = new TestPki();
    const { provider, targets } = setup(caSigner(pki, requests));
    // the provider's own anchors differ from `pki`'s: it must refuse that answer and retry
    await new Promise((r) => setTimeout(r, 100));
    expect(provider.svid).toBeUndefined();
    expect(targets.isHealthy()).toBe(false);
    expect(requests.length).toBeGreaterThan(1);
    expect(requests[0]).toMatchObject({
      id: 'dapr-placement',
      namespace: 'dapr-system',
      trustDomain: 'cluster.local',
      token: 'the-token',
      tokenValidator: TokenValidator.KUBERNETES,
    });
    const csrKey = createPublicKey({
      key: csrPublicKeyInfo(requests[0]!.csrPem),
      format: 'der',
      type: 'spki',
    });
    expect(csrKey.asymmetricKeyType).toBe('ed25519');
  });

  it('secures the placement server: a CA-issued daprd is served, another CA is refused', async () => {
    // The anchors file and the signer share one CA.
    const shared = new TestPki();
    const { provider, targets } = setupWith(shared, caSigner(shared, []));
    await provider.ready();
    expect(targets.isHealthy()).toBe(true);
    expect(provider.svid?.spiffeId).toBe(PLACEMENT_ID);

    const ac = new AbortController();
    let port = 0;
    const server = new PlacementServer(
      loopbackServerOptions({
        credentials: experimental.createCertificateProviderServerCredentials(provider, provider, true),
        mtls: true,
        onListening: (p) => (port = p),
        shutdownGraceMs: 100,
      }),
    );
    const running = server.run(ac.signal);
    cleanups.push(async () => {
      ac.abort();
      await running;
    });
    while (port === 0) await new Promise((r) => setTimeout(r, 10));

    const connect = (issuer: TestPki, id: string): TestDaprd => {
      const svid = issuer.svid({ trustDomain: 'cluster.local', namespace: 'default', appId: id });
      const d = new TestDaprd({
        address: `127.0.0.1:${port}`,
        name: `${id}:50002`,
        id,
        entities: ['A'],
        credentials: credentials.createSsl(shared.trustAnchorsPem, svid.keyPem, svid.certChainPem, {
          checkServerIdentity: (_h, cert) => checkServerSpiffeId(cert, PLACEMENT_ID),
        }),
      });
      cleanups.push(() => d.close());
      return d;
    };
    const good = connect(shared, 'good');
    await good.until((d) => d.ops.length >= 3);
    expect(good.ops).toEqual(['lock:1', 'update:1', 'unlock:1']);
    const bad = connect(new TestPki(), 'bad');
    expect((await bad.closed())?.code).toBe(14);
    expect(bad.orders).toEqual([]);
  });

  function setupWith(pki: TestPki, sign: Signer): { provider: SecurityProvider; targets: HealthTargets } {
    const dir = mkdtempSync(join(tmpdir(), 'dapr-ts-security-'));
    const anchorsFile = join(dir, 'ca.crt');
    writeFileSync(anchorsFile, pki.trustAnchorsPem);
    const targets = new HealthTargets();
    const provider = new SecurityProvider({
      appId: 'dapr-placement',
      namespace: 'dapr-system',
      trustDomain: 'cluster.local',
      trustAnchorsFile: anchorsFile,
      sentryAddress: '127.0.0.1:1',
      keyAlgorithm: 'ed25519',
      kubernetesMode: false,
      env: {},
      createCsrPem,
      sign,
      log: recordingLogger(),
      health: targets.addTarget('security-provider'),
      retryMs: 20,
    });
    const ac = new AbortController();
    const done = provider.run(ac.signal);
    cleanups.push(async () => {
      ac.abort();
      await done;
      rmSync(dir, { recursive: true, force: true });
    });
    return { provider, targets };
  }

  it('refuses a certificate for another identity', async () => {
    const shared = new TestPki();
    const requests: SignRequest[] = [];
    const { provider } = setupWith(shared, caSigner(shared, requests, { appId: 'dapr-operator' }));
    await new Promise((r) => setTimeout(r, 100));
    expect(requests.length).toBeGreaterThan(0);
    expect(provider.svid).toBeUndefined();
  });
});
