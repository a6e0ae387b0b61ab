// A pod's volumes on the host, under the pod's directory: emptyDir, configMap, secret,
// downwardAPI and projected (serviceAccountToken from a real TokenRequest bound to the pod,
// configMap, secret, downwardAPI). Content volumes are published with the kubelet's atomic
// layout (atomic-writer.ts) and kept current by sync(): ConfigMaps and Secrets are re-read, and
// each token is renewed once 80% of its lifetime has passed (as a kubelet does).
// Containers see the directories through bind mounts (see launcher.ts).
import type {
  V1ConfigMap,
  V1DownwardAPIVolumeFile,
  V1KeyToPath,
  V1Pod,
  V1Secret,
  V1ServiceAccountTokenProjection,
  V1Volume,
  V1VolumeProjection,
} from '@kubernetes/client-node';
import { chmodSync, chownSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { writeAtomically, type VolumeFile } from './atomic-writer.js';
import { resolveFieldRef, resolveResourceField, type EnvSources } from './env.js';
import type { KubeClient } from './kube-client.js';

export interface VolumeContext {
  readonly client: KubeClient;
  readonly podIp: string;
  readonly hostIp: string;
  readonly nodeAllocatable: EnvSources['nodeAllocatable'];
  /** Owner of projected token files (kubelet: the pods' common runAsUser, if any). */
  readonly tokenUid?: number;
  /** Share of a token's lifetime after which it is renewed. */
  readonly refreshFraction?: number;
  readonly now?: () => number;
}

interface IssuedToken {
  readonly token: string;
  readonly issuedAt: number;
  readonly expiresAt: number;
}

const DEFAULT_MODE = 0o644;

export class VolumeError extends Error {}

export class PodVolumes {
  readonly #dirs = new Map<string, string>();
  readonly #tokens = new Map<string, IssuedToken>();
  #pod: V1Pod;

  constructor(
    pod: V1Pod,
    readonly root: string,
    readonly ctx: VolumeContext,
  ) {
    this.#pod = pod;
  }

  set pod(pod: V1Pod) {
    this.#pod = pod;
  }

  /** Host directory of a volume (after setup()). */
  hostPath(name: string): string | undefined {
    return this.#dirs.get(name);
  }

  get #ns(): string {
    return this.#pod.metadata?.namespace ?? 'default';
  }

  get #fsGroup(): number | undefined {
    return this.#pod.spec?.securityContext?.fsGroup ?? undefined;
  }

  /** Creates every volume; throws VolumeError (with a kubelet-like message) when one cannot be made yet. */
  async setup(): Promise<void> {
    mkdirSync(this.root, { recursive: true, mode: 0o755 });
    for (const v of this.#pod.spec?.volumes ?? []) await this.#setupOne(v);
  }

  /** Refreshes content volumes and tokens; returns the names of volumes whose content changed. */
  async sync(): Promise<string[]> {
    const changed: string[] = [];
    for (const v of this.#pod.spec?.volumes ?? []) {
      if (v.emptyDir !== undefined || !this.#dirs.has(v.name)) continue;
      try {
        if (await this.#publish(v)) changed.push(v.name);
      } catch {
        // keep the last published content (a kubelet does too) and retry on the next sync
      }
    }
    return changed;
  }

  async #setupOne(v: V1Volume): Promise<void> {
    const dir = join(this.root, v.name);
    if (v.emptyDir !== undefined) {
      mkdirSync(dir, { recursive: true });
      chmodSync(dir, 0o777);
      if (this.#fsGroup !== undefined) chownSync(dir, 0, this.#fsGroup);
    } else if (v.configMap || v.secret || v.downwardAPI || v.projected) {
      await this.#publish(v);
    } else {
      const kind = Object.keys(v).find((k) => k !== 'name') ?? 'unknown';
      throw new VolumeError(`volume ${v.name}: ${kind} volumes are not supported by the dapr-ts node agent`);
    }
    this.#dirs.set(v.name, dir);
  }

  async #publish(v: V1Volume): Promise<boolean> {
    const files = new Map<string, VolumeFile>();
    if (v.configMap) await this.#addConfigMap(files, v.configMap, v.configMap.defaultMode ?? DEFAULT_MODE);
    else if (v.secret)
      await this.#addSecret(
        files,
        { ...v.secret, name: v.secret.secretName },
        v.secret.defaultMode ?? DEFAULT_MODE,
      );
    else if (v.downwardAPI)
      this.#addDownward(files, v.downwardAPI.items ?? [], v.downwardAPI.defaultMode ?? DEFAULT_MODE);
    else if (v.projected) {
      for (const src of v.projected.sources ?? [])
        await this.#addProjection(files, src, v.projected.defaultMode ?? DEFAULT_MODE);
    }
    return writeAtomically(join(this.root, v.name), files);
  }

  #file(data: Buffer | string, mode: number): VolumeFile {
    const fsGroup = this.#fsGroup;
    // With an fsGroup the files belong to that group and are group-readable, as a kubelet sets them.
    return fsGroup === undefined
      ? { data: Buffer.from(data), mode }
      : { data: Buffer.from(data), mode: mode | 0o040, uid: 0, gid: fsGroup };
  }

  async #addProjection(files: Map<string, VolumeFile>, src: V1VolumeProjection, mode: number): Promise<void> {
    if (src.serviceAccountToken) await this.#addToken(files, src.serviceAccountToken, mode);
    else if (src.configMap) await this.#addConfigMap(files, src.configMap, mode);
    else if (src.secret) await this.#addSecret(files, src.secret, mode);
    else if (src.downwardAPI) this.#addDownward(files, src.downwardAPI.items ?? [], mode);
    else
      throw new VolumeError(
        `projected source ${Object.keys(src).join(',')} is not supported by the dapr-ts node agent`,
      );
  }

  async #addConfigMap(
    files: Map<string, VolumeFile>,
    ref: { name?: string; items?: V1KeyToPath[]; optional?: boolean },
    mode: number,
  ): Promise<void> {
    const cm = await this.ctx.client.getOptional<V1ConfigMap>(
      `/api/v1/namespaces/${this.#ns}/configmaps/${ref.name}`,
    );
    if (!cm) {
      if (ref.optional) return;
      throw new VolumeError(`configmap "${ref.name}" not found`);
    }
    const all = new Map<string, Buffer>();
    for (const [k, val] of Object.entries(cm.data ?? {})) all.set(k, Buffer.from(val));
    for (const [k, val] of Object.entries(cm.binaryData ?? {})) all.set(k, Buffer.from(val, 'base64'));
    this.#addKeys(files, all, ref, mode, `configmap ${ref.name}`);
  }

  async #addSecret(
    files: Map<string, VolumeFile>,
    ref: { name?: string; items?: V1KeyToPath[]; optional?: boolean },
    mode: number,
  ): Promise<void> {
    const s = await this.ctx.client.getOptional<V1Secret>(
      `/api/v1/namespaces/${this.#ns}/secrets/${ref.name}`,
    );
    if (!s) {
      if (ref.optional) return;
      throw new VolumeError(`secret "${ref.name}" not found`);
    }
    const all = new Map<string, Buffer>();
    for (const [k, val] of Object.entries(s.data ?? {})) all.set(k, Buffer.from(val, 'base64'));
    this.#addKeys(files, all, ref, mode, `secret ${ref.name}`);
  }

  #addKeys(
    files: Map<string, VolumeFile>,
    all: Map<string, Buffer>,
    ref: { items?: V1KeyToPath[]; optional?: boolean },
    mode: number,
    what: string,
  ): void {
    if (ref.items === undefined || ref.items.length === 0) {
      for (const [k, data] of all) files.set(k, this.#file(data, mode));
      return;
    }
    for (const item of ref.items) {
      const data = all.get(item.key);
      if (data === undefined) {
        if (ref.optional) continue;
        throw new VolumeError(`${what}: key ${item.key} not found`);
      }
      files.set(item.path, this.#file(data, item.mode ?? mode));
    }
  }

  #addDownward(files: Map<string, VolumeFile>, items: V1DownwardAPIVolumeFile[], mode: number): void {
    for (const item of items) {
      let value: string | undefined;
      if (item.fieldRef)
        value = resolveFieldRef(this.#pod, item.fieldRef.fieldPath, this.ctx.podIp, this.ctx.hostIp);
      else if (item.resourceFieldRef) {
        const c = this.#pod.spec?.containers.find((x) => x.name === item.resourceFieldRef?.containerName);
        value = resolveResourceField(item.resourceFieldRef, c, this.ctx.nodeAllocatable);
      }
      if (value === undefined) throw new VolumeError(`downwardAPI item ${item.path}: unsupported field`);
      files.set(item.path, this.#file(value, item.mode ?? mode));
    }
  }

  async #addToken(
    files: Map<string, VolumeFile>,
    src: V1ServiceAccountTokenProjection,
    mode: number,
  ): Promise<void> {
    const token = await this.#token(src.audience ?? '', src.expirationSeconds ?? 3600);
    const f = this.#file(token, mode);
    // A kubelet makes a 0600 token readable by the pod's (common) runAsUser by owning it to that user.
    files.set(
      src.path,
      this.ctx.tokenUid !== undefined && (mode & 0o044) === 0
        ? { ...f, uid: this.ctx.tokenUid, gid: f.gid ?? 0 }
        : f,
    );
  }

  /** A token from TokenRequest, bound to this pod; reused until 80% of its lifetime has passed. */
  async #token(audience: string, expirationSeconds: number): Promise<string> {
    const key = `${audience}|${expirationSeconds}`;
    const now = this.ctx.now?.() ?? Date.now();
    const cached = this.#tokens.get(key);
    const fraction = this.ctx.refreshFraction ?? 0.8;
    if (
      cached &&
      now < cached.issuedAt + (cached.expiresAt - cached.issuedAt) * fraction &&
      now - cached.issuedAt < 86_400_000
    ) {
      return cached.token;
    }
    const sa = this.#pod.spec?.serviceAccountName ?? 'default';
    const body = {
      apiVersion: 'authentication.k8s.io/v1',
      kind: 'TokenRequest',
      spec: {
        audiences: audience === '' ? [] : [audience],
        expirationSeconds,
        boundObjectRef: {
          apiVersion: 'v1',
          kind: 'Pod',
          name: this.#pod.metadata?.name,
          uid: this.#pod.metadata?.uid,
        },
      },
    };
    let res: { status?: { token?: string; expirationTimestamp?: string } };
    try {
      res = await this.ctx.client.request(
        'POST',
        `/api/v1/namespaces/${this.#ns}/serviceaccounts/${sa}/token`,
        body,
      );
    } catch (err) {
      throw new VolumeError(
        `failed to fetch token for service account ${this.#ns}/${sa}: ${(err as Error).message}`,
      );
    }
    const token = res.status?.token ?? '';
    const expiresAt = res.status?.expirationTimestamp
      ? Date.parse(res.status.expirationTimestamp)
      : now + expirationSeconds * 1000;
    // Renewal follows the lifetime that was asked for (the apiserver may extend the token's).
    const issued: IssuedToken = {
      token,
      issuedAt: now,
      expiresAt: Math.min(expiresAt, now + expirationSeconds * 1000),
    };
    this.#tokens.set(key, issued);
    return token;
  }

  /** When each cached token is due for renewal (for tests and diagnostics). */
  tokenRenewals(): Array<{ audience: string; issuedAt: number; renewAt: number }> {
    const fraction = this.ctx.refreshFraction ?? 0.8;
    return [...this.#tokens].map(([key, t]) => ({
      audience: key.split('|')[0]!,
      issuedAt: t.issuedAt,
      renewAt: t.issuedAt + (t.expiresAt - t.issuedAt) * fraction,
    }));
  }
}
