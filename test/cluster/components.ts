// Command lines for the four real Kubernetes control-plane processes of the test cluster.
// Each function is pure: paths and ports in, argv out (so the flags can be read in one place).

export interface ClusterLayout {
  readonly dir: string;
  readonly etcdClientPort: number;
  readonly etcdPeerPort: number;
  readonly apiserverPort: number;
  readonly controllerManagerPort: number;
  readonly schedulerPort: number;
  /** Address the apiserver listens on (127.0.0.1, or 0.0.0.0 when pods on a bridge must reach it). */
  readonly bindAddress: string;
  /** Address the apiserver publishes as the `kubernetes` Service endpoint. */
  readonly advertiseAddress: string;
  readonly serviceCidr: string;
  /** The apiserver's audit policy and log (TestClusterOptions.auditWatches); none by default. */
  readonly audit?: { readonly policyFile: string; readonly logFile: string };
  readonly files: {
    readonly caCert: string;
    readonly caKey: string;
    readonly apiserverCert: string;
    readonly apiserverKey: string;
    readonly saPublic: string;
    readonly saPrivate: string;
    readonly controllerManagerKubeconfig: string;
    readonly schedulerKubeconfig: string;
  };
}

/** The issuer and audience of service-account tokens, as on a kubeadm cluster. */
export const SERVICE_ACCOUNT_ISSUER = 'https://kubernetes.default.svc.cluster.local';

export function etcdArgs(l: ClusterLayout): string[] {
  const client = `http://127.0.0.1:${l.etcdClientPort}`;
  const peer = `http://127.0.0.1:${l.etcdPeerPort}`;
  return [
    '--name=dapr-ts-test',
    `--data-dir=${l.dir}/etcd`,
    `--listen-client-urls=${client}`,
    `--advertise-client-urls=${client}`,
    `--listen-peer-urls=${peer}`,
    `--initial-advertise-peer-urls=${peer}`,
    `--initial-cluster=dapr-ts-test=${peer}`,
    // A test cluster is thrown away: fsync buys nothing but slowness on a shared disk.
    '--unsafe-no-fsync=true',
    '--log-level=warn',
  ];
}

export function apiserverArgs(l: ClusterLayout): string[] {
  const f = l.files;
  return [
    `--etcd-servers=http://127.0.0.1:${l.etcdClientPort}`,
    `--bind-address=${l.bindAddress}`,
    `--advertise-address=${l.advertiseAddress}`,
    `--secure-port=${l.apiserverPort}`,
    `--tls-cert-file=${f.apiserverCert}`,
    `--tls-private-key-file=${f.apiserverKey}`,
    `--client-ca-file=${f.caCert}`,
    `--service-account-key-file=${f.saPublic}`,
    `--service-account-signing-key-file=${f.saPrivate}`,
    `--service-account-issuer=${SERVICE_ACCOUNT_ISSUER}`,
    `--api-audiences=${SERVICE_ACCOUNT_ISSUER}`,
    `--service-cluster-ip-range=${l.serviceCidr}`,
    '--authorization-mode=RBAC',
    '--allow-privileged=true',
    // Webhooks (admission and CRD conversion) are called at their Service's endpoint IPs,
    // so the cluster needs neither DNS nor kube-proxy.
    '--enable-aggregator-routing=true',
    `--cert-dir=${l.dir}/apiserver-certs`,
    '--profiling=false',
    ...(l.audit === undefined
      ? []
      : [`--audit-policy-file=${l.audit.policyFile}`, `--audit-log-path=${l.audit.logFile}`]),
    '--v=1',
  ];
}

/** An audit policy that records every watch (who, what, when it started and ended) and nothing else. */
export const WATCH_AUDIT_POLICY = `apiVersion: audit.k8s.io/v1
kind: Policy
omitStages: [RequestReceived]
rules:
  - level: Metadata
    verbs: [watch]
  - level: None
`;

export function controllerManagerArgs(l: ClusterLayout): string[] {
  const f = l.files;
  return [
    `--kubeconfig=${f.controllerManagerKubeconfig}`,
    `--authentication-kubeconfig=${f.controllerManagerKubeconfig}`,
    `--authorization-kubeconfig=${f.controllerManagerKubeconfig}`,
    '--bind-address=127.0.0.1',
    `--secure-port=${l.controllerManagerPort}`,
    `--cert-dir=${l.dir}/kcm-certs`,
    `--service-account-private-key-file=${f.saPrivate}`,
    `--root-ca-file=${f.caCert}`,
    `--cluster-signing-cert-file=${f.caCert}`,
    `--cluster-signing-key-file=${f.caKey}`,
    '--use-service-account-credentials=true',
    `--service-cluster-ip-range=${l.serviceCidr}`,
    '--leader-elect=false',
    '--controllers=*',
    '--v=1',
  ];
}

export function schedulerArgs(l: ClusterLayout): string[] {
  const f = l.files;
  return [
    `--kubeconfig=${f.schedulerKubeconfig}`,
    `--authentication-kubeconfig=${f.schedulerKubeconfig}`,
    `--authorization-kubeconfig=${f.schedulerKubeconfig}`,
    '--bind-address=127.0.0.1',
    `--secure-port=${l.schedulerPort}`,
    `--cert-dir=${l.dir}/scheduler-certs`,
    '--leader-elect=false',
    '--v=1',
  ];
}
