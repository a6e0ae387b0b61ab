// Reads the contract notes in docs/contracts/ and checks citations of them: a citation such as
// `docs/contracts/sentry.md §5 "Startup logic"` must name a page that exists, sections the page has
// (its `## N.` and `### N.M` headings), and a named part that is a heading or bold lead-in of that
// section. Pure functions over text, so the test can also feed them violations on purpose.
import { dirname, join, normalize } from 'node:path';

/** Each section of a page (`5`, `3.1`) with its text; a subsection's text also counts for its parents. */
export type PageSections = ReadonlyMap<string, string>;

const SECTION = String.raw`\d+(?:\.\d+)*`;
const HEADING = new RegExp(String.raw`^#{2,4} +§?(${SECTION})\.? `);
/** What may stand between a page name and its `§` when a comment wraps: backtick, spaces, `//`, `#`, `*`. */
const GAP = String.raw`(?:\`|\s|//|#|\*)*`;
/** One cited section, an optional range end, and an optional quoted part name. */
const ITEM = new RegExp(String.raw`^§(${SECTION})(?:[–-]§?(${SECTION}))?(?: "([^"\n]+)"?)?`);
/** Between two cited sections: `, §2`, ` and §3`, `/§1.9`. */
const SEPARATOR = /^(?:,| and| or|\/)?\s*(?=§)/;
/** Test titles name the page shortly: `sentry §3`, `injector §1.5`. */
const SHORT_NAMES: Readonly<Record<string, string>> = {
  sentry: 'sentry',
  placement: 'placement',
  operator: 'operator',
  injector: 'injector-and-chart',
  observability: 'observability',
};

/** `3.1` → [`3`, `3.1`]: a subsection's text belongs to every section above it. */
function withParents(section: string): string[] {
  const parts = section.split('.');
  return parts.map((_, i) => parts.slice(0, i + 1).join('.'));
}

export function parsePage(text: string): PageSections {
  const sections = new Map<string, string>();
  let open: string[] = [];
  for (const line of text.split('\n')) {
    const m = HEADING.exec(line);
    if (m) open = withParents(m[1]!);
    for (const s of open) sections.set(s, (sections.get(s) ?? '') + line + '\n');
  }
  return sections;
}

export interface SectionRef {
  section: string;
  name?: string;
}

/** The sections cited at the start of `tail` (the text right after a page name and its gap). */
export function sectionRefs(tail: string): SectionRef[] {
  const refs: SectionRef[] = [];
  let rest = tail.replace(/\n\s*(?:\/\/|#|\*)?\s*/g, ' ');
  for (;;) {
    const m = ITEM.exec(rest);
    if (!m) return refs;
    refs.push(m[3] === undefined ? { section: m[1]! } : { section: m[1]!, name: m[3] });
    if (m[2] !== undefined) refs.push({ section: m[2] });
    rest = rest.slice(m[0].length);
    const sep = SEPARATOR.exec(rest);
    if (!sep) return refs;
    rest = rest.slice(sep[0].length);
  }
}

function refProblem(
  page: string,
  ref: SectionRef,
  pages: ReadonlyMap<string, PageSections>,
): string | undefined {
  const sections = pages.get(page);
  if (sections === undefined) return `no contract page ${page}`;
  const body = sections.get(ref.section);
  if (body === undefined) return `no section §${ref.section} in contract page ${page}`;
  if (ref.name === undefined) return undefined;
  const wanted = ref.name.trim().toLowerCase();
  const parts = body.toLowerCase().match(/^#{2,5} .*$|\*\*[^*]+\*\*/gm) ?? [];
  return parts.some((p) => p.includes(wanted))
    ? undefined
    : `no part "${ref.name}" in §${ref.section} of contract page ${page}`;
}

interface Citation {
  index: number;
  page: string;
  refs: SectionRef[];
}

/** Page citations: `contracts/<page>.md §…` anywhere; inside docs/contracts/ also a bare `<page>.md §…`. */
function pageCitations(file: string, text: string): Citation[] {
  const cite = file.startsWith('docs/contracts/')
    ? new RegExp(String.raw`(?<![\w./-])(?:[\w./-]*contracts/)?([a-z][a-z-]*)\.md(${GAP})`, 'g')
    : new RegExp(String.raw`contracts/([a-z][a-z-]*)\.md(${GAP})`, 'g');
  return [...text.matchAll(cite)].map((m) => {
    const after = m.index + m[0].length;
    return { index: m.index, page: m[1]!, refs: sectionRefs(text.slice(after, after + 300)) };
  });
}

/** Test titles' short citations: `sentry §3`, `injector §1.5`. */
function shortCitations(text: string): Citation[] {
  const short = new RegExp(String.raw`(?<![\w/.-])(${Object.keys(SHORT_NAMES).join('|')}) (?=§)`, 'g');
  return [...text.matchAll(short)].map((m) => {
    const after = m.index + m[0].length;
    return { index: m.index, page: SHORT_NAMES[m[1]!]!, refs: sectionRefs(text.slice(after, after + 300)) };
  });
}

/**
 * Every citation problem in one file of the tree. `file` is relative to the repository root; inside
 * docs/contracts/ a bare page name followed by a section cites the sibling page. `exists` answers for
 * link targets (relative to the root).
 */
export function citationProblems(
  file: string,
  text: string,
  pages: ReadonlyMap<string, PageSections>,
  exists: (path: string) => boolean,
): string[] {
  const inContracts = file.startsWith('docs/contracts/');
  const where = (index: number): string => `${file}:${text.slice(0, index).split('\n').length}`;
  const problems: string[] = [];
  for (const c of [...pageCitations(file, text), ...shortCitations(text)]) {
    // Inside docs/contracts/ other files are named too (`docs/development/x.md`); only a cited one counts.
    if (!pages.has(c.page) && (!inContracts || c.refs.length > 0))
      problems.push(`${where(c.index)}: no contract page ${c.page}`);
    if (!pages.has(c.page)) continue;
    for (const ref of c.refs) {
      const problem = refProblem(c.page, ref, pages);
      if (problem !== undefined) problems.push(`${where(c.index)}: ${problem}`);
    }
  }
  for (const m of text.matchAll(/\]\(([^)\s#]*contracts\/[\w-]+\.md)(?:#[^)]*)?\)/g))
    if (!exists(normalize(join(dirname(file), m[1]!))))
      problems.push(`${where(m.index)}: link target ${m[1]} does not exist`);
  return problems;
}
