/**
 * The unit of a size column (memory, disk) that neither its header nor its format states, decided
 * once for the whole column from the magnitude of its cells, never cell by cell: a 512 in a column
 * of 4096s and 8192s is 512 MB like its neighbours, not 512 GB. A cell that writes its own unit
 * ("16 GB") keeps it and does not count. PlanDiscovery computes the statistics in SQL over the whole
 * import (discover.ts); sizeStats computes the same from cells in memory. Pure.
 */
import { parseNumber, unitInCell, unitInHeader, type DecimalMark, type SizeUnit } from './numbers.ts';

export type SizeKind = 'memory' | 'storage';

/** The magnitude of a column's unitless, positive cells. */
export interface SizeStats {
  cells: number;
  median: number | null;
  max: number | null;
}

export interface UnitDecision {
  unit: SizeUnit;
  decidedBy: 'magnitude' | 'default';
  evidence: SizeStats;
}

/** The statistics of a column's cells read with its decimal mark (cells with a unit of their own, blanks and zeros left out). */
export function sizeStats(values: Iterable<unknown>, mark: DecimalMark = '.'): SizeStats {
  const numbers: number[] = [];
  for (const value of values) {
    // a path through an array (disks[].size) holds one size per element: the row's size is their sum
    let n: number | null = null;
    for (const v of Array.isArray(value) ? value : [value]) {
      if (unitInCell(v) !== null) continue;
      const part = parseNumber(v, mark);
      if (part !== null && part > 0) n = (n ?? 0) + part;
    }
    if (n !== null) numbers.push(n);
  }
  if (!numbers.length) return { cells: 0, median: null, max: null };
  numbers.sort((a, b) => a - b);
  const mid = numbers.length >> 1;
  const median = numbers.length % 2 ? numbers[mid]! : (numbers[mid - 1]! + numbers[mid]!) / 2;
  return { cells: numbers.length, median, max: numbers[numbers.length - 1]! };
}

/**
 * The unit of a size column from its magnitude. Memory: a median of 2^30 or more is bytes, of 2^21
 * or more KB (as MB it would be terabytes per machine), of 1024 or more (or a largest cell of
 * 16384 or more) MB; else GB. Disk: a median of 10^9 or more is bytes, of 10 000 or more (or a
 * largest cell of 10^6 or more) MB; else GB. No unitless cell: GB, said so.
 */
export function decideSizeUnit(kind: SizeKind, stats: SizeStats): UnitDecision {
  const { median, max } = stats;
  if (median === null || max === null) return { unit: 'GB', decidedBy: 'default', evidence: stats };
  let unit: SizeUnit;
  if (kind === 'memory') {
    unit = median >= 2 ** 30 ? 'B' : median >= 2 ** 21 ? 'KB' : median >= 1024 || max >= 16384 ? 'MB' : 'GB';
  } else {
    unit = median >= 1e9 ? 'B' : median >= 10_000 || max >= 1e6 ? 'MB' : 'GB';
  }
  return { unit, decidedBy: 'magnitude', evidence: stats };
}

/** The size kind a mapping target holds, or null. */
export function sizeKindOf(target: string | null): SizeKind | null {
  return target === 'memory_gb' ? 'memory' : target === 'storage_gb' ? 'storage' : null;
}

/**
 * The unit decision of every size column of a plan whose header and format state none, from rows
 * in memory (tests, tools); PlanDiscovery takes the same decisions from SQL statistics.
 */
export function decideColumnUnits(
  mappings: ReadonlyArray<{ sourceField: string; target: string | null; unit?: SizeUnit | null; unitColumn?: string | null }>,
  rows: ReadonlyArray<Record<string, unknown>>,
  marks: Record<string, DecimalMark> = {},
): Record<string, UnitDecision> {
  const out: Record<string, UnitDecision> = {};
  for (const m of mappings) {
    const kind = sizeKindOf(m.target);
    if (!kind || m.unit || m.unitColumn || unitInHeader(m.sourceField)) continue;
    out[m.sourceField] = decideSizeUnit(
      kind,
      sizeStats(
        rows.map((r) => r[m.sourceField]),
        marks[m.sourceField] ?? '.',
      ),
    );
  }
  return out;
}
