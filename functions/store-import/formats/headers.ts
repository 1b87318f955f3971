import type { HeaderRename } from './types.ts';

/**
 * Unique, non-empty column names, so that building a row object never overwrites or drops a
 * value: an empty name becomes `column_<n>` (its 1-based position), a repeated one `<name>_2`,
 * `<name>_3`, ... (skipping names the file already uses). Surrounding whitespace is trimmed.
 */
export function uniqueHeaders(raw: readonly string[]): { headers: string[]; renames: HeaderRename[] } {
  const trimmed = raw.map((h) => h.trim());
  const taken = new Set(trimmed.filter((h) => h !== ''));
  const used = new Set<string>();
  const renames: HeaderRename[] = [];
  const headers = trimmed.map((name, i) => {
    let out = name === '' ? `column_${i + 1}` : name;
    if (used.has(out) || (name === '' && taken.has(out))) {
      const base = out;
      let n = 2;
      while (used.has(`${base}_${n}`) || taken.has(`${base}_${n}`)) n++;
      out = `${base}_${n}`;
    }
    used.add(out);
    if (out !== raw[i]) renames.push({ column: i + 1, from: raw[i]!, to: out });
    return out;
  });
  return { headers, renames };
}
