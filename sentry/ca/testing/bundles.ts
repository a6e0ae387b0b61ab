// What the CA storage tests share: the default key names and a freshly generated bundle.
import { generateBundle, type X509Bundle } from '../bundle.js';
import { bundleKeys, type BundleKeys } from '../bundle-layout.js';

/** ca.crt, issuer.crt, issuer.key: the chart's names. */
export const TEST_KEYS: BundleKeys = bundleKeys({
  rootCaFilename: 'ca.crt',
  issuerCertFilename: 'issuer.crt',
  issuerKeyFilename: 'issuer.key',
});

/** A new root and issuer for cluster.local, control plane in dapr-system. */
export function testBundle(): X509Bundle {
  return generateBundle({
    trustDomain: 'cluster.local',
    controlPlaneNamespace: 'dapr-system',
    allowedClockSkewMs: 0,
  });
}
