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
  b: 'B',
  byte: 'B',
  bytes: 'B',
  k: 'KB',
  kb: 'KB',
  kib: 'KB',
  m: 'MB',
  mb: 'MB',
  mib: 'MB',
  meg: 'MB',
  g: 'GB',
  gb: 'GB',
  gib: 'GB',
  gig: 'GB',
  t: 'TB',
  tb: 'TB',
  tib: 'TB',
  // French octets: Ko, Mo, Go, To
  ko: 'KB',
  mo: 'MB',
  go: 'GB',
  to: 'TB',
};

/** A blank cell: empty, whitespace, or the placeholders exports write for "no value". */
export function isBlank(value: unknown): boolean {
  if (value === null || value === undefined) return true;
  const s = String(value).trim();
  if (s === '') return true;
  return s.length <= 7 && /^(n\/?a|null|none|-|--|—|\?|unknown|#n\/a)$/i.test(s);
}

/** The decimal separator of a column: '.' (1,234.5 · 1'234.5) or ',' (1.234,5 · 1 234,5). */
export type DecimalMark = '.' | ',';

/** Characters that group thousands besides the other mark: spaces (also no-break and narrow), apostrophes. */
const SPACES = /[\s\u00a0\u202f]/g;
/** A number at the start of a cell: sign, digits and separators, an exponent; the rest (a unit) is ignored. */
const LEADING = /^[-+]?(?:\d|[.,]\d)[\d.,'\u2019]*(?:[eE][-+]?\d+)?/;

/**
 * The cell's number read with `decimal` as its decimal mark, or null when the cell is not a number
 * written that way: the other mark, spaces and apostrophes may only group digits by three (from
 * the mark leftwards, one grouping character throughout), the mark occurs at most once, and an
 * exponent may follow ("1.07374E+11", "1,07374E+11").
 */
// Digits grouped by three with one grouping character throughout, per character readWith allows.
const GROUPED: Record<string, RegExp> = {
  '.': /^\d{1,3}(?:\.\d{3})+$/,
  ',': /^\d{1,3}(?:,\d{3})+$/,
  "'": /^\d{1,3}(?:'\d{3})+$/,
  '\u2019': /^\d{1,3}(?:\u2019\d{3})+$/,
};

function readWith(s: string, decimal: DecimalMark): number | null {
  const m = /^([-+]?)([\d.,'\u2019]*?)(?:[eE]([-+]?\d+))?$/.exec(s);
  if (!m) return null;
  const body = m[2]!;
  const at = body.indexOf(decimal);
  if (at !== -1 && body.indexOf(decimal, at + 1) !== -1) return null;
  const int = at === -1 ? body : body.slice(0, at);
  const frac = at === -1 ? '' : body.slice(at + 1);
  if (!/^\d*$/.test(frac) || (int === '' && frac === '')) return null;
  let digits = int;
  if (/\D/.test(int)) {
    const group = int.replace(/\d/g, '')[0]!;
    if (group === decimal || !GROUPED[group]!.test(int)) return null;
    digits = int.split(group).join('');
  }
  const n = Number(`${m[1]}${digits || '0'}.${frac || '0'}${m[3] !== undefined ? `e${m[3]}` : ''}`);
  return Number.isFinite(n) ? n : null;
}

/** The number part of a cell with spaces removed (they only ever group digits), or null. */
function numberPart(value: unknown): string | null {
  if (isBlank(value)) return null;
  const m = LEADING.exec(String(value).trim().replace(SPACES, ''));
  return m ? m[0] : null;
}

/**
 * What a cell proves about its column's decimal mark: ',' for "1,5", "1.234,5", "1.234.567";
 * '.' for "3.75", "1,234.5", "1,234,567"; null when it reads the same either way ("16384",
 * "16 384") or is ambiguous ("1,234", "1.234": one mark followed by exactly three digits).
 */
export function decimalEvidence(value: unknown): DecimalMark | null {
  if (typeof value === 'number') return null;
  const s = numberPart(value);
  if (s === null) return null;
  const dot = readWith(s, '.');
  const comma = readWith(s, ',');
  if (dot === null && comma === null) return null;
  if (comma === null) return '.';
  if (dot === null) return ',';
  return null;
}

/**
 * A number from a cell, or null: the one number parser of every path (counts, sizes, the unit
 * guess). Thousands may be grouped by ',', '.', spaces or apostrophes; the decimal mark is '.' or
 * ','; scientific notation is read; a unit after the number is ignored (see unitInCell).
 * A cell that only one mark reads is read that way. One that both marks read differently
 * ("1,234": one mark and exactly three digits) takes `decimal`, the column's mark decided from its
 * other cells (see decimalEvidence); without one, '.' (the form of JSON, APIs and English exports).
 */
export function parseNumber(value: unknown, decimal: DecimalMark = '.'): number | null {
  if (typeof value === 'number') return Number.isFinite(value) ? value : null;
  const s = numberPart(value);
  if (s === null) return null;
  const dot = readWith(s, '.');
  const comma = readWith(s, ',');
  if (dot === null || comma === null) return dot ?? comma;
  return decimal === ',' ? comma : dot;
}

/** A unit named by a whole cell ("GB", "MiB", "bytes"), or null. */
export function unitWord(value: unknown): SizeUnit | null {
  return typeof value === 'string' ? (UNIT_WORDS[value.trim().toLowerCase()] ?? null) : null;
}

/** The unit a cell states after its number ("16 GB", "1,5TB", "512 MiB"), if any. */
export function unitInCell(value: unknown): SizeUnit | null {
  if (typeof value !== 'string') return null;
  const m = /^\s*[-+]?[\d.,\s\u00a0\u202f'\u2019]+(?:[eE][-+]?\d+)?\s*([a-z]+)\b/i.exec(value);
  return m ? (UNIT_WORDS[m[1]!.toLowerCase()] ?? null) : null;
}

/**
 * The unit a header states: "(MB)", "In Use MiB", "RAM.TotalSizeInMB", "MemoryGiB",
 * "disk_space (GB)", "AllocatedStorageBytes". Null when it states none.
 */
export function unitInHeader(header: string): SizeUnit | null {
  // camelCase boundary ("SizeInMB", "MemoryGiB") or a separator before the unit
  // camelCase JSON names write the unit as a word too: "diskSizeGb", "memoryMb" (Azure, Google APIs)
  const m =
    /(?:^|[^A-Za-z]|(?<=[a-z]))(TiB|TB|GiB|GB|MiB|MB|KiB|KB|Bytes)(?![a-z])/.exec(header) ??
    /(?<=[a-z])(Tb|Gb|Mb|Kb)(?![a-z])/.exec(header) ??
    /\((Ko|Mo|Go|To)\)/i.exec(header) ??
    /(?:^|[^a-z])(tib|tb|gib|gb|mib|mb|kib|kb|bytes)(?:[^a-z]|$)/i.exec(header);
  return m ? (UNIT_WORDS[m[1]!.toLowerCase()] ?? null) : null;
}

/** Rounds away binary-fraction noise (16384 / 1024 stays 16, 1.5 TB stays 1536). */
export const round3 = (n: number) => Math.round(n * 1000) / 1000;

/**
 * A size in GB from a cell: the cell's own unit wins over the header's, which wins over
 * `fallback` (the format's documented unit, or the generic guess).
 */
export function toGb(value: unknown, headerUnit: SizeUnit | null, fallback: SizeUnit | ((n: number) => SizeUnit) = 'GB', decimal: DecimalMark = '.'): number | null {
  const n = parseNumber(value, decimal);
  if (n === null || n < 0) return null;
  const unit = unitInCell(value) ?? headerUnit ?? (typeof fallback === 'function' ? fallback(n) : fallback);
  return round3(n * PER_GB[unit]);
}

/** A whole count (CPUs, cores) from a cell, or null; "2 x 4" style cells are multiplied. */
export function parseCount(value: unknown, decimal: DecimalMark = '.'): number | null {
  if (typeof value === 'string') {
    const m = /^\s*(\d+)\s*[x×*]\s*(\d+)\s*$/i.exec(value);
    if (m) return Number(m[1]) * Number(m[2]);
  }
  const n = parseNumber(value, decimal);
  if (n === null || n < 0) return null;
  return Math.round(n);
}
