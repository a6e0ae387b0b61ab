// The contracts live in the repository (docs/contracts/): no tracked file may point at the old
// out-of-tree notes, and every citation `docs/contracts/<page>.md §N` (or `contracts/<page>.md §N`
// from docs/, or `sentry §N` in a test title) must name a page and section that exist.
import { describe, expect, it } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { existsSync, lstatSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '../deps/paths.js';
import { citationProblems, parsePage, sectionRefs, type PageSections } from './contract-citations.js';

const CONTRACTS = join(repoRoot, 'docs', 'contracts');
/** Spelled in two halves so that this file does not name it itself. */
const OLD_LOCATION = ['shared', 'spec'].join('/');

/** The regular files git tracks (no symlinks), without node_modules and dist; git is required. */
function trackedTextFiles(): Array<{ file: string; text: string }> {
  const out = execFileSync('git', ['ls-files', '-z'], { cwd: repoRoot, encoding: 'utf8' });
  return out
    .split('\0')
    .filter((f) => f !== '' && !/(^|\/)(node_modules|dist)(\/|$)/.test(f))
    .filter((f) => existsSync(join(repoRoot, f)) && lstatSync(join(repoRoot, f)).isFile())
    .map((file) => ({ file, text: readFileSync(join(repoRoot, file), 'utf8') }))
    .filter(({ text }) => !text.includes('\0'));
}

function contractPages(): Map<string, PageSections> {
  const pages = new Map<string, PageSections>();
  for (const name of readdirSync(CONTRACTS))
    if (name.endsWith('.md') && name !== 'README.md')
      pages.set(name.slice(0, -3), parsePage(readFileSync(join(CONTRACTS, name), 'utf8')));
  return pages;
}

/** A citation of `page`, built so that this file's own samples are not citations of the real pages. */
const cite = (page: string): string => ['docs', 'contracts', page].join('/');
const SAMPLE_PAGE = ['# t', '## 1. One', '### Errors', '## 3. Three', '### 3.1 A', '### 3.10 B', ''].join(
  '\n',
);

describe('contract citations', () => {
  const files = trackedTextFiles();
  const pages = contractPages();
  const exists = (path: string): boolean => existsSync(join(repoRoot, path));

  it('reads the tree and the five pages (the scan is not empty)', () => {
    expect(files.length).toBeGreaterThan(100);
    expect([...pages.keys()].sort()).toEqual([
      'injector-and-chart',
      'observability',
      'operator',
      'placement',
      'sentry',
    ]);
    expect(pages.get('sentry')?.has('5')).toBe(true);
    expect(pages.get('injector-and-chart')?.has('3.10')).toBe(true);
  });

  it(`no tracked file refers to the old out-of-tree notes (${OLD_LOCATION})`, () => {
    const offenders = files
      .filter(({ text }) => text.includes(OLD_LOCATION))
      .map(({ file, text }) => `${file}:${text.slice(0, text.indexOf(OLD_LOCATION)).split('\n').length}`);
    expect(offenders).toEqual([]);
  });

  it('every citation names a page, section and part that exist', () => {
    const problems = files.flatMap(({ file, text }) => citationProblems(file, text, pages, exists));
    expect(problems).toEqual([]);
  });

  it('is used: the tree cites the contracts in many places', () => {
    const cited = files.filter(({ text }) => /contracts\/[a-z-]+\.md §\d/.test(text));
    expect(cited.length).toBeGreaterThan(50);
  });
});

describe('contract citation checks catch violations', () => {
  const pages = new Map([['sentry', parsePage(SAMPLE_PAGE)]]);
  const none = (): boolean => false;
  const check = (text: string, file = 'kit/x.ts'): string[] => citationProblems(file, text, pages, none);

  it('reads sections, ranges, lists and names', () => {
    expect(sectionRefs('§3.1–3.10, §1 "Errors" and §7 item 9')).toEqual([
      { section: '3.1' },
      { section: '3.10' },
      { section: '1', name: 'Errors' },
      { section: '7' },
    ]);
  });

  it('accepts what exists', () => {
    expect(check(`// ${cite('sentry.md')} §3.1–3.10, §1 "Errors": ok`)).toEqual([]);
    expect(check("describe('sentry §3 ...')")).toEqual([]);
  });

  it('reports a missing section, range end, page, named part or link', () => {
    expect(check(`// ${cite('sentry.md')} §2`)).toEqual([
      'kit/x.ts:1: no section §2 in contract page sentry',
    ]);
    expect(check(`// ${cite('sentry.md')} §3.1–3.9`)).toEqual([
      'kit/x.ts:1: no section §3.9 in contract page sentry',
    ]);
    expect(check(`//\n// (${cite('sentry.md')}\n// §1, §4)`)).toEqual([
      'kit/x.ts:2: no section §4 in contract page sentry',
    ]);
    expect(check(`// ${cite('nope.md')} §1`)).toEqual(['kit/x.ts:1: no contract page nope']);
    expect(check(`// ${cite('sentry.md')} §1 "Warnings"`)).toEqual([
      'kit/x.ts:1: no part "Warnings" in §1 of contract page sentry',
    ]);
    expect(check("it('injector §2 ...')")).toEqual(['kit/x.ts:1: no contract page injector-and-chart']);
    expect(check(`see [x](${['contracts', 'sentry.md'].join('/')})`, 'docs/a.md')).toEqual([
      `docs/a.md:1: link target ${['contracts', 'sentry.md'].join('/')} does not exist`,
    ]);
  });

  it('inside docs/contracts/, a bare page name cites its sibling', () => {
    expect(check(`as in ${'sentry'}.md §9`, cite('other.md'))).toEqual([
      `${cite('other.md')}:1: no section §9 in contract page sentry`,
    ]);
  });
});
