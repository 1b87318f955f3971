import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { CsvError, parse } from 'csv-parse';
import { parse as parseSync } from 'csv-parse/sync';
import { InvalidImportError } from '../../../workflows/step-errors.ts';
import type { TextChunk } from './decode.ts';
import { findHeaderRow, HEADER_SCAN_ROWS, headerScore } from './header-row.ts';
import { uniqueHeaders } from './headers.ts';
import { cellTooLarge, csvLine, DEFAULT_MAX_CELL_CHARS, RejectedRow, shortValue, undecodableRow } from './rejected.ts';
import type { ParsedTable, ReadContext } from './types.ts';

const DELIMITERS = [',', ';', '\t'] as const;
/** The largest record (row) read, in bytes: room for a 5 MB cell and its row. */
export const DEFAULT_MAX_RECORD_SIZE = 8 * 1024 * 1024;
const mib = (bytes: number) => (bytes >= 1024 * 1024 ? `${Math.round((bytes / 1024 / 1024) * 10) / 10} MiB` : `${bytes}-byte`);
const SEP_LINE = /^sep=(.)(\r\n|\n|\r|$)/i;
/** Windows PowerShell 5.1's Export-Csv first line: `#TYPE <.NET type of the objects>`. */
const TYPE_LINE = /^#TYPE ([^\r\n]*)(\r\n|\n|\r|$)/;

/**
 * The lines tools write before a CSV header: PowerShell 5.1's `#TYPE …` (PowerCLI and Hyper-V
 * Get-VM | Export-Csv), Excel's `sep=;`. How many there are and what they say (recorded).
 */
export function detectPreamble(sample: string): { lines: number; text: string; typeLine: string | null; sep: string | null } {
  let rest = sample;
  let lines = 0;
  let typeLine: string | null = null;
  let sep: string | null = null;
  const type = TYPE_LINE.exec(rest);
  if (type) {
    typeLine = type[1]!.trim();
    rest = rest.slice(type[0].length);
    lines++;
  }
  const sepLine = SEP_LINE.exec(rest);
  if (sepLine) {
    sep = sepLine[1]!;
    rest = rest.slice(sepLine[0].length);
    lines++;
  }
  return { lines, text: rest, typeLine, sep };
}

/**
 * The delimiter a CSV sample uses: Excel's `sep=` first line when present; otherwise the candidate
 * (`,` `;` tab) that splits the header into the most columns while keeping the following rows at
 * the header's width. Each candidate is tried with csv-parse itself, so quoted delimiters count right.
 */
export function detectDelimiter(whole: string): { delimiter: string; sepLine: boolean } {
  const preamble = detectPreamble(whole);
  if (preamble.sep) return { delimiter: preamble.sep, sepLine: true };
  const sample = preamble.text;
  const lastBreak = Math.max(sample.lastIndexOf('\n'), sample.lastIndexOf('\r'));
  const complete = lastBreak > 0 ? sample.slice(0, lastBreak) : sample;
  let best: { delimiter: string; score: number } = { delimiter: ',', score: 0 };
  for (const delimiter of DELIMITERS) {
    let records: string[][];
    try {
      records = parseSync(complete, { delimiter, record_delimiter: ['\r\n', '\n', '\r'], relax_column_count: true, relax_quotes: true, skip_empty_lines: true, to: 50 });
    } catch {
      continue;
    }
    const width = records[0]?.length ?? 0;
    if (width < 2) continue;
    const consistent = records.filter((r) => r.length === width).length / records.length;
    const score = consistent * 1000 + width;
    if (score > best.score) best = { delimiter, score };
  }
  return { delimiter: best.delimiter, sepLine: false };
}

/**
 * How many physical lines come before the header when the first record is not it: a title, notes,
 * a merged group-header row above the real header, as a workbook made by people is saved as CSV.
 * The header is the most header-like of the sample's first records (findHeaderRow); the first
 * record stays the header unless a later one names more inventory fields.
 */
export function linesAboveHeader(sample: string, delimiter: string): { lines: number } {
  const lastBreak = Math.max(sample.lastIndexOf('\n'), sample.lastIndexOf('\r'));
  const complete = lastBreak > 0 ? sample.slice(0, lastBreak + 1) : sample;
  let records: Array<{ record: string[]; info: { lines: number } }>;
  try {
    records = parseSync(complete, {
      delimiter,
      record_delimiter: ['\r\n', '\n', '\r'],
      relax_column_count: true,
      relax_quotes: true,
      skip_empty_lines: true,
      to: HEADER_SCAN_ROWS,
      info: true,
    }) as unknown as Array<{ record: string[]; info: { lines: number } }>;
  } catch {
    return { lines: 0 };
  }
  const found = findHeaderRow(records.map((r) => r.record));
  if (!found || found.index === 0) return { lines: 0 };
  const first = headerScore(records[0]!.record);
  if (first.fields.length >= found.fields.length) return { lines: 0 };
  // the record before the header ends on this line: the header starts after it (blank lines are skipped)
  return { lines: records[found.index - 1]!.info.lines };
}

/**
 * Reads delimited text with csv-parse: the first record is the header, every other non-empty line
 * a data row of the header's width. A wider or narrower row, or one with a cell over the size
 * limit, is rejected (a RejectedRow naming its line: guessing which value belongs where would
 * corrupt the import) and the reading goes on. Quoted fields may hold delimiters, quotes and line
 * breaks; LF, CRLF and CR line endings are recognised by the parser.
 */
export function readCsv(text: AsyncIterable<TextChunk>, sample: string, ctx: ReadContext): ParsedTable {
  const maxRecordSize = ctx.maxRecordSize ?? DEFAULT_MAX_RECORD_SIZE;
  const maxCellChars = ctx.maxCellChars ?? DEFAULT_MAX_CELL_CHARS;
  const { delimiter, sepLine } = detectDelimiter(sample);
  const preamble = detectPreamble(sample);
  // a title, notes or a group-header row above the header (a sheet saved as CSV): start at the header
  const above = linesAboveHeader(preamble.text, delimiter);
  if (above.lines > 0) preamble.lines += above.lines;
  const table: ParsedTable = {
    format: 'csv',
    encoding: ctx.encoding,
    mimeType: delimiter === '\t' ? 'text/tab-separated-values' : 'text/csv',
    delimiter,
    headers: [],
    headerRenames: [],
    details: {
      sepLine,
      ...(preamble.typeLine === null ? {} : { preamble: `#TYPE ${preamble.typeLine}` }),
      ...(above.lines > 0 ? { lines_above_header: above.lines, header_line: preamble.lines + 1 } : {}),
    },
    rows: rows(),
    line: null,
  };
  return table;

  async function* rows(): AsyncGenerator<Record<string, unknown> | RejectedRow> {
    let lastRecordLine = preamble.lines;
    const parser = parse({
      delimiter,
      // every line ending wherever it occurs (files concatenated from several tools mix them);
      // csv-parse would otherwise take the first one it sees for the whole file
      record_delimiter: ['\r\n', '\n', '\r'],
      // a quote that is never closed would otherwise buffer the rest of the file into one field
      max_record_size: maxRecordSize,
      relax_quotes: true,
      // a row of another width is rejected below, with its line, and the reading goes on
      relax_column_count: true,
      skip_empty_lines: true,
      from_line: preamble.lines + 1,
      on_record: (record: string[], context) => {
        lastRecordLine = context.lines;
        return record;
      },
      info: true, // each record with the line it ends on
    });
    const feeding = pipeline(Readable.from(text, { objectMode: true }), parser).catch(() => {}); // the error also reaches the iterator below
    let headers: string[] | undefined;
    let row = 0;
    let headerLine = 0;
    let emptyRows = 0;
    try {
      for await (const {
        record,
        info: { lines: line },
      } of parser as AsyncIterable<{ record: string[]; info: { lines: number } }>) {
        // Excel's trailing ",,,," rows: no data, skipped like blank lines and counted
        if (record.every((v) => v === '')) {
          if (headers) table.details.emptyRowsSkipped = ++emptyRows;
          continue;
        }
        if (!headers) {
          const bad = ctx.undecodable?.size ? [...ctx.undecodable.entries()].find(([l]) => l <= line) : undefined;
          // the header names the columns: not UTF-8 there, the file is refused
          if (bad) throw new InvalidImportError(bad[1].message, { file: ctx.file, line: bad[0], byte: bad[1].byte });
          const unique = uniqueHeaders(record);
          headers = unique.headers;
          headerLine = line;
          table.headers.push(...headers);
          table.headerRenames.push(...unique.renames);
          continue;
        }
        row++;
        table.line = startLine(record, line);
        const undecodable = undecodableRow(ctx.undecodable, table.line, line, ctx.file);
        if (undecodable) {
          yield new RejectedRow(undecodable, csvLine(record, delimiter));
          continue;
        }
        if (record.length !== headers.length) {
          yield new RejectedRow(
            {
              code: 'ragged',
              line: table.line,
              column: null,
              value: shortValue(csvLine(record, delimiter)),
              message:
                `${ctx.file}: line ${table.line}: row ${row} has ${record.length} fields but the header has ${headers.length}; ` +
                'fix the row (a missing or extra delimiter, or an unquoted value containing one)',
            },
            csvLine(record, delimiter),
          );
          continue;
        }
        const out: Record<string, string> = Object.create(null);
        let tooLarge = -1;
        for (let i = 0; i < headers.length; i++) {
          const v = record[i]!;
          if (v.length > maxCellChars && tooLarge === -1) tooLarge = i;
          out[headers[i]!] = v;
        }
        if (tooLarge !== -1) {
          yield new RejectedRow(cellTooLarge(ctx.file, table.line, headers[tooLarge]!, record[tooLarge]!.length, maxCellChars), csvLine(record, delimiter));
          continue;
        }
        yield out;
      }
    } catch (err) {
      throw err instanceof CsvError ? csvError(err, ctx, lastRecordLine, maxRecordSize) : err;
    } finally {
      await feeding;
    }
    if (!headers) throw new InvalidImportError(`${ctx.file}: the file has no header line and no data`, { file: ctx.file }, 'no-data');
    if (row === 0) {
      throw new InvalidImportError(`${ctx.file}: line ${headerLine}: the file has a header line but no data rows`, { file: ctx.file, line: headerLine }, 'no-data');
    }
  }
}

/** The line a record starts on: the line it ends on, less the line breaks inside its quoted values. */
function startLine(record: string[], endLine: number): number {
  let breaks = 0;
  for (const v of record) {
    if (v.length < 2) continue;
    let lf = 0;
    for (let i = v.indexOf('\n'); i !== -1; i = v.indexOf('\n', i + 1)) lf++;
    if (lf === 0) for (let i = v.indexOf('\r'); i !== -1; i = v.indexOf('\r', i + 1)) lf++;
    breaks += lf;
  }
  return endLine - breaks;
}

function csvError(err: CsvError, ctx: ReadContext, lastRecordLine: number, maxRecordSize: number): InvalidImportError {
  const e = err as CsvError & { lines?: number; records?: number; record?: unknown[] };
  const row = e.records ?? 0; // records parsed before this one, the header included = this data row's number
  const start = lastRecordLine + 1;
  // An unquoted field cannot span lines: a record past the size limit that did is an open quote.
  if (err.code === 'CSV_QUOTE_NOT_CLOSED' || (err.code === 'CSV_MAX_RECORD_SIZE' && (e.lines ?? start) > start)) {
    const where = err.code === 'CSV_QUOTE_NOT_CLOSED' ? `the file ends at line ${e.lines}` : `the record reached the ${mib(maxRecordSize)} limit at line ${e.lines}`;
    return new InvalidImportError(
      `${ctx.file}: line ${start}: quote opened here is never closed (row ${row}; ${where}); close the quote, or double the quotes inside the value ("")`,
      { file: ctx.file, line: start, row, errorCode: err.code },
      'unclosed-quote',
    );
  }
  if (err.code === 'CSV_MAX_RECORD_SIZE') {
    return new InvalidImportError(
      `${ctx.file}: line ${start}: row ${row} is larger than the ${mib(maxRecordSize)} limit for one row`,
      {
        file: ctx.file,
        line: start,
        row,
        errorCode: err.code,
      },
      'other',
    );
  }
  if (err.code === 'CSV_RECORD_INCONSISTENT_FIELDS_LENGTH') {
    const got = e.record?.length;
    const expected = /expect (\d+)/.exec(err.message)?.[1];
    return new InvalidImportError(
      `${ctx.file}: line ${e.lines}: row ${row} has ${got} fields but the header has ${expected}; fix the row (a missing or extra delimiter, or an unquoted value containing one)`,
      { file: ctx.file, line: e.lines, row, errorCode: err.code },
      'field-count',
    );
  }
  return new InvalidImportError(
    `${ctx.file}: line ${e.lines}: ${err.message}`,
    { file: ctx.file, line: e.lines, row, errorCode: err.code },
    /QUOTE/.test(String(err.code)) ? 'unclosed-quote' : 'other',
  );
}
