import { describe, expect, it } from '@jest/globals';
import { planMounts, renderLaunchScript, resolvePath, shq, type HostFs } from './launcher.js';

// A host with /run, /var (where /var/run -> /run), /tmp, /etc.
const dirs = new Set(['/', '/run', '/var', '/tmp', '/etc', '/usr', '/usr/bin']);
const links: Record<string, string> = { '/var/run': '/run', '/bin': 'usr/bin' };
const fs: HostFs = {
  exists: (p) => dirs.has(p) || p in links,
  realpath: (p) => resolvePath(p, fs),
  readlink: (p) => links[p],
};

describe('resolvePath', () => {
  it('follows absolute and relative symlinks of the host', () => {
    expect(resolvePath('/var/run/secrets/x', fs)).toBe('/run/secrets/x');
    expect(resolvePath('/bin/sh', fs)).toBe('/usr/bin/sh');
    expect(resolvePath('/etc/../tmp/./a', fs)).toBe('/tmp/a');
  });
});

describe('planMounts', () => {
  it('resolves targets through host symlinks (not in private dirs) and orders binds parents first', () => {
    links['/tmp/lnk'] = '/etc';
    try {
      const plan = planMounts(
        [
          {
            source: '/v/sa',
            target: '/var/run/secrets/kubernetes.io/serviceaccount',
            readOnly: true,
            isFile: false,
          },
          { source: '/v/tmp', target: '/tmp', readOnly: false, isFile: false },
          { source: '/v/x', target: '/tmp/lnk/x', readOnly: false, isFile: false },
          { source: '/v/data', target: '/data/inner', readOnly: false, isFile: false },
        ],
        ['/app', '/tmp/work', '/etc'],
        fs,
      );
      expect(plan.mkdirs).toEqual(['/app', '/tmp/work']);
      expect(plan.binds.map((b) => b.target)).toEqual([
        '/tmp',
        '/data/inner',
        '/tmp/lnk/x',
        '/run/secrets/kubernetes.io/serviceaccount',
      ]);
    } finally {
      delete links['/tmp/lnk'];
    }
  });

  it('refuses relative paths and new directories in /proc, /sys, /dev', () => {
    expect(() =>
      planMounts([{ source: '/s', target: 'rel', readOnly: false, isFile: false }], [], fs),
    ).toThrow(/absolute/);
    expect(() =>
      planMounts([{ source: '/s', target: '/dev/termination-log', readOnly: false, isFile: true }], [], fs),
    ).toThrow(/cannot create/);
  });
});

describe('renderLaunchScript', () => {
  const script = renderLaunchScript({
    hostname: 'web-1',
    plan: {
      mkdirs: ['/app'],
      binds: [{ source: '/v/sa', target: '/run/secrets/sa', readOnly: true, isFile: false }],
    },
    rootEntries: [
      { name: 'usr', kind: 'dir' },
      { name: 'etc', kind: 'dir' },
      { name: 'proc', kind: 'dir' },
      { name: 'tmp', kind: 'dir' },
      { name: 'bin', kind: 'symlink', target: 'usr/bin' },
      { name: '.dockerenv', kind: 'file' },
    ],
    scratchDir: '/pod/c-0',
    workingDir: '/app',
    uid: 1234,
    gid: 2345,
    groups: [65532],
    noNewPrivs: true,
    argv: ['/usr/bin/node', "it's.js"],
  });
  it('builds a copy-on-write root from the host entries, binds volumes, pivots and drops privileges', () => {
    const lines = script.trim().split('\n');
    expect(lines.slice(0, 5)).toEqual([
      'set -e',
      "hostname 'web-1'",
      'mount --make-rprivate /',
      "mkdir -p '/pod/c-0/rootfs'",
      "mount -t tmpfs -o mode=755 dapr-ts-rootfs '/pod/c-0/rootfs'",
    ]);
    expect(lines).toContain(
      "mount -t overlay overlay -o 'lowerdir=/usr,upperdir=/pod/c-0/layers/usr/upper,workdir=/pod/c-0/layers/usr/work' '/pod/c-0/rootfs/usr' 2>/dev/null || " +
        "{ mount --rbind '/usr' '/pod/c-0/rootfs/usr' && mount -o remount,bind,ro '/pod/c-0/rootfs/usr'; }",
    );
    expect(lines).toContain("mount --rbind '/proc' '/pod/c-0/rootfs/proc'");
    expect(lines).toContain("mount -t tmpfs -o mode=1777 dapr-ts-tmp '/pod/c-0/rootfs/tmp'");
    expect(lines).toContain("ln -s 'usr/bin' '/pod/c-0/rootfs/bin'");
    expect(lines).toContain("mount --bind '/.dockerenv' '/pod/c-0/rootfs/.dockerenv'");
    expect(lines).toContain("[ ! -e '/etc/hosts' ] || mount --bind '/etc/hosts' '/pod/c-0/rootfs/etc/hosts'");
    expect(lines).toContain("mount --bind '/v/sa' '/pod/c-0/rootfs/run/secrets/sa'");
    expect(lines).toContain("mount -o remount,bind,ro '/pod/c-0/rootfs/run/secrets/sa'");
    expect(lines.indexOf('pivot_root . .dapr-ts-old-root')).toBeGreaterThan(
      lines.indexOf("mount --bind '/v/sa' '/pod/c-0/rootfs/run/secrets/sa'"),
    );
    expect(lines.at(-1)).toBe(
      `exec setpriv --reuid=1234 --regid=2345 --groups=65532 --inh-caps=-all --bounding-set=-all --no-new-privs -- '/usr/bin/node' 'it'\\''s.js'`,
    );
  });
  it('guards every target against escaping the new root', () => {
    expect(script).toContain(
      `case "$(realpath -m '/pod/c-0/rootfs/run/secrets/sa')" in '/pod/c-0/rootfs'/*) ;;`,
    );
  });
  it('quotes for the shell', () => expect(shq("a'b")).toBe(`'a'\\''b'`));
});
