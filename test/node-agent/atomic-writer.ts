// Writes a set of files into a volume directory so that a reader never sees a half-updated
// set, the way a kubelet publishes Secret, ConfigMap, downward-API and projected volumes:
// the files live in a hidden timestamped directory, `..data` is a symlink to it, and each
// visible name is a symlink through `..data`. An update writes a new timestamped directory and
// swaps `..data` with one rename(2), which file watchers (fsnotify, chokidar) see as an event.
import {
  chownSync,
  chmodSync,
  lstatSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  readlinkSync,
  renameSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join } from 'node:path';
import { randomBytes } from 'node:crypto';

export interface VolumeFile {
  readonly data: Buffer;
  /** File mode, e.g. 0o644. */
  readonly mode: number;
  readonly uid?: number;
  readonly gid?: number;
}

const DATA = '..data';

function currentDir(dir: string): string | undefined {
  try {
    return join(dir, readlinkSync(join(dir, DATA)));
  } catch {
    return undefined;
  }
}

function sameContent(dir: string | undefined, files: ReadonlyMap<string, VolumeFile>): boolean {
  if (dir === undefined) return false;
  const existing = listFiles(dir);
  if (existing.length !== files.size) return false;
  for (const rel of existing) {
    const want = files.get(rel);
    if (want === undefined) return false;
    const path = join(dir, rel);
    const st = statSync(path);
    if ((st.mode & 0o7777) !== want.mode) return false;
    if (want.uid !== undefined && st.uid !== want.uid) return false;
    if (want.gid !== undefined && st.gid !== want.gid) return false;
    if (!readFileSync(path).equals(want.data)) return false;
  }
  return true;
}

function listFiles(dir: string, prefix = ''): string[] {
  const out: string[] = [];
  for (const e of readdirSync(join(dir, prefix), { withFileTypes: true })) {
    const rel = prefix === '' ? e.name : `${prefix}/${e.name}`;
    if (e.isDirectory()) out.push(...listFiles(dir, rel));
    else out.push(rel);
  }
  return out;
}

/**
 * Publishes `files` (relative paths) in `dir`. Returns false when the content, modes and owners
 * are already what is published.
 */
export function writeAtomically(dir: string, files: ReadonlyMap<string, VolumeFile>): boolean {
  mkdirSync(dir, { recursive: true, mode: 0o755 });
  const old = currentDir(dir);
  if (sameContent(old, files)) return false;
  for (const rel of files.keys()) {
    if (rel.startsWith('..') || rel.startsWith('/') || rel.split('/').includes('..'))
      throw new Error(`invalid volume file path ${rel}`);
  }
  const stamp = `..${new Date().toISOString().replace(/[-:]/g, '_').replace('T', '_')}.${randomBytes(4).toString('hex')}`;
  const tsDir = join(dir, stamp);
  mkdirSync(tsDir, { mode: 0o755 });
  chmodSync(tsDir, 0o755);
  for (const [rel, f] of files) {
    const path = join(tsDir, rel);
    mkdirSync(dirname(path), { recursive: true, mode: 0o755 });
    writeFileSync(path, f.data);
    chmodSync(path, f.mode);
    if (f.uid !== undefined || f.gid !== undefined) chownSync(path, f.uid ?? 0, f.gid ?? 0);
  }
  const tmpLink = join(dir, '..data_tmp');
  rmSync(tmpLink, { force: true });
  symlinkSync(stamp, tmpLink);
  renameSync(tmpLink, join(dir, DATA));
  // Visible names: one symlink per top-level entry, through ..data.
  const top = new Set([...files.keys()].map((rel) => rel.split('/')[0]!));
  for (const name of top) {
    const link = join(dir, name);
    let ok = false;
    try {
      ok = lstatSync(link).isSymbolicLink() && readlinkSync(link) === join(DATA, name);
    } catch {
      // missing
    }
    if (!ok) {
      rmSync(link, { recursive: true, force: true });
      symlinkSync(join(DATA, name), link);
    }
  }
  for (const e of readdirSync(dir)) {
    if (e.startsWith('..')) continue;
    if (!top.has(e)) rmSync(join(dir, e), { recursive: true, force: true });
  }
  if (old !== undefined) rmSync(old, { recursive: true, force: true });
  return true;
}
