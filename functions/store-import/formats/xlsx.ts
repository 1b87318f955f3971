import { createWriteStream } from 'node:fs';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type ExcelJS from 'exceljs';
import WorkbookReader from 'exceljs/lib/stream/xlsx/workbook-reader.js';
import unzipper from 'unzipper';
import { InvalidImportError } from '../../../workflows/step-errors.ts';
import { matchHeader } from '../../_shared/inventory/field-mapper.ts';
import { recogniseFormat } from '../../_shared/inventory/formats.ts';
import { DEFAULT_MAX_RECORD_SIZE } from './csv.ts';
import { findHeaderRow, HEADER_SCAN_ROWS, INVENTORY_FIELDS } from './header-row.ts';
import { uniqueHeaders } from './headers.ts';
import {
  boundedSharedStrings,
  boundedSheet,
  cellOfSharedString,
  InflationLimit,
  InflationMeter,
  inflatedBudget,
  MAX_INFLATION,
  OversizedRow,
  OversizedSharedString,
  type XlsxBounds,
} from './xlsx-bounds.ts';
import { cellTooLarge, DEFAULT_MAX_CELL_CHARS, RejectedRow, shortValue } from './rejected.ts';
import type { ParsedTable } from './types.ts';

const XLSX_MIME = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';

type SheetReader = AsyncIterable<ExcelJS.Row> & { name: string };

interface OpenSheet {
  name: string;
  choice: string;
  headerRowNumber: number;
  rawHeaders: string[];
  rows: AsyncIterator<ExcelJS.Row>;
  skipped: string[];
}

/**
 * Reads an .xlsx workbook with exceljs's streaming WorkbookReader (rows are parsed as they are
 * read; only the shared-strings table is held in memory, as the format requires).
 *
 * The sheet read is the one that holds the inventory: the first sheet named `vInfo` (RVTools) or
 * whose header row carries a known inventory format's signature or at least two inventory fields
 * (name, host name, IP, OS, CPU, memory, storage); when none does, the first sheet with a header
 * row. Which sheet, and why, is recorded (`sheet`, details.sheet_choice). Cells become strings
 * (numbers in their shortest exact form, dates as ISO 8601, formulas as their cached result).
 *
 * The bytes are spooled to a temporary file and the ZIP is read through its central directory:
 * exceljs's own sequential pass over the ZIP loses small entries when the process is busy
 * (xl/workbook.xml, which exceljs and other writers put last, then "reading 'sheets'" fails), and
 * random access takes the sheets in workbook order whatever the ZIP order, without a second pass.
 * exceljs's parsers still read every part; a sheet's rows are parsed as they are read.
 */
export async function readXlsx(bytes: AsyncIterable<Uint8Array>, ctx: { file: string; maxRecordSize?: number | undefined; maxCellChars?: number | undefined }): Promise<ParsedTable> {
  const dir = await mkdtemp(join(tmpdir(), 'flowlink-xlsx-'));
  const cleanup = () => rm(dir, { recursive: true, force: true });
  try {
    const path = join(dir, 'workbook.xlsx');
    await pipeline(Readable.from(bytes), createWriteStream(path));
    const bounds = { maxRecordSize: ctx.maxRecordSize ?? DEFAULT_MAX_RECORD_SIZE, maxInflatedBytes: inflatedBudget((await stat(path)).size) };
    const workbook = await openWorkbook(path, bounds).catch((err) => {
      throw boundsError(err, ctx);
    });
    const sheet = (await openSheet(workbook, 'inventory')) ?? (await openSheet(workbook, 'first'));
    if (!sheet) {
      throw new InvalidImportError(`${ctx.file}: the workbook has no sheet with a header row`, { file: ctx.file, byte: 0 }, 'other');
    }
    const { headers, renames } = uniqueHeaders(sheet.rawHeaders);
    const details: Record<string, unknown> = { sheet: sheet.name, sheet_choice: sheet.choice, sheets_skipped: sheet.skipped, header_row: sheet.headerRowNumber };
    const table: ParsedTable = {
      format: 'xlsx',
      encoding: 'binary',
      mimeType: XLSX_MIME,
      sheet: sheet.name,
      headers,
      headerRenames: renames,
      rows: { [Symbol.asyncIterator]: () => dataRows(sheet, table, details, ctx, cleanup) },
      line: null,
      details,
      close: cleanup,
    };
    return table;
  } catch (err) {
    await cleanup();
    throw wrap(err, ctx);
  }
}

/** The parts of exceljs's streaming WorkbookReader used here (its parse methods are not in its typings). */
interface ReaderInternals {
  model?: { sheets?: Array<{ id: number; name: string; rId: string }> };
  workbookRels?: Array<{ Id: string; Target: string }>;
  _parseRels(entry: Readable): Promise<void>;
  _parseWorkbook(entry: Readable): Promise<void>;
  _parseSharedStrings(entry: Readable): AsyncIterable<unknown>;
  _parseStyles(entry: Readable): Promise<void>;
  _parseWorksheet(iterator: AsyncIterable<unknown>, sheetNo: string): Iterable<{ eventType: string; value: SheetReader }>;
}

interface Workbook {
  reader: ReaderInternals;
  /** The sheets in workbook order, each with its part of the ZIP. */
  sheets: Array<{ name: string; sheetNo: string; open(): Readable }>;
}

/** Reads the workbook's relations, sheet list, shared strings and styles: everything but the sheets. */
async function openWorkbook(path: string, bounds: XlsxBounds): Promise<Workbook> {
  const inflation = new InflationMeter(bounds.maxInflatedBytes);
  const zip = await unzipper.Open.file(path);
  const part = (name: string) => zip.files.find((f) => f.path === name);
  const reader = new WorkbookReader(path, {
    // styles are cached because a number is a date only by its number format
    worksheets: 'emit',
    sharedStrings: 'cache',
    hyperlinks: 'ignore',
    styles: 'cache',
    entries: 'ignore',
  }) as unknown as ReaderInternals;
  const rels = part('xl/_rels/workbook.xml.rels');
  const book = part('xl/workbook.xml');
  if (!rels || !book) throw new Error('the archive has no xl/workbook.xml');
  await reader._parseRels(rels.stream());
  await reader._parseWorkbook(book.stream());
  const strings = part('xl/sharedStrings.xml');
  if (strings) {
    try {
      for await (const _ of reader._parseSharedStrings(boundedSharedStrings(strings.stream(), bounds, inflation))) void _;
    } catch (err) {
      if (!(err instanceof OversizedSharedString)) throw err;
      // name the cell that holds it: the first sheet whose XML refers to that string
      for (const sheet of sheetsOf(reader, part)) {
        const cell = await cellOfSharedString(sheet.file.stream(), err.index);
        if (cell) throw new OversizedRow(cell.row, cell.column, err.limit, sheet.name);
      }
      throw err;
    }
  }
  const styles = part('xl/styles.xml');
  if (styles) await reader._parseStyles(styles.stream());
  const sheets = sheetsOf(reader, part).map(({ name, sheetNo, file }) => ({
    name,
    sheetNo,
    open: () => boundedSheet(file.stream(), file.path, bounds, inflation, name),
  }));
  return { reader, sheets };
}

type ZipEntry = { path: string; stream(): Readable };

/** The workbook's sheets in workbook order, each with its ZIP entry. */
function sheetsOf(reader: ReaderInternals, part: (name: string) => ZipEntry | undefined) {
  const sheets: Array<{ name: string; sheetNo: string; file: ZipEntry }> = [];
  for (const sheet of reader.model?.sheets ?? []) {
    const target = reader.workbookRels?.find((r) => r.Id === sheet.rId)?.Target.replace(/^\/?(xl\/)?/, '');
    const sheetNo = target ? /^worksheets\/sheet(\d+)\.xml$/.exec(target)?.[1] : undefined;
    const file = target ? part(`xl/${target}`) : undefined;
    if (sheetNo && file) sheets.push({ name: sheet.name, sheetNo, file });
  }
  return sheets;
}

/** A bound the workbook broke, as the refusal the consultant reads: sheet, row and column named. */
function boundsError(err: unknown, ctx: { file: string }): unknown {
  const mib = (n: number) => `${Math.round(n / 1024 ** 2)} MiB`;
  if (err instanceof OversizedRow) {
    const where = [err.sheet ? `sheet "${err.sheet}"` : null, err.row !== null ? `row ${err.row}` : null, err.column ? `column ${err.column}` : null].filter(Boolean).join(', ');
    return new InvalidImportError(`${ctx.file}: ${where}: the row is larger than the ${mib(err.limit)} limit for one row`, {
      file: ctx.file,
      sheet: err.sheet,
      row: err.row,
      column: err.column,
    });
  }
  if (err instanceof OversizedSharedString) {
    return new InvalidImportError(`${ctx.file}: a cell's text (shared string ${err.index}) is larger than the ${mib(err.limit)} limit for one row`, { file: ctx.file });
  }
  if (err instanceof InflationLimit) {
    return new InvalidImportError(`${ctx.file}: the workbook inflates to more than ${mib(err.budget)} (${MAX_INFLATION}× its size) while reading ${err.part}: refused as a compression bomb`, {
      file: ctx.file,
    });
  }
  return err;
}

/**
 * Looks at the sheets in workbook order and stops at the first one `mode` accepts, on its header row:
 * the most header-like of its first HEADER_SCAN_ROWS rows (findHeaderRow), so a title, notes and a
 * merged group-header row above the header are passed over; in 'first' mode, without such a row,
 * the first non-empty row.
 */
async function openSheet(workbook: Workbook, mode: 'inventory' | 'first'): Promise<OpenSheet | null> {
  const skipped: string[] = [];
  for (const sheet of workbook.sheets) {
    const entry = sheet.open();
    const [emitted] = [...workbook.reader._parseWorksheet(entry, sheet.sheetNo)];
    const source = emitted!.value[Symbol.asyncIterator]();
    const lead: ExcelJS.Row[] = [];
    while (lead.length < HEADER_SCAN_ROWS) {
      const next = await source.next();
      if (next.done) break;
      lead.push(next.value);
    }
    const texts = lead.map((row) => cellTexts(row));
    const found = findHeaderRow(texts);
    const index = found ? found.index : mode === 'first' ? texts.findIndex((cells) => cells.some((v) => v !== '')) : -1;
    const header = index >= 0 ? lead[index] : undefined;
    const rawHeaders = header ? trimTrailing(texts[index]!) : [];
    const choice = !header ? null : mode === 'first' ? 'first sheet with a header row' : inventoryChoice(sheet.name, rawHeaders);
    if (header && choice) {
      const rest = lead.slice(index + 1);
      const rows: AsyncIterator<ExcelJS.Row> = {
        next: () => (rest.length ? Promise.resolve({ done: false, value: rest.shift()! }) : source.next()),
        return: (value?: unknown) => source.return?.(value) ?? Promise.resolve({ done: true, value: undefined }),
      };
      const above = index > 0 ? `; header at row ${header.number}, ${index} row(s) above it passed over` : '';
      return { name: sheet.name, choice: `${choice}${above}`, headerRowNumber: header.number, rawHeaders, rows, skipped };
    }
    skipped.push(sheet.name);
    await source.return?.();
    entry.destroy();
  }
  return null;
}

function inventoryChoice(name: string, headers: string[]): string | null {
  if (name.trim().toLowerCase() === 'vinfo') return 'RVTools vInfo sheet';
  const format = recogniseFormat(headers);
  if (format) return `header signature of ${format.label}`;
  const fields = new Set(headers.map((h) => matchHeader(h)?.target).filter((t) => t && INVENTORY_FIELDS.has(t)));
  return fields.size >= 2 ? `inventory columns (${[...fields].join(', ')})` : null;
}

/**
 * The sheet's data rows. A row with a value right of the last header (a cell no column names), or
 * a cell over the size limit, is rejected with its sheet row number; its cells are kept as they are.
 */
async function* dataRows(sheet: OpenSheet, table: ParsedTable, details: Record<string, unknown>, ctx: { file: string; maxCellChars?: number }, cleanup: () => Promise<void>) {
  const headers = table.headers;
  const maxCellChars = ctx.maxCellChars ?? DEFAULT_MAX_CELL_CHARS;
  try {
    let rows = 0;
    let emptyRows = 0;
    for (;;) {
      const next = await sheet.rows.next();
      if (next.done) break;
      const cells = cellTexts(next.value);
      if (cells.every((v) => v === '')) {
        // a row exceljs reports has cells (cleared, formatted or holding ""): not data, but counted
        details.emptyRowsSkipped = ++emptyRows;
        continue;
      }
      rows++;
      const line = next.value.number;
      table.line = line;
      const last = trimTrailing(cells).length;
      if (last > headers.length) {
        yield new RejectedRow(
          {
            code: 'ragged',
            line,
            column: `column ${last}`,
            value: shortValue(cells[last - 1]!),
            message: `${ctx.file}: sheet "${sheet.name}": row ${line} has a value in column ${last}, right of the header's ${headers.length} columns; ` + 'give the column a header, or move the value',
          },
          trimTrailing(cells),
        );
        continue;
      }
      // no prototype: a column named __proto__ or constructor is a column like any other
      const row: Record<string, string> = Object.create(null);
      let tooLarge = -1;
      for (let i = 0; i < headers.length; i++) {
        const v = cells[i] ?? '';
        if (v.length > maxCellChars && tooLarge === -1) tooLarge = i;
        row[headers[i]!] = v;
      }
      if (tooLarge !== -1) {
        yield new RejectedRow(cellTooLarge(`${ctx.file}: sheet "${sheet.name}"`, line, headers[tooLarge]!, cells[tooLarge]!.length, maxCellChars), trimTrailing(cells));
        continue;
      }
      yield row;
    }
    if (rows === 0) {
      throw new InvalidImportError(
        `${ctx.file}: sheet "${sheet.name}": row ${sheet.headerRowNumber}: the sheet has a header row but no data rows`,
        {
          file: ctx.file,
          sheet: sheet.name,
          row: sheet.headerRowNumber,
        },
        'no-data',
      );
    }
  } catch (err) {
    throw wrap(err, ctx, sheet.name);
  } finally {
    await cleanup();
  }
}

/** The cells of a row as strings, 0-based, with empty strings for gaps. */
export function cellTexts(row: ExcelJS.Row): string[] {
  const values = row.values as unknown[];
  const out: string[] = [];
  for (let i = 1; i < values.length; i++) out.push(cellText(values[i]));
  return out;
}

/** One cell value as the text a CSV export of it would hold. */
export function cellText(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'string') return value;
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : '';
  if (typeof value === 'boolean') return value ? 'TRUE' : 'FALSE';
  if (value instanceof Date) {
    const iso = value.toISOString();
    return iso.endsWith('T00:00:00.000Z') ? iso.slice(0, 10) : iso;
  }
  if (typeof value === 'object') {
    const v = value as { richText?: { text: string }[]; result?: unknown; text?: unknown; error?: string; formula?: string };
    if (v.richText) return v.richText.map((r) => r.text).join('');
    if ('result' in v || v.formula !== undefined) return cellText(v.result);
    if (v.text !== undefined) return cellText(v.text);
    if (v.error) return v.error;
  }
  return String(value);
}

function trimTrailing(cells: string[]): string[] {
  let end = cells.length;
  while (end > 0 && cells[end - 1] === '') end--;
  return cells.slice(0, end);
}

function wrap(err: unknown, ctx: { file: string }, sheet?: string): unknown {
  if (err instanceof InvalidImportError) return err;
  if (err instanceof OversizedRow || err instanceof InflationLimit || err instanceof OversizedSharedString) {
    return boundsError(err instanceof OversizedRow && !err.sheet ? new OversizedRow(err.row, err.column, err.limit, sheet) : err, ctx);
  }
  // The machine's own trouble (disk full, too many files) is not the file's fault.
  if (typeof (err as { code?: unknown })?.code === 'string' && /^E[A-Z]+$/.test((err as { code: string }).code)) return err;
  const message = err instanceof Error ? err.message : String(err);
  return new InvalidImportError(`${ctx.file}: ${sheet ? `sheet "${sheet}": ` : ''}not a readable .xlsx workbook (${message})`, { file: ctx.file, byte: 0, sheet }, 'other');
}
