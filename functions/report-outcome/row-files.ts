/**
 * The two files beside the outcome report, read from the raw records (never from the state):
 *
 * - `<file>.<version>.errors.csv`: one line per rejected row (severity `error`) and per field
 *   warning (severity `warning`): `line,row,column,value,severity,message`. It opens in Excel as it
 *   is: UTF-8 with a byte order mark, CRLF line ends, and a cell Excel would run as a formula
 *   (starting `=`, `+`, `-`, `@`, tab or CR) is written with a leading apostrophe, so it stays text.
 * - `<file>.<version>.rejected.<ext>`: only the rejected rows, in the dropped file's own format
 *   with its header, ready to fix and drop again: CSV with the file's delimiter and header line,
 *   NDJSON lines, a JSON array. A workbook's rejected rows are written as CSV (UTF-8 with a byte
 *   order mark, comma-separated, the sheet's header row first): Excel opens it, and a fixed one
 *   drops as any CSV does.
 *
 * Rows come in row_number order, so a replay writes both files byte for byte again.
 */
import { and, asc, eq, gt, or, sql } from 'drizzle-orm';
import type { Db } from '../../db/client.ts';
import { rawImportRecords } from '../../db/schema/index.ts';
import type { FieldWarning } from '../_shared/inventory/field-warnings.ts';

type Reader = Pick<Db, 'select'>;

/** Raw records read per statement: the files are built page by page. */
const PAGE = 5000;

export interface RowIssues {
  rejected: number;
  warnings: number;
  /** Null when every row was accepted and read: then there is no errors file. */
  errorsCsv: string | null;
  /** The rejected rows in the file's format, or null when none was rejected. */
  rejectedFile: { ext: string; body: string; contentType: string } | null;
}

interface Rejection { code?: string; line?: number | null; column?: string | null; value?: string; message?: string }

const BOM = '\uFEFF';
/** A cell Excel (or another spreadsheet) would evaluate: written with a leading apostrophe. */
const FORMULA_START = /^[=+\-@\t\r]/;

/** One CSV cell for the errors file: formula-leading text neutralised, quoted when it must be. */
export function errorsCell(value: unknown): string {
  let s = value === null || value === undefined ? '' : String(value);
  if (FORMULA_START.test(s)) s = `'${s}`;
  return /[",\r\n]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
}

export const ERRORS_HEADER = 'line,row,column,value,severity,message';

/** One line of the errors file (without its line end). */
export function errorsLine(e: { line: number | null; row: number; column: string | null; value: string | null; severity: 'error' | 'warning'; message: string }): string {
  return [e.line ?? '', e.row, e.column ?? '', e.value ?? '', e.severity, e.message].map(errorsCell).join(',');
}

/** The errors file from its lines: byte order mark, header, CRLF after every line. */
export const errorsDocument = (lines: readonly string[]): string => `${BOM}${[ERRORS_HEADER, ...lines].join('\r\n')}\r\n`;

const csvCell = (s: string, delimiter: string) =>
  s.includes(delimiter) || s.includes('"') || s.includes('\n') || s.includes('\r') ? `"${s.replaceAll('"', '""')}"` : s;

/** The header as the file had it: the renames StoreImport made for empty or repeated names undone. */
function fileHeader(config: Record<string, unknown>): string[] {
  const headers = Array.isArray(config.headers) ? config.headers.map(String) : [];
  const renames = Array.isArray(config.headerRenames) ? (config.headerRenames as Array<{ column: number; from: string }>) : [];
  const out = [...headers];
  for (const r of renames) if (r.column >= 1 && r.column <= out.length) out[r.column - 1] = r.from;
  return out;
}

/**
 * Reads the rejected rows and the field warnings of an import (tenant-scoped by `where`), and
 * builds the errors file and the rejected rows file.
 */
export async function buildRowIssues(db: Reader, where: ReturnType<typeof and>, config: Record<string, unknown>): Promise<RowIssues> {
  const r = rawImportRecords;
  const format = typeof config.format === 'string' ? config.format : 'csv';
  const delimiter = typeof config.delimiter === 'string' ? config.delimiter : ',';
  const errors: string[] = [];
  const rejectedRows: string[] = [];
  let rejected = 0;
  let warnings = 0;
  const flagged = or(sql`${r.validationErrors} ->> 'skip' = 'rejected'`, sql`${r.validationErrors} ? 'warnings'`);
  for (let after = 0; ;) {
    const page = await db.select({ rowNumber: r.rowNumber, lineNumber: r.lineNumber, rawData: r.rawData, validationErrors: r.validationErrors })
      .from(r).where(and(where, gt(r.rowNumber, after), flagged)).orderBy(asc(r.rowNumber)).limit(PAGE);
    for (const rec of page) {
      const v = (rec.validationErrors ?? {}) as { skip?: string; warnings?: FieldWarning[] } & Rejection;
      if (v.skip === 'rejected') {
        rejected++;
        errors.push(errorsLine({ line: rec.lineNumber, row: rec.rowNumber, column: v.column ?? null, value: v.value ?? null, severity: 'error', message: v.message ?? 'rejected' }));
        const raw = rec.rawData as { text?: string; cells?: string[] };
        rejectedRows.push(raw.cells ? raw.cells.map((c) => csvCell(c, ',')).join(',') : (raw.text ?? ''));
      }
      for (const w of v.warnings ?? []) {
        warnings++;
        errors.push(errorsLine({ line: rec.lineNumber, row: rec.rowNumber, column: w.column, value: w.value, severity: 'warning', message: w.message }));
      }
    }
    if (page.length < PAGE) break;
    after = page[page.length - 1]!.rowNumber;
  }
  const errorsCsv = errorsDocument(errors);
  if (rejected === 0) return { rejected, warnings, errorsCsv: warnings ? errorsCsv : null, rejectedFile: null };

  const bom = config.bom === true ? BOM : '';
  let rejectedFile: RowIssues['rejectedFile'];
  switch (format) {
    case 'ndjson':
      rejectedFile = { ext: 'ndjson', contentType: 'application/x-ndjson', body: `${rejectedRows.join('\n')}\n` };
      break;
    case 'json':
      rejectedFile = { ext: 'json', contentType: 'application/json', body: `[\n${rejectedRows.join(',\n')}\n]\n` };
      break;
    case 'xlsx':
      rejectedFile = { ext: 'csv', contentType: 'text/csv; charset=utf-8', body: `${BOM}${[fileHeader(config).map((h) => csvCell(h, ',')).join(','), ...rejectedRows].join('\r\n')}\r\n` };
      break;
    default: {
      const header = fileHeader(config).map((h) => csvCell(h, delimiter)).join(delimiter);
      const ext = delimiter === '\t' ? 'tsv' : 'csv';
      rejectedFile = { ext, contentType: 'text/csv; charset=utf-8', body: `${bom}${config.sepLine === true ? `sep=${delimiter}\r\n` : ''}${[header, ...rejectedRows].join('\r\n')}\r\n` };
    }
  }
  return { rejected, warnings, errorsCsv, rejectedFile };
}
