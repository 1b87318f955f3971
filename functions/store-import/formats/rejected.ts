/**
 * Row-level rejection, shared by every reader: a row that cannot be read as a row of the file (a
 * different number of cells than the header, a cell over the size limit, a line that is not a JSON
 * object) is not a reason to refuse the file. The reader yields a RejectedRow in its place; it is
 * stored as a raw record like every row (its original text and the reason kept), linked, skipped by
 * discovery and reported. Faults of the file itself (encoding, binary, an open quote, a broken JSON
 * array, no header) stay InvalidImportErrors that refuse the file.
 */

import type { Undecodable } from './decode.ts';

export type RejectCode = 'ragged' | 'cell_too_large' | 'invalid_json' | 'not_an_object' | 'undecodable';

export interface Rejection {
  code: RejectCode;
  /** The 1-based file line the row starts on (the sheet's row number for a workbook); null where unknown. */
  line: number | null;
  /** The column the fault is in, when it is one column's. */
  column: string | null;
  /** The offending value, shortened (the whole row stays in `source`). */
  value: string;
  message: string;
}

/**
 * A rejected row as it travels from the reader to COPY. `source` is what the consultant sent: the
 * row's text for text formats (a CSV row rebuilt from its cells, quoted where needed), or the cells
 * of a worksheet row.
 */
export class RejectedRow {
  constructor(
    readonly rejection: Rejection,
    readonly source: string | string[],
  ) {}
}

export const isRejected = (row: unknown): row is RejectedRow => row instanceof RejectedRow;

/** The share of rejected rows an environment tolerates unless it says otherwise (maxRejectedRowsPercent). */
export const DEFAULT_MAX_REJECTED_ROWS_PERCENT = 10;

/** The largest cell kept, in characters: room for the 5 MB cells inventories do hold, below CSV's 8 MiB row limit. */
export const DEFAULT_MAX_CELL_CHARS = 6 * 1024 * 1024;

/** How much of an offending value a report repeats. */
const VALUE_CHARS = 200;
export const shortValue = (value: string) => (value.length > VALUE_CHARS ? `${value.slice(0, VALUE_CHARS)}… (${value.length} characters)` : value);

/** The first cell longer than `maxCellChars`, as [column, length], else null. Strings only: nested JSON is measured by its reader. */
export function oversizedCell(row: Record<string, unknown>, maxCellChars: number): [string, number] | null {
  for (const key in row) {
    const v = row[key];
    if (typeof v === 'string' && v.length > maxCellChars) return [key, v.length];
  }
  return null;
}

export function cellTooLarge(file: string, line: number | null, column: string, length: number, maxCellChars: number): Rejection {
  return {
    code: 'cell_too_large',
    line,
    column,
    value: `(${length} characters)`,
    message: `${file}: ${line === null ? '' : `line ${line}: `}the value of "${column}" has ${length} characters, more than the ${maxCellChars} a cell may hold`,
  };
}

/** The first line of `from`..`to` with invalid bytes, as a rejection, or null (a map lookup per line only when the file had any). */
export function undecodableRow(undecodable: Map<number, Undecodable> | undefined, from: number, to: number, file: string): Rejection | null {
  if (!undecodable?.size) return null;
  for (let line = from; line <= to; line++) {
    const bad = undecodable.get(line);
    if (bad) {
      return {
        code: 'undecodable',
        line: from,
        column: null,
        value: bad.hex,
        message: `${file}: line ${line}, byte ${bad.byte}: bytes ${bad.hex} are not valid UTF-8; save the file as UTF-8 (in Excel: "CSV UTF-8")`,
      };
    }
  }
  return null;
}

/** A CSV row's text from its cells: as the file had it, up to quoting (a cell is quoted when it must be). */
export function csvLine(cells: readonly string[], delimiter: string): string {
  return cells.map((c) => (c.includes(delimiter) || c.includes('"') || c.includes('\n') || c.includes('\r') ? `"${c.replaceAll('"', '""')}"` : c)).join(delimiter);
}
