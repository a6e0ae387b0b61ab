// docs/contracts/injector-and-chart.md §4: the injector's SVID request (dapr-injector in its namespace, an RSA
// key, the control-plane trust domain, the token) and the DNS name check, with sentry's CA
// in-process as the signer.
import { TokenValidator } from '../kit/proto/sentry.js';
import { afterEach, describe, expect, it } from '@jest/globals';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HealthTargets } from '../kit/health-targets.js';
import { type SecurityProvider, type SignRequest, type Signer } from '../kit/security/provider.js';
import { recordingLogger, type RecordingLogger } from '../kit/testing/logger.js';
import { csrPublicKeyInfo, TestPki } from '../kit/testing/test-pki.js';
import { waitFor } from '../kit/testing/wait.js';
import { readInjectorEnv, type InjectorOptions } from './options.js';
import { CHART_ENV } from './patcher/testing/fixtures.js';
import { injectorSecurity, injectorServiceDnsName } from './security.js';

const pki = new TestPki();

/** A CA like sentry's, adding the given DNS names. */
function caSigner(requests: SignRequest[], dnsNames: readonly string[]): Signer {
  return (request) => {
    requests.push(request);
    const identity = {
      trustDomain: request.trustDomain,
      namespace: request.namespace,
      appId: request.id,
      dnsNames,
    };
    return Promise.resolve({ workloadCertificate: pki.sign(csrPublicKeyInfo(request.csrPem), identity) });
  };
}

describe('the injector security provider', () => {
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  function start(sign: Signer): { provider: SecurityProvider; targets: HealthTargets; log: RecordingLogger } {
    const dir = mkdtempSync(join(tmpdir(), 'dapr-ts-injector-security-'));
    writeFileSync(join(dir, 'ca.crt'), pki.trustAnchorsPem);
    writeFileSync(join(dir, 'token'), 'the-token');
    const options = {
      env: readInjectorEnv({ ...CHART_ENV, DAPR_TRUST_ANCHORS_FILE: join(dir, 'ca.crt') }),
    } as InjectorOptions;
    const targets = new HealthTargets();
    const log = recordingLogger();
    const provider = injectorSecurity(
      options,
      { DAPR_SENTRY_TOKEN_FILE: join(dir, 'token') },
      log,
      targets.addTarget('security-provider'),
      sign,
    );
    const ac = new AbortController();
    const running = provider.run(ac.signal);
    cleanups.push(async () => {
      ac.abort();
      await running;
      rmSync(dir, { recursive: true, force: true });
    });
    return { provider, targets, log };
  }

  it('asks for dapr-injector with an RSA key and holds a certificate for the Service DNS name', async () => {
    const requests: SignRequest[] = [];
    const { provider, targets } = start(caSigner(requests, [injectorServiceDnsName('dapr-system')]));
    await provider.ready();
    expect(targets.isHealthy()).toBe(true);
    expect(requests[0]).toMatchObject({
      id: 'dapr-injector',
      namespace: 'dapr-system',
      trustDomain: 'cluster.local',
      token: 'the-token',
      tokenValidator: TokenValidator.KUBERNETES,
    });
    const leaf = new X509Certificate(provider.svid!.certChainPem);
    expect(leaf.publicKey.asymmetricKeyType).toBe('rsa');
    expect(leaf.subjectAltName).toContain('DNS:dapr-sidecar-injector.dapr-system.svc');
    expect(leaf.subjectAltName).toContain('URI:spiffe://cluster.local/ns/dapr-system/dapr-injector');
  });

  it('refuses a certificate without the DNS name (the apiserver would refuse it)', async () => {
    const requests: SignRequest[] = [];
    const { provider, targets, log } = start(caSigner(requests, []));
    await waitFor(() => requests.length >= 2, { what: 'a retry', timeoutMs: 5_000, intervalMs: 20 });
    expect(provider.svid).toBeUndefined();
    expect(targets.isHealthy()).toBe(false);
    expect(
      log.lines.some((l) => l.msg.includes('lacks the DNS names ["dapr-sidecar-injector.dapr-system.svc"]')),
    ).toBe(true);
  });
});
