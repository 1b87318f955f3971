// The documentation's links: every relative link in README.md and docs/**/*.md names a file that
// exists, and every #anchor a heading of its target (GitHub's slug rules), so moving a section
// cannot leave a dangling reference. The README stays a front door: at most 200 lines.
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = resolve(import.meta.dirname, '..');
const README_MAX_LINES = 200;

function markdownFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return markdownFiles(path);
    return name.endsWith('.md') ? [path] : [];
  });
}

/** Text outside fenced code blocks and inline code spans, where links and headings live. */
function prose(text: string): string[] {
  let fenced = false;
  return text.split('\n').map((line) => {
    if (/^\s*(```|~~~)/.test(line)) {
      fenced = !fenced;
      return '';
    }
    return fenced ? '' : line.replace(/`[^`]*`/g, '');
  });
}

/** GitHub's heading anchor: lower case, markup and punctuation dropped, spaces to hyphens, repeats numbered. */
function anchorsOf(text: string): Set<string> {
  const anchors = new Set<string>();
  const seen = new Map<string, number>();
  let fenced = false;
  for (const line of text.split('\n')) {
    if (/^\s*(```|~~~)/.test(line)) fenced = !fenced;
    const heading = fenced ? null : /^#{1,6}\s+(.*?)\s*#*\s*$/.exec(line);
    if (!heading) continue;
    const slug = heading[1]
      .replace(/\[([^\]]*)\]\([^)]*\)/g, '$1')
      .toLowerCase()
      .replace(/[^\p{L}\p{N}\s_-]/gu, '')
      .replace(/ /g, '-');
    const count = seen.get(slug) ?? 0;
    seen.set(slug, count + 1);
    anchors.add(count === 0 ? slug : `${slug}-${count}`);
  }
  for (const [, id] of text.matchAll(/<a\s+(?:name|id)="([^"]+)"/g)) anchors.add(id);
  return anchors;
}

interface Link {
  file: string;
  line: number;
  target: string;
}

function linksOf(file: string): Link[] {
  const links: Link[] = [];
  prose(readFileSync(file, 'utf8')).forEach((line, i) => {
    for (const [, target] of line.matchAll(/\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)) {
      links.push({ file, line: i + 1, target });
    }
  });
  return links;
}

function brokenLinks(markdown: string[], base = root): string[] {
  const broken: string[] = [];
  for (const link of markdown.flatMap(linksOf)) {
    if (/^[a-z][a-z0-9+.-]*:/i.test(link.target)) continue; // https:, mailto:
    const [path, anchor] = link.target.split('#', 2);
    const target = path === '' ? link.file : resolve(dirname(link.file), decodeURIComponent(path));
    const where = `${relative(base, link.file)}:${link.line} → ${link.target}`;
    if (!existsSync(target)) {
      broken.push(`${where}: no such file`);
      continue;
    }
    if (anchor === undefined || anchor === '') continue;
    if (!target.endsWith('.md') || statSync(target).isDirectory()) {
      broken.push(`${where}: an anchor into a file that is not Markdown`);
    } else if (!anchorsOf(readFileSync(target, 'utf8')).has(decodeURIComponent(anchor))) {
      broken.push(`${where}: no heading with that anchor`);
    }
  }
  return broken;
}

const files = [join(root, 'README.md'), ...markdownFiles(join(root, 'docs'))];

describe('documentation links', () => {
  it('finds the README and the docs', () => {
    expect(existsSync(files[0])).toBe(true);
  });

  it('every relative link names an existing file, and every #anchor one of its headings', () => {
    expect(brokenLinks(files)).toEqual([]);
  });

  it('reports a missing file and a missing heading', () => {
    const dir = mkdtempSync(join(tmpdir(), 'docs-links-'));
    try {
      writeFileSync(join(dir, 'a.md'), '# Here\n\n[ok](#here) [ok](b.md#there) [gone](c.md) [gone](b.md#elsewhere) `[code](d.md)`\n');
      writeFileSync(join(dir, 'b.md'), '## There\n');
      const broken = brokenLinks([join(dir, 'a.md')], dir);
      expect(broken).toEqual(['a.md:3 → c.md: no such file', 'a.md:3 → b.md#elsewhere: no heading with that anchor']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it(`README.md is at most ${README_MAX_LINES} lines`, () => {
    const lines = readFileSync(join(root, 'README.md'), 'utf8').replace(/\n$/, '').split('\n').length;
    expect(lines).toBeLessThanOrEqual(README_MAX_LINES);
  });

  it('computes anchors as GitHub does', () => {
    const anchors = anchorsOf(['# Operating it: replays and redrives', '## Guarantees, and the test that proves each', '## A', '## A', '```', '# not a heading', '```'].join('\n'));
    expect([...anchors]).toEqual(['operating-it-replays-and-redrives', 'guarantees-and-the-test-that-proves-each', 'a', 'a-1']);
  });
});
