// How a container process is started: the shell script that runs inside the pod's network
// namespace (`ip netns exec <ns> unshare --uts --mount sh <script>`), so in a private mount and
// UTS namespace. It sets the hostname, builds the container's root filesystem, and execs the
// program as the container's user with no capabilities.
//
// Root filesystem. The host's filesystem is never written to or mounted over, not even inside
// the namespace: a fresh tmpfs becomes the container's `/`, and each top-level entry of the host's
// root appears in it as
//   - a copy-on-write overlay (lower: the host directory; upper: a per-container directory under
//     the pod's directory) for ordinary directories (/etc, /usr, /var, /run, /root, ...), so the
//     container sees the host's userland and whatever it writes stays in the pod's directory;
//   - a fresh tmpfs for /tmp (as an image's empty /tmp);
//   - a recursive bind for the kernel's /proc, /sys (the netns's own sysfs) and /dev;
//   - a read-only bind for files, the same symlink for symlinks.
// Volumes are then bind-mounted at their mountPaths, their directories created inside that tree
// (never on the host: every target is resolved through the host's symlinks first and the script
// refuses one that resolves outside the new root), and pivot_root detaches the host's root. Mount
// sources are host paths, which no container mount can shadow (an emptyDir at /tmp cannot hide
// the volume directories under the host's /tmp). The hosts file and resolv.conf that
// `ip netns exec` bound over /etc are bound again over the /etc overlay.
import {
  constants,
  accessSync,
  existsSync,
  lstatSync,
  readdirSync,
  readlinkSync,
  realpathSync,
  statSync,
} from 'node:fs';
import { dirname } from 'node:path';

export interface BindMount {
  /** Host path (a volume directory, or a file for subPath mounts). */
  readonly source: string;
  /** Path inside the container. */
  readonly target: string;
  readonly readOnly: boolean;
  readonly isFile: boolean;
}

export interface HostFs {
  readonly exists: (path: string) => boolean;
  readonly realpath: (path: string) => string;
  /** The target of a symlink, undefined for anything else (or nothing). */
  readonly readlink: (path: string) => string | undefined;
}

export const realFs: HostFs = {
  exists: (p) => existsSync(p),
  realpath: (p) => realpathSync(p),
  readlink: (p) => {
    try {
      return lstatSync(p).isSymbolicLink() ? readlinkSync(p) : undefined;
    } catch {
      return undefined;
    }
  },
};

/**
 * `path` with every symlink along its existing part followed, as the host resolves it. The
 * container's tree mirrors the host's, so this is where `path` lands in it; resolving it here
 * matters because an absolute symlink (/var/run -> /run) followed by `mkdir` or `mount` before
 * pivot_root would land on the host.
 */
export function resolvePath(path: string, fs: HostFs): string {
  const parts = path.split('/').filter((p) => p !== '' && p !== '.');
  let resolved = '/';
  for (let hops = 0; parts.length > 0;) {
    const part = parts.shift()!;
    if (part === '..') {
      resolved = dirname(resolved);
      continue;
    }
    const next = resolved === '/' ? `/${part}` : `${resolved}/${part}`;
    const link = fs.readlink(next);
    if (link === undefined) {
      resolved = next;
      continue;
    }
    if (++hops > 40) throw new Error(`too many levels of symbolic links in ${path}`);
    parts.unshift(...link.split('/').filter((p) => p !== '' && p !== '.'));
    if (link.startsWith('/')) resolved = '/';
  }
  return resolved;
}

export interface MountPlan {
  /** Directories to create that no bind provides, e.g. the working dir. */
  readonly mkdirs: string[];
  /** Bind mounts, parents before children; each target is created right before it is bound. */
  readonly binds: BindMount[];
}

/** Kernel filesystems bound as they are; nothing can be created in them. */
export const PSEUDO_DIRS = ['proc', 'sys', 'dev'];
/** Top-level directories a container gets empty and private. */
export const PRIVATE_DIRS = ['tmp'];

const topOf = (p: string): string => p.split('/')[1] ?? '';

/** The directories and binds that make `mounts` (and `extraDirs`) appear in the container. */
export function planMounts(
  rawMounts: readonly BindMount[],
  rawDirs: readonly string[],
  fs: HostFs,
): MountPlan {
  for (const p of [...rawMounts.map((m) => m.target), ...rawDirs]) {
    if (!p.startsWith('/')) throw new Error(`mount path ${p} must be absolute`);
  }
  // The container's private dirs start empty: host symlinks in them do not exist there.
  const containerFs: HostFs = {
    ...fs,
    readlink: (p) => (PRIVATE_DIRS.includes(topOf(p)) ? undefined : fs.readlink(p)),
  };
  const mounts = rawMounts.map((m) => ({ ...m, target: resolvePath(m.target, containerFs) }));
  const extraDirs = rawDirs.map((d) => resolvePath(d, containerFs));
  for (const p of [...mounts.map((m) => m.target), ...extraDirs]) {
    if (PSEUDO_DIRS.includes(topOf(p)) && !fs.exists(p))
      throw new Error(`mount path ${p}: cannot create directories in /${topOf(p)}`);
  }
  const mkdirs = extraDirs.filter((d) => !fs.exists(d) || PRIVATE_DIRS.includes(topOf(d)));
  const binds = [...mounts].sort((a, b) => a.target.split('/').length - b.target.split('/').length);
  return { mkdirs: [...new Set(mkdirs)], binds };
}

export interface RootEntry {
  readonly name: string;
  readonly kind: 'dir' | 'file' | 'symlink';
  /** Link target, for symlinks. */
  readonly target?: string;
}

/** The top-level entries of the host's root, as the container's root mirrors them. */
export function hostRootEntries(): RootEntry[] {
  return readdirSync('/', { withFileTypes: true }).flatMap((e): RootEntry[] => {
    if (e.isSymbolicLink()) return [{ name: e.name, kind: 'symlink', target: readlinkSync(`/${e.name}`) }];
    if (e.isDirectory()) return [{ name: e.name, kind: 'dir' }];
    if (e.isFile()) return [{ name: e.name, kind: 'file' }];
    return [];
  });
}

/** POSIX shell single-quoting. */
export function shq(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

export interface LaunchSpec {
  readonly hostname: string;
  readonly plan: MountPlan;
  readonly rootEntries: readonly RootEntry[];
  /** Per-container scratch dir: the root tmpfs mount point and the overlay layers. */
  readonly scratchDir: string;
  readonly workingDir: string;
  readonly uid: number;
  readonly gid: number;
  readonly groups: readonly number[];
  readonly noNewPrivs: boolean;
  readonly argv: readonly string[];
}

const OLD_ROOT = '.dapr-ts-old-root';

function rootEntryLines(e: RootEntry, scratch: string, r: (p: string) => string): string[] {
  const p = `/${e.name}`;
  if (e.kind === 'symlink') return [`ln -s ${shq(e.target ?? '')} ${r(p)}`];
  if (e.kind === 'file')
    return [`: > ${r(p)}`, `mount --bind ${shq(p)} ${r(p)}`, `mount -o remount,bind,ro ${r(p)}`];
  if (PSEUDO_DIRS.includes(e.name)) return [`mkdir ${r(p)}`, `mount --rbind ${shq(p)} ${r(p)}`];
  if (PRIVATE_DIRS.includes(e.name))
    return [`mkdir ${r(p)}`, `mount -t tmpfs -o mode=1777 dapr-ts-${e.name} ${r(p)}`];
  const upper = `${scratch}/layers/${e.name}/upper`;
  const work = `${scratch}/layers/${e.name}/work`;
  if (/[,:\s]/.test(p + upper))
    throw new Error(`overlay paths must not contain , : or spaces: ${p}, ${upper}`);
  // Copy-on-write over the host directory; if the filesystem cannot be an overlay layer, a read-only bind.
  return [
    `mkdir ${r(p)}`,
    `mkdir -p ${shq(upper)} ${shq(work)}`,
    `mount -t overlay overlay -o ${shq(`lowerdir=${p},upperdir=${upper},workdir=${work}`)} ${r(p)} 2>/dev/null || ` +
      `{ mount --rbind ${shq(p)} ${r(p)} && mount -o remount,bind,ro ${r(p)}; }`,
  ];
}

/** The launch script (see the header comment); `sh -e`, ending in exec. */
export function renderLaunchScript(spec: LaunchSpec): string {
  const root = `${spec.scratchDir}/rootfs`;
  const r = (p: string): string => shq(root + p);
  // Belt and braces: refuse any mkdir or mount whose target resolves outside the new root.
  const guard = (p: string): string =>
    `case "$(realpath -m ${r(p)})" in ${shq(root)}/*) ;; *) echo ${shq(`dapr-ts: ${p} escapes the container root`)} >&2; exit 1;; esac`;
  const lines = [
    'set -e',
    `hostname ${shq(spec.hostname)}`,
    'mount --make-rprivate /',
    `mkdir -p ${shq(root)}`,
  ];
  lines.push(`mount -t tmpfs -o mode=755 dapr-ts-rootfs ${shq(root)}`);
  for (const e of spec.rootEntries) lines.push(...rootEntryLines(e, spec.scratchDir, r));
  if (spec.rootEntries.some((e) => e.name === 'etc' && e.kind === 'dir')) {
    // The pod's hosts file and resolv.conf (ip netns exec bound them over the host's /etc).
    for (const f of ['/etc/hosts', '/etc/resolv.conf'])
      lines.push(`[ ! -e ${shq(f)} ] || mount --bind ${shq(f)} ${r(f)}`);
  }
  for (const d of spec.plan.mkdirs) lines.push(guard(d), `mkdir -p ${r(d)}`);
  for (const b of spec.plan.binds) {
    const t = r(b.target);
    lines.push(guard(b.target));
    lines.push(
      b.isFile
        ? `[ -e ${t} ] || { mkdir -p ${r(dirname(b.target))}; : > ${t}; }`
        : `[ -d ${t} ] || mkdir -p ${t}`,
    );
    lines.push(`mount --bind ${shq(b.source)} ${t}`);
    if (b.readOnly) lines.push(`mount -o remount,bind,ro ${t}`);
  }
  lines.push(
    `cd ${shq(root)}`,
    `mkdir ${OLD_ROOT}`,
    `pivot_root . ${OLD_ROOT}`,
    'cd /',
    `umount -l /${OLD_ROOT}`,
    `rmdir /${OLD_ROOT}`,
  );
  lines.push(`cd ${shq(spec.workingDir)}`);
  const argv = spec.argv.map(shq).join(' ');
  if (spec.uid === 0) {
    lines.push(`exec ${argv}`);
  } else {
    const groups =
      spec.groups.length > 0 ? `--groups=${[...new Set(spec.groups)].join(',')}` : '--clear-groups';
    const nnp = spec.noNewPrivs ? ' --no-new-privs' : '';
    lines.push(
      `exec setpriv --reuid=${spec.uid} --regid=${spec.gid} ${groups} --inh-caps=-all --bounding-set=-all${nnp} -- ${argv}`,
    );
  }
  return lines.join('\n') + '\n';
}

/** True when `path` can be reached and read by any user (every directory on the way is o+x). */
export function worldAccessible(path: string): boolean {
  try {
    let p = realpathSync(path);
    if ((statSync(p).mode & 0o005) === 0) return false;
    while (p !== '/') {
      p = dirname(p);
      if ((statSync(p).mode & 0o001) === 0) return false;
    }
    accessSync(path, constants.R_OK);
    return true;
  } catch {
    return false;
  }
}
