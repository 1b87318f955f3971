import { createReadStream, createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import ExcelJS from 'exceljs';
import { InvalidImportError } from '../../_shared/errors.ts';
import { matchHeader } from '../../start-discovery/mapping/field-mapper.ts';
import { recogniseFormat } from '../../start-discovery/mapping/formats.ts';
import { uniqueHeaders } from './headers.ts';
import type { ParsedTable } from './types.ts';

const XLSX_MIME = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';

/** Fields whose presence makes a header row an inventory's (two of them are needed). */
const INVENTORY_FIELDS = new Set(['name', 'hostname', 'fqdn', 'ip_address', 'operating_system', 'cpu_cores', 'memory_gb', 'storage_gb']);

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
 * The bytes are spooled to a temporary file first, because the fallback needs a second pass.
 */
export async function readXlsx(bytes: AsyncIterable<Uint8Array>, ctx: { file: string }): Promise<ParsedTable> {
  const dir = await mkdtemp(join(tmpdir(), 'flowlink-xlsx-'));
  const cleanup = () => rm(dir, { recursive: true, force: true });
  try {
    const path = join(dir, 'workbook.xlsx');
    await pipeline(Readable.from(bytes), createWriteStream(path));
    const sheet = (await withRetry(() => openSheet(path, 'inventory'))) ?? (await withRetry(() => openSheet(path, 'first')));
    if (!sheet) {
      throw new InvalidImportError(`${ctx.file}: the workbook has no sheet with a header row`, { file: ctx.file, byte: 0 });
    }
    const { headers, renames } = uniqueHeaders(sheet.rawHeaders);
    return {
      format: 'xlsx',
      encoding: 'binary',
      mimeType: XLSX_MIME,
      sheet: sheet.name,
      headers,
      headerRenames: renames,
      rows: dataRows(sheet, headers, ctx, cleanup),
      details: { sheet: sheet.name, sheet_choice: sheet.choice, sheets_skipped: sheet.skipped, header_row: sheet.headerRowNumber },
    };
  } catch (err) {
    await cleanup();
    throw wrap(err, ctx);
  }
}

/** Walks the sheets in workbook order and stops at the first one `mode` accepts, on its header row. */
async function openSheet(path: string, mode: 'inventory' | 'first'): Promise<OpenSheet | null> {
  const reader = new ExcelJS.stream.xlsx.WorkbookReader(createReadStream(path), {
    // styles are cached because a number is a date only by its number format
    worksheets: 'emit', sharedStrings: 'cache', hyperlinks: 'ignore', styles: 'cache', entries: 'ignore',
  });
  const skipped: string[] = [];
  for await (const ws of reader as unknown as AsyncIterable<SheetReader>) {
    const rows = ws[Symbol.asyncIterator]();
    let header: ExcelJS.Row | undefined;
    for (;;) {
      const next = await rows.next();
      if (next.done) break;
      if (cellTexts(next.value).some((v) => v !== '')) {
        header = next.value;
        break;
      }
    }
    if (!header) {
      skipped.push(ws.name);
      continue;
    }
    const rawHeaders = trimTrailing(cellTexts(header));
    const choice = mode === 'first' ? 'first sheet with a header row' : inventoryChoice(ws.name, rawHeaders);
    if (choice) return { name: ws.name, choice, headerRowNumber: header.number, rawHeaders, rows, skipped };
    skipped.push(ws.name);
    await rows.return?.();
  }
  return null;
}

/**
 * exceljs 4.4's streaming reader sometimes stops iterating a ZIP's entries before the last one; when
 * that last one is xl/workbook.xml (as exceljs itself writes it) the sheets it spooled fail with
 * "reading 'sheets'" before any row is read. Reading the spooled file again is safe.
 */
async function withRetry<T>(open: () => Promise<T>, attempts = 5): Promise<T> {
  for (let i = 1; ; i++) {
    try {
      return await open();
    } catch (err) {
      if (i >= attempts || !(err instanceof TypeError && /reading 'sheets'/.test(err.message))) throw err;
    }
  }
}

function inventoryChoice(name: string, headers: string[]): string | null {
  if (name.trim().toLowerCase() === 'vinfo') return 'RVTools vInfo sheet';
  const format = recogniseFormat(headers);
  if (format) return `header signature of ${format.label}`;
  const fields = new Set(headers.map((h) => matchHeader(h)?.target).filter((t) => t && INVENTORY_FIELDS.has(t)));
  return fields.size >= 2 ? `inventory columns (${[...fields].join(', ')})` : null;
}

async function* dataRows(sheet: OpenSheet, headers: string[], ctx: { file: string }, cleanup: () => Promise<void>) {
  try {
    for (;;) {
      const next = await sheet.rows.next();
      if (next.done) return;
      const cells = cellTexts(next.value);
      if (cells.every((v) => v === '')) continue;
      const row: Record<string, string> = {};
      for (let i = 0; i < Math.max(cells.length, headers.length); i++) {
        // A value right of the last header gets a column of its own rather than being dropped.
        if (i >= headers.length) headers.push(uniqueName(headers, `column_${i + 1}`));
        row[headers[i]!] = cells[i] ?? '';
      }
      yield row;
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

function uniqueName(taken: string[], name: string): string {
  let out = name;
  for (let n = 2; taken.includes(out); n++) out = `${name}_${n}`;
  return out;
}

function wrap(err: unknown, ctx: { file: string }, sheet?: string): unknown {
  if (err instanceof InvalidImportError) return err;
  // The machine's own trouble (disk full, too many files) is not the file's fault.
  if (typeof (err as { code?: unknown })?.code === 'string' && /^E[A-Z]+$/.test((err as { code: string }).code)) return err;
  const message = err instanceof Error ? err.message : String(err);
  return new InvalidImportError(`${ctx.file}: ${sheet ? `sheet "${sheet}": ` : ''}not a readable .xlsx workbook (${message})`, { file: ctx.file, byte: 0, sheet });
}
