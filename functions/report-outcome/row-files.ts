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
 * Rows come in row_number order, so a replay writes both files byte for byte again. Both are read
 * a page at a time and streamed to S3 (put-text.ts): memory stays flat however many rows are named.
 */
import { and, asc, gt, or, sql } from 'drizzle-orm';
import type { Db } from '../../db/client.ts';
import { rawImportRecords } from '../../db/schema/index.ts';
import type { FieldWarning } from '../_shared/inventory/field-warnings.ts';

type Reader = Pick<Db, 'select'>;

/** Raw records read per statement: the files are built page by page. */
const PAGE = 5000;

interface Rejection {
  code?: string;
  line?: number | null;
  column?: string | null;
  value?: string;
  message?: string;
}

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

const csvCell = (s: string, delimiter: string) => (s.includes(delimiter) || s.includes('"') || s.includes('\n') || s.includes('\r') ? `"${s.replaceAll('"', '""')}"` : s);

/** The header as the file had it: the renames StoreImport made for empty or repeated names undone. */
function fileHeader(config: Record<string, unknown>): string[] {
  const headers = Array.isArray(config.headers) ? config.headers.map(String) : [];
  const renames = Array.isArray(config.headerRenames) ? (config.headerRenames as Array<{ column: number; from: string }>) : [];
  const out = [...headers];
  for (const r of renames) if (r.column >= 1 && r.column <= out.length) out[r.column - 1] = r.from;
  return out;
}

/** How many rows were rejected and how many values warned (one aggregate over the import's records). */
export async function countRowIssues(db: Reader, where: ReturnType<typeof and>): Promise<{ rejected: number; warnings: number }> {
  const r = rawImportRecords;
  const [row] = await db
    .select({
      rejected: sql<number>`(count(*) filter (where ${r.validationErrors} ->> 'skip' = 'rejected'))::int`,
      warnings: sql<number>`coalesce(sum(jsonb_array_length(${r.validationErrors} -> 'warnings')), 0)::int`,
    })
    .from(r)
    .where(and(where, sql`${r.validationErrors} is not null`));
  return { rejected: row?.rejected ?? 0, warnings: row?.warnings ?? 0 };
}

/** The flagged records of an import in row order, a page at a time (constant memory, however many). */
async function* flaggedRecords(db: Reader, where: ReturnType<typeof and>, only: 'rejected' | 'any') {
  const r = rawImportRecords;
  const rejected = sql`${r.validationErrors} ->> 'skip' = 'rejected'`;
  const flagged = only === 'rejected' ? rejected : or(rejected, sql`${r.validationErrors} ? 'warnings'`);
  for (let after = 0; ; ) {
    const page = await db
      .select({ rowNumber: r.rowNumber, lineNumber: r.lineNumber, rawData: r.rawData, validationErrors: r.validationErrors })
      .from(r)
      .where(and(where, gt(r.rowNumber, after), flagged))
      .orderBy(asc(r.rowNumber))
      .limit(PAGE);
    yield page;
    if (page.length < PAGE) return;
    after = page[page.length - 1]!.rowNumber;
  }
}

/** The errors file, a page of lines at a time: byte order mark and header first, CRLF after every line. */
export async function* errorsFileChunks(db: Reader, where: ReturnType<typeof and>): AsyncGenerator<string> {
  yield `${BOM}${ERRORS_HEADER}\r\n`;
  for await (const page of flaggedRecords(db, where, 'any')) {
    let chunk = '';
    for (const rec of page) {
      const v = (rec.validationErrors ?? {}) as { skip?: string; warnings?: FieldWarning[] } & Rejection;
      if (v.skip === 'rejected') {
        chunk += `${errorsLine({ line: rec.lineNumber, row: rec.rowNumber, column: v.column ?? null, value: v.value ?? null, severity: 'error', message: v.message ?? 'rejected' })}\r\n`;
      }
      for (const w of v.warnings ?? []) {
        chunk += `${errorsLine({ line: rec.lineNumber, row: rec.rowNumber, column: w.column, value: w.value, severity: 'warning', message: w.message })}\r\n`;
      }
    }
    if (chunk) yield chunk;
  }
}

/** What the rejected rows file of an import is: its extension and content type, by the file's format. */
export function rejectedFileKind(config: Record<string, unknown>): { ext: string; contentType: string } {
  switch (config.format) {
    case 'ndjson':
      return { ext: 'ndjson', contentType: 'application/x-ndjson' };
    case 'json':
      return { ext: 'json', contentType: 'application/json' };
    case 'xlsx':
      return { ext: 'csv', contentType: 'text/csv; charset=utf-8' };
    default:
      return { ext: config.delimiter === '\t' ? 'tsv' : 'csv', contentType: 'text/csv; charset=utf-8' };
  }
}

/** The rejected rows file, a page at a time, in the file's own format with its header (a workbook's as CSV). */
export async function* rejectedFileChunks(db: Reader, where: ReturnType<typeof and>, config: Record<string, unknown>): AsyncGenerator<string> {
  const format = typeof config.format === 'string' ? config.format : 'csv';
  const delimiter = format === 'xlsx' ? ',' : typeof config.delimiter === 'string' ? config.delimiter : ',';
  const eol = format === 'ndjson' || format === 'json' ? '\n' : '\r\n';
  if (format === 'json') yield '[\n';
  else if (format !== 'ndjson') {
    const bom = format === 'xlsx' || config.bom === true ? BOM : '';
    const sep = format !== 'xlsx' && config.sepLine === true ? `sep=${delimiter}\r\n` : '';
    yield `${bom}${sep}${fileHeader(config)
      .map((h) => csvCell(h, delimiter))
      .join(delimiter)}\r\n`;
  }
  let first = true;
  for await (const page of flaggedRecords(db, where, 'rejected')) {
    let chunk = '';
    for (const rec of page) {
      const raw = rec.rawData as { text?: string; cells?: string[] };
      const line = raw.cells ? raw.cells.map((c) => csvCell(c, ',')).join(',') : (raw.text ?? '');
      chunk += format === 'json' ? `${first ? '' : ',\n'}${line}` : `${line}${eol}`;
      first = false;
    }
    if (chunk) yield chunk;
  }
  if (format === 'json') yield '\n]\n';
}
