/**
 * Numbers and sizes as inventory files write them: thousands separators ("16,384", "16.384.000",
 * "16 384"), decimal commas ("1,5"), units in the cell ("16 GB", "512MiB") or in the header
 * ("Memory (In MB)", "RAM.TotalSizeInMB", "MemoryGiB").
 */

export type SizeUnit = 'B' | 'KB' | 'MB' | 'GB' | 'TB';

/**
 * How many GB one unit is. GB here is the binary gigabyte (GiB): inventory tools write "MB" for
 * mebibytes (16384 MB of RAM is 16 GB to everyone), so MB and MiB both divide by 1024.
 */
const PER_GB: Record<SizeUnit, number> = { B: 1 / 1024 ** 3, KB: 1 / 1024 ** 2, MB: 1 / 1024, GB: 1, TB: 1024 };

const UNIT_WORDS: Record<string, SizeUnit> = {
  b: 'B', byte: 'B', bytes: 'B',
  k: 'KB', kb: 'KB', kib: 'KB',
  m: 'MB', mb: 'MB', mib: 'MB', meg: 'MB',
  g: 'GB', gb: 'GB', gib: 'GB', gig: 'GB',
  t: 'TB', tb: 'TB', tib: 'TB',
};

/** A blank cell: empty, whitespace, or the placeholders exports write for "no value". */
export function isBlank(value: unknown): boolean {
  if (value === null || value === undefined) return true;
  const s = String(value).trim();
  if (s === '') return true;
  return s.length <= 7 && /^(n\/?a|null|none|-|--|—|\?|unknown|#n\/a)$/i.test(s);
}

/**
 * A number from a cell, or null. The last of ',' and '.' is the decimal separator when both occur;
 * a lone ',' is a thousands separator only in the exact "1,234" / "12,345,678" shape, else a decimal
 * comma ("1,5"); a lone '.' repeated in groups of three ("16.384.000") is a thousands separator.
 */
export function parseNumber(value: unknown): number | null {
  if (typeof value === 'number') return Number.isFinite(value) ? value : null;
  if (isBlank(value)) return null;
  let s = String(value).trim().replace(/[\s\u00a0\u202f']/g, '');
  const m = /^[-+]?[\d.,]+/.exec(s);
  if (!m) return null;
  s = m[0];
  const lastComma = s.lastIndexOf(',');
  const lastDot = s.lastIndexOf('.');
  if (lastComma >= 0 && lastDot >= 0) {
    s = lastComma > lastDot ? s.replace(/\./g, '').replace(',', '.') : s.replace(/,/g, '');
  } else if (lastComma >= 0) {
    s = /^[-+]?\d{1,3}(,\d{3})+$/.test(s) ? s.replace(/,/g, '') : s.replace(/,/g, '.');
  } else if (/^[-+]?\d{1,3}(\.\d{3}){2,}$/.test(s)) {
    s = s.replace(/\./g, '');
  }
  if ((s.match(/\./g) ?? []).length > 1) return null;
  const n = Number(s);
  return Number.isFinite(n) ? n : null;
}

/** The unit a cell states after its number ("16 GB", "1,5TB", "512 MiB"), if any. */
export function unitInCell(value: unknown): SizeUnit | null {
  if (typeof value !== 'string') return null;
  const m = /^\s*[-+]?[\d.,\s\u00a0]+\s*([a-z]+)\b/i.exec(value);
  return m ? (UNIT_WORDS[m[1]!.toLowerCase()] ?? null) : null;
}

/**
 * The unit a header states: "(MB)", "In Use MiB", "RAM.TotalSizeInMB", "MemoryGiB",
 * "disk_space (GB)", "AllocatedStorageBytes". Null when it states none.
 */
export function unitInHeader(header: string): SizeUnit | null {
  // camelCase boundary ("SizeInMB", "MemoryGiB") or a separator before the unit
  const m = /(?:^|[^A-Za-z]|(?<=[a-z]))(TiB|TB|GiB|GB|MiB|MB|KiB|KB|Bytes)(?![a-z])/.exec(header)
    ?? /(?:^|[^a-z])(tib|tb|gib|gb|mib|mb|kib|kb|bytes)(?:[^a-z]|$)/i.exec(header);
  return m ? (UNIT_WORDS[m[1]!.toLowerCase()] ?? null) : null;
}

/** Rounds away binary-fraction noise (16384 / 1024 stays 16, 1.5 TB stays 1536). */
export const round3 = (n: number) => Math.round(n * 1000) / 1000;

/**
 * A size in GB from a cell: the cell's own unit wins over the header's, which wins over
 * `fallback` (the format's documented unit, or the generic guess).
 */
export function toGb(value: unknown, headerUnit: SizeUnit | null, fallback: SizeUnit = 'GB'): number | null {
  const n = parseNumber(value);
  if (n === null || n < 0) return null;
  const unit = unitInCell(value) ?? headerUnit ?? fallback;
  return round3(n * PER_GB[unit]);
}

/** A whole count (CPUs, cores) from a cell, or null; "2 x 4" style cells are multiplied. */
export function parseCount(value: unknown): number | null {
  if (typeof value === 'string') {
    const m = /^\s*(\d+)\s*[x×*]\s*(\d+)\s*$/i.exec(value);
    if (m) return Number(m[1]) * Number(m[2]);
  }
  const n = parseNumber(value);
  if (n === null || n < 0) return null;
  return Math.round(n);
}
