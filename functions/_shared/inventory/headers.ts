/** Header spellings reduced to comparable keys. */

/** Lower-case letters and digits only, "*" markers and "(optional)" dropped: "*Memory (In MB)" → "memoryinmb". */
export function rawKey(header: string): string {
  return header
    .replace(/^\s*\*+/, '')
    .replace(/\(optional\)/gi, '')
    .toLowerCase()
    .replace(/[^\p{L}\p{N}]+/gu, '');
}

const UNIT_TOKENS = new Set(['b', 'kb', 'kib', 'mb', 'mib', 'gb', 'gib', 'tb', 'tib', 'bytes', 'ko', 'mo', 'go', 'to']);

/**
 * The words of a header without its unit: camelCase and dotted names split ("RAM.TotalSizeInMB" →
 * ["ram", "total", "size"]), "*" and "(optional)" dropped, unit tokens (and an "in" before them) removed.
 */
export function headerTokens(header: string): string[] {
  const s = header
    .replace(/^\s*\*+/, '')
    .replace(/\(optional\)/gi, '')
    .replace(/(?<=[a-z])(TiB|GiB|MiB|KiB|TB|GB|MB|KB)(?![a-z])/g, (u) => ` ${u.toLowerCase()}`)
    .replace(/([\p{Ll}\d])(\p{Lu})/gu, '$1 $2')
    .replace(/(\p{Lu}+)(\p{Lu}\p{Ll})/gu, '$1 $2');
  const tokens = s
    .toLowerCase()
    .split(/[^\p{L}\p{N}]+/u)
    .filter(Boolean);
  const out: string[] = [];
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i]!;
    if (UNIT_TOKENS.has(t)) continue;
    if (t === 'in' && UNIT_TOKENS.has(tokens[i + 1] ?? '')) continue;
    out.push(t);
  }
  return out;
}

/** Similarity of two keys in [0, 1]: 1 − Levenshtein distance / longer length. */
export function similarity(a: string, b: string): number {
  if (a === b) return 1;
  const n = a.length;
  const m = b.length;
  if (!n || !m) return 0;
  let prev = Array.from({ length: m + 1 }, (_, j) => j);
  for (let i = 1; i <= n; i++) {
    const cur = [i];
    for (let j = 1; j <= m; j++) {
      cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = cur;
  }
  return 1 - prev[m]! / Math.max(n, m);
}
