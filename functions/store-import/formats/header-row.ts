/**
 * Which row of a sheet is its header, by what the rows hold rather than by position: workbooks made
 * by people put a title, notes, a blank row and a merged group-header row ("Identity", "Sizing")
 * above the real header. Pure, so the rule is tested on its own.
 */
import { matchHeader } from '../../_shared/inventory/field-mapper.ts';
import { recogniseFormat } from '../../_shared/inventory/formats.ts';

/** How many leading rows of a sheet are looked at for its header. */
export const HEADER_SCAN_ROWS = 30;

/** Fields whose presence makes a header row an inventory's (two of them are needed). */
export const INVENTORY_FIELDS = new Set(['name', 'hostname', 'fqdn', 'ip_address', 'operating_system', 'cpu_cores', 'memory_gb', 'storage_gb']);

const isNumberLike = (s: string) => /^[-+]?[\d.,\s]+$/.test(s);

/**
 * How much a row looks like an inventory header: the distinct inventory fields its cells name
 * (weighted most), then how many of its cells are short non-numeric text. A row with fewer than
 * two filled cells (a title, a note) scores 0.
 */
export function headerScore(cells: readonly string[]): { score: number; fields: string[] } {
  const filled = cells.map((c) => c.trim()).filter((c) => c !== '');
  if (filled.length < 2) return { score: 0, fields: [] };
  const fields = new Set<string>();
  let texty = 0;
  for (const cell of filled) {
    if (cell.length <= 60 && !isNumberLike(cell)) texty++;
    const target = cell.length <= 60 ? matchHeader(cell)?.target : undefined;
    if (target && INVENTORY_FIELDS.has(target)) fields.add(target);
  }
  const format = recogniseFormat(filled) ? 100 : 0;
  return { score: format + fields.size * 10 + texty, fields: [...fields] };
}

/**
 * The index of the header among the leading rows: the most header-like row that names at least two
 * inventory fields (the earliest on a tie), or null when none does.
 */
export function findHeaderRow(rows: ReadonlyArray<readonly string[]>): { index: number; fields: string[] } | null {
  let best: { index: number; fields: string[]; score: number } | null = null;
  for (let index = 0; index < rows.length; index++) {
    const { score, fields } = headerScore(rows[index]!);
    if (fields.length >= 2 && (!best || score > best.score)) best = { index, fields, score };
  }
  return best ? { index: best.index, fields: best.fields } : null;
}
