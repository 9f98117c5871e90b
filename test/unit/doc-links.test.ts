/**
 * README.md stays short and points to docs/, and no relative link in README.md or docs/*.md is
 * broken: each names a file that exists and, with a `#anchor`, a heading of that file (GitHub's
 * anchors). The checker is a function of the files' text, so it is also shown failing on a
 * small example with broken links.
 */
import fs from 'node:fs';
import path from 'node:path';

const root = path.resolve(__dirname, '../..');

/** GitHub's anchor for a heading: lower case, markup and punctuation but '-' and '_' dropped, spaces to '-'. */
export function slug(heading: string): string {
  return heading
    .replace(/!?\[([^\]]*)\]\([^)]*\)/g, '$1') // a link in a heading counts by its text
    .replace(/<[^>]*>/g, '')
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\p{M} _-]/gu, '')
    .replace(/ /g, '-');
}

/** The text with fenced code blocks blanked (line count kept): no heading or link is read inside one. */
function withoutFences(markdown: string): string {
  let fence: string | undefined;
  return markdown
    .split('\n')
    .map((line) => {
      const m = /^ {0,3}(`{3,}|~{3,})/.exec(line);
      if (m && (!fence || (m[1]![0] === fence[0] && m[1]!.length >= fence.length && line.trim() === m[1]))) {
        fence = fence ? undefined : m[1];
        return '';
      }
      return fence ? '' : line;
    })
    .join('\n');
}

/** Every anchor a file's headings give, a repeated one numbered as GitHub does (`x`, `x-1`, ...). */
export function anchorsOf(markdown: string): Set<string> {
  const seen = new Map<string, number>();
  const out = new Set<string>();
  for (const m of withoutFences(markdown).matchAll(/^ {0,3}#{1,6}[ \t]+(.*?)[ \t#]*$/gm)) {
    const base = slug(m[1]!);
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    out.add(n ? `${base}-${n}` : base);
  }
  return out;
}

export interface Link {
  line: number;
  target: string;
}

/** Every link and image target of a file, outside code blocks and code spans, with its line. */
export function linksOf(markdown: string): Link[] {
  const text = withoutFences(markdown).replace(/`[^`\n]*`/g, (s) => ' '.repeat(s.length));
  const lineAt = (i: number) => text.slice(0, i).split('\n').length;
  const out: Link[] = [];
  for (const m of text.matchAll(/\]\(\s*<?([^)\s>]*)>?(?:\s+(?:"[^"]*"|'[^']*'))?\s*\)/g)) out.push({ line: lineAt(m.index!), target: m[1]! });
  for (const m of text.matchAll(/^ {0,3}\[[^\]]+\]:\s+<?(\S+?)>?(?:\s.*)?$/gm)) out.push({ line: lineAt(m.index!), target: m[1]! });
  return out;
}

/** A relative link's file (posix, from the repository root), or undefined for an absolute URL. */
export function resolveLink(from: string, target: string): { file: string; anchor?: string } | undefined {
  if (/^[a-z][a-z0-9+.-]*:/i.test(target) || target.startsWith('//')) return undefined;
  const hash = target.indexOf('#');
  const file = hash < 0 ? target : target.slice(0, hash);
  const anchor = hash < 0 ? undefined : decodeURIComponent(target.slice(hash + 1));
  return { file: file ? path.posix.normalize(path.posix.join(path.posix.dirname(from), decodeURI(file))) : from, anchor };
}

/**
 * Every broken relative link of `files` (path from the repository root -> Markdown text), as
 * `file:line: target: why`. A target among `files` is checked there, anchor included; any other
 * must satisfy `exists` (files that are not Markdown have no anchors to check).
 */
export function brokenLinks(files: Readonly<Record<string, string>>, exists: (file: string) => boolean = () => false): string[] {
  const anchors = new Map<string, Set<string>>();
  const anchorsIn = (file: string) => {
    if (!anchors.has(file)) anchors.set(file, anchorsOf(files[file]!));
    return anchors.get(file)!;
  };
  const out: string[] = [];
  for (const [from, text] of Object.entries(files)) {
    for (const { line, target } of linksOf(text)) {
      const to = resolveLink(from, target);
      if (!to) continue;
      const why =
        to.file in files
          ? to.anchor !== undefined && !anchorsIn(to.file).has(to.anchor)
            ? `no heading with the anchor #${to.anchor} in ${to.file}`
            : undefined
          : !exists(to.file)
            ? `${to.file} does not exist`
            : to.anchor !== undefined && to.file.endsWith('.md')
              ? `${to.file} is not among the files checked, so #${to.anchor} cannot be checked`
              : undefined;
      if (why) out.push(`${from}:${line}: ${target}: ${why}`);
    }
  }
  return out;
}

const docsPages = fs
  .readdirSync(path.join(root, 'docs'))
  .filter((f) => f.endsWith('.md'))
  .map((f) => `docs/${f}`)
  .sort();
const files: Record<string, string> = Object.fromEntries(['README.md', ...docsPages].map((f) => [f, fs.readFileSync(path.join(root, f), 'utf8')]));
const readme = files['README.md']!;
const existsInRepo = (file: string) => !file.startsWith('../') && fs.existsSync(path.join(root, file));

describe('the checker', () => {
  it("makes GitHub's anchors", () => {
    expect(slug("The end of a tenant's life")).toBe('the-end-of-a-tenants-life');
    expect(slug('How changes are made safe (without transactions)')).toBe('how-changes-are-made-safe-without-transactions');
    expect(slug('Checking isolation: `tenantadm check`')).toBe('checking-isolation-tenantadm-check');
    expect(slug('`usage`, for billing')).toBe('usage-for-billing');
    expect(slug('One file: `dist/tenantadm.cjs`')).toBe('one-file-disttenantadmcjs');
    expect(slug('Users, SSO inheritance, features for children, and tenant storage')).toBe('users-sso-inheritance-features-for-children-and-tenant-storage');
    expect(slug('snake_case and [a link](x.md)')).toBe('snake_case-and-a-link');
    expect([...anchorsOf('# A\n## B\n```sh\n# not a heading\n```\n## B\n')]).toEqual(['a', 'b', 'b-1']);
  });

  it('finds links outside code, with their lines', () => {
    const text = 'see [a](a.md#x) and `[not](b.md)`\n```md\n[not](c.md)\n```\n![img](i.png) [ref]\n\n[ref]: r.md "title"\n[web](https://example.com)\n';
    expect(linksOf(text)).toEqual([
      { line: 1, target: 'a.md#x' },
      { line: 5, target: 'i.png' },
      { line: 8, target: 'https://example.com' },
      { line: 7, target: 'r.md' },
    ]);
  });

  it('reports a missing file and a missing anchor, and nothing for good links', () => {
    const example = {
      'README.md': '# Tool\n\nSee [the guide](docs/guide.md), [its setup](docs/guide.md#set-up), [gone](docs/gone.md),\n[a typo](docs/guide.md#setup), [here](#tool), [Mender](https://mender.io), [code](src/main.ts).\n',
      'docs/guide.md': '# Guide\n\n[Back](../README.md)\n\n## Set up\n\n[up](../README.md#tool) [nowhere](../README.md#nowhere) [self](#set-up)\n',
    };
    const broken = brokenLinks(example, (f) => f === 'src/main.ts');
    expect(broken).toEqual([
      'README.md:3: docs/gone.md: docs/gone.md does not exist',
      'README.md:4: docs/guide.md#setup: no heading with the anchor #setup in docs/guide.md',
      'docs/guide.md:7: ../README.md#nowhere: no heading with the anchor #nowhere in README.md',
    ]);
    // The same example repaired has nothing to report.
    const repaired = {
      'README.md': example['README.md'].replace(', [gone](docs/gone.md)', '').replace('#setup', '#set-up'),
      'docs/guide.md': example['docs/guide.md'].replace(' [nowhere](../README.md#nowhere)', ''),
    };
    expect(brokenLinks(repaired, (f) => f === 'src/main.ts')).toEqual([]);
  });
});

describe('README.md and docs/', () => {
  it('README.md has at most 300 lines', () => {
    expect(readme.replace(/\n$/, '').split('\n').length).toBeLessThanOrEqual(300);
  });

  it('README.md keeps the two commands for a fresh machine', () => {
    expect(readme).toContain('./scripts/demo.sh');
    expect(readme).toContain('./scripts/test.sh');
  });

  it('README.md links every docs page', () => {
    const linked = new Set(linksOf(readme).map((l) => resolveLink('README.md', l.target)?.file));
    expect(docsPages.filter((p) => !linked.has(p))).toEqual([]);
    expect(docsPages.length).toBeGreaterThan(0);
  });

  it.each(docsPages)('%s starts with a title and a link back to the README', (page) => {
    const [title, , back] = files[page]!.split('\n');
    expect(title).toMatch(/^# \S/);
    expect(linksOf(back ?? '').map((l) => l.target)).toContain('../README.md');
  });

  it('every relative link resolves to a file and, with an anchor, to a heading', () => {
    expect(brokenLinks(files, existsInRepo)).toEqual([]);
  });
});
