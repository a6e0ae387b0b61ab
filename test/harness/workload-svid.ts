// A daprd SVID from our sentry, asked for the way daprd asks: for tests that play a sidecar.
import type { CoreV1Api, V1Pod } from '@kubernetes/client-node';
import { generateKeyPairSync } from 'node:crypto';
import { TokenValidator } from '../../kit/proto/sentry.js';
import { SentryClient } from '../../kit/security/sentry-client.js';
import { createCsrPem } from '../../kit/x509/csr-builder.js';
import { createPod, ensureNamespace, ensureServiceAccount, podToken } from './kube-objects.js';
import { sentryId } from './sentry-in-cluster.js';

export interface WorkloadSvidRequest {
  readonly core: CoreV1Api;
  /** Our sentry's gRPC address and the anchors it serves under. */
  readonly sentryAddress: string;
  readonly trustAnchorsPem: Buffer;
  /** The control-plane namespace sentry runs in (its SPIFFE id and token audience). */
  readonly sentryNamespace: string;
  readonly appId: string;
  readonly namespace: string;
  /** The Pod's annotations besides dapr.io/app-id. */
  readonly annotations?: Readonly<Record<string, string>>;
  /** daprd 1.18 sends Ed25519 CSRs; P-256 is what older sidecars send. */
  readonly keyType?: 'ed25519' | 'p256';
  /** The Pod the token is bound to; default: a Pod `<app-id>-pod` made (once) for it. */
  readonly pod?: V1Pod;
}

export interface WorkloadSvid {
  readonly keyPem: Buffer;
  readonly chainPem: Buffer;
}

/**
 * A daprd SVID from our sentry, obtained exactly as daprd obtains it: the Pod it would run in
 * (created once, reused), a token bound to that Pod, a fresh key and its CSR.
 */
export async function workloadSvid(r: WorkloadSvidRequest): Promise<WorkloadSvid> {
  const { core, namespace, appId } = r;
  const pod = r.pod ?? (await podFor(core, namespace, appId, r.annotations));
  const token = await podToken(core, pod, [sentryId(r.sentryNamespace)]);
  const { privateKey } =
    r.keyType === 'p256'
      ? generateKeyPairSync('ec', { namedCurve: 'P-256' })
      : generateKeyPairSync('ed25519');
  const client = new SentryClient({
    address: r.sentryAddress,
    trustAnchorsPem: r.trustAnchorsPem,
    sentryId: sentryId(r.sentryNamespace),
  });
  try {
    const res = await client.signCertificate({
      id: appId,
      namespace,
      trustDomain: '',
      token,
      tokenValidator: TokenValidator.KUBERNETES,
      certificateSigningRequest: createCsrPem(privateKey),
      jwtAudiences: [],
    });
    return {
      keyPem: Buffer.from(privateKey.export({ type: 'pkcs8', format: 'pem' })),
      chainPem: res.workloadCertificate,
    };
  } finally {
    client.close();
  }
}

async function podFor(
  core: CoreV1Api,
  namespace: string,
  appId: string,
  annotations: Readonly<Record<string, string>> = {},
): Promise<V1Pod> {
  await ensureNamespace(core, namespace);
  await ensureServiceAccount(core, namespace, 'default');
  const name = `${appId}-pod`;
  return createPod(core, {
    namespace,
    name,
    serviceAccount: 'default',
    annotations: { 'dapr.io/app-id': appId, ...annotations },
  }).catch(async (err: { code?: number }) => {
    if (err.code !== 409) throw err;
    return core.readNamespacedPod({ namespace, name });
  });
}
