// What sentry does at startup with the CA bundle it finds stored (docs/contracts/sentry.md §5; the stored
// layout is bundle-layout.ts), as pure functions: generate, use, or fail with a reason.
//
// Deliberate divergences from upstream, which fails when Helm did not create the two objects,
// and regenerates a brand-new CA (overwriting the Secret and ConfigMap) whenever anything is
// missing or differs:
// - a missing Secret or ConfigMap is created (sentry run outside the chart, or deleted objects);
// - a Secret with only some of its three keys is a fatal error, not a reason to replace them;
// - a ConfigMap without ca.crt is rewritten from the Secret, keeping the Secret's CA;
// - a ConfigMap whose ca.crt lacks the Secret's anchors is reported loudly and left alone (it
//   may be mid-rotation); the Secret's CA is used.
import { certificatesFromPem } from '../../kit/x509/pem.js';
import type { BundlePems } from './bundle.js';
import {
  readSecret,
  TRUST_BUNDLE_NAME,
  type BundleKeys,
  type ConfigMapShape,
  type SecretShape,
  type StoredPems,
} from './bundle-layout.js';

export interface Finding {
  readonly level: 'info' | 'warn' | 'error';
  readonly message: string;
}

export type StartupDecision =
  /** Generate a new root and issuer and write them (Secret and ConfigMap, or files). */
  | { readonly action: 'generate'; readonly findings: readonly Finding[] }
  /** Load and verify these PEMs (a bad bundle is fatal); maybe rewrite the ConfigMap's ca.crt. */
  | {
      readonly action: 'use';
      readonly pems: BundlePems;
      readonly writeConfigMap: boolean;
      readonly findings: readonly Finding[];
    }
  /** Stop: the message says what the operator must fix. */
  | { readonly action: 'fail'; readonly reason: string };

/** All three parts, none, or a fatal "partial" decision. */
function completeness(
  stored: StoredPems,
  where: string,
  keys: BundleKeys,
): StartupDecision | BundlePems | undefined {
  const parts = [
    [keys.trustAnchors, stored.trustAnchors],
    [keys.issuerChain, stored.issuerChain],
    [keys.issuerKey, stored.issuerKey],
  ] as const;
  const missing = parts.filter(([, v]) => v === undefined).map(([k]) => k);
  if (missing.length === 3) return undefined;
  if (missing.length > 0) {
    return {
      action: 'fail',
      reason: `${where} has only part of the CA bundle (missing ${missing.join(', ')}): provide all three, or remove them all to have sentry generate a new CA`,
    };
  }
  return {
    trustAnchors: stored.trustAnchors!,
    issuerChain: stored.issuerChain!,
    issuerKey: stored.issuerKey!,
  };
}

const fingerprints = (pem: Buffer | string): Set<string> =>
  new Set(certificatesFromPem(pem).map((der) => der.toString('base64')));

export interface KubernetesStartupInput {
  readonly secret: SecretShape | undefined;
  readonly configMap: ConfigMapShape | undefined;
  readonly keys: BundleKeys;
  readonly namespace: string;
}

/** Why a new CA is generated, and what it replaces. */
function generateFindings(
  secretExists: boolean,
  configMapAnchors: string,
  object: (kind: string) => string,
): Finding[] {
  const findings: Finding[] = [
    {
      level: 'info',
      message: secretExists
        ? 'No CA bundle stored: generating a self-signed root and issuer'
        : `${object('Secret')} not found: generating a self-signed root and issuer and creating it`,
    },
  ];
  if (configMapAnchors !== '') {
    findings.push({
      level: 'warn',
      message: `${object('ConfigMap')} has a ca.crt but the Secret is empty: replacing it`,
    });
  }
  return findings;
}

/** The ConfigMap's anchors differ from the Secret's: a rotation in progress, or a mismatch. */
function mismatchFinding(configMapAnchors: string, secretAnchors: Buffer, where: string): Finding {
  const published = fingerprints(configMapAnchors);
  const missing = [...fingerprints(secretAnchors)].filter((f) => !published.has(f)).length;
  if (missing === 0)
    return { level: 'info', message: `${where} carries more anchors than the Secret (rotation?)` };
  return {
    level: 'error',
    message: `${where} lacks ${missing} of the Secret's trust anchors: control-plane services will not trust certificates from this CA until both hold the same anchors (the Secret is used; nothing is overwritten)`,
  };
}

export function decideKubernetesStartup(input: KubernetesStartupInput): StartupDecision {
  const { secret, configMap, keys, namespace } = input;
  const object = (kind: string): string => `${kind} ${namespace}/${TRUST_BUNDLE_NAME}`;
  const found = completeness(readSecret(secret ?? {}, keys), object('Secret'), keys);
  const configMapAnchors = configMap?.data?.[keys.trustAnchors] ?? '';
  if (found === undefined) {
    return { action: 'generate', findings: generateFindings(secret !== undefined, configMapAnchors, object) };
  }
  if ('action' in found) return found;
  if (configMapAnchors === '') {
    const message =
      configMap === undefined
        ? `${object('ConfigMap')} not found: creating it from the Secret`
        : `${object('ConfigMap')} has no ${keys.trustAnchors}: writing it from the Secret`;
    return { action: 'use', pems: found, writeConfigMap: true, findings: [{ level: 'warn', message }] };
  }
  if (Buffer.from(configMapAnchors, 'utf8').equals(found.trustAnchors)) {
    return { action: 'use', pems: found, writeConfigMap: false, findings: [] };
  }
  const finding = mismatchFinding(
    configMapAnchors,
    found.trustAnchors,
    `${object('ConfigMap')} ${keys.trustAnchors}`,
  );
  return { action: 'use', pems: found, writeConfigMap: false, findings: [finding] };
}

/** Self-hosted: the three files, each undefined when missing or empty. */
export function decideSelfHostedStartup(
  files: StoredPems,
  directory: string,
  keys: BundleKeys,
): StartupDecision {
  const found = completeness(files, `the credentials directory ${directory}`, keys);
  if (found === undefined) {
    return {
      action: 'generate',
      findings: [{ level: 'info', message: 'No CA files found: generating a self-signed root and issuer' }],
    };
  }
  if ('action' in found) return found;
  return { action: 'use', pems: found, writeConfigMap: false, findings: [] };
}
