import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { CsvError, parse } from 'csv-parse';
import { parse as parseSync } from 'csv-parse/sync';
import { InvalidImportError } from '../../_shared/errors.ts';
import type { TextChunk } from './decode.ts';
import { uniqueHeaders } from './headers.ts';
import type { ParsedTable, ReadContext } from './types.ts';

const DELIMITERS = [',', ';', '\t'] as const;
const SEP_LINE = /^sep=(.)(\r\n|\n|\r|$)/i;

/**
 * The delimiter a CSV sample uses: Excel's `sep=` first line when present; otherwise the candidate
 * (`,` `;` tab) that splits the header into the most columns while keeping the following rows at
 * the header's width. Each candidate is tried with csv-parse itself, so quoted delimiters count right.
 */
export function detectDelimiter(sample: string): { delimiter: string; sepLine: boolean } {
  const sep = SEP_LINE.exec(sample);
  if (sep) return { delimiter: sep[1]!, sepLine: true };
  const lastBreak = Math.max(sample.lastIndexOf('\n'), sample.lastIndexOf('\r'));
  const complete = lastBreak > 0 ? sample.slice(0, lastBreak) : sample;
  let best: { delimiter: string; score: number } = { delimiter: ',', score: 0 };
  for (const delimiter of DELIMITERS) {
    let records: string[][];
    try {
      records = parseSync(complete, { delimiter, relax_column_count: true, relax_quotes: true, skip_empty_lines: true, to: 50 });
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
 * Reads delimited text with csv-parse: the first record is the header, every other non-empty line
 * a data row of exactly the header's width (a wider or narrower row is an error naming its line:
 * guessing which value belongs where would corrupt the import). Quoted fields may hold delimiters,
 * quotes and line breaks; LF, CRLF and CR line endings are recognised by the parser.
 */
export function readCsv(text: AsyncIterable<TextChunk>, sample: string, ctx: ReadContext): ParsedTable {
  const { delimiter, sepLine } = detectDelimiter(sample);
  const table: ParsedTable = {
    format: 'csv',
    encoding: ctx.encoding,
    mimeType: delimiter === '\t' ? 'text/tab-separated-values' : 'text/csv',
    delimiter,
    headers: [],
    headerRenames: [],
    details: { sepLine },
    rows: rows(),
  };
  return table;

  async function* rows(): AsyncGenerator<Record<string, unknown>> {
    let lastRecordLine = sepLine ? 1 : 0;
    const parser = parse({
      delimiter,
      relax_quotes: true,
      skip_empty_lines: true,
      from_line: sepLine ? 2 : 1,
      on_record: (record: string[], context) => {
        lastRecordLine = context.lines;
        return record;
      },
    });
    const feeding = pipeline(Readable.from(text, { objectMode: true }), parser).catch(() => {}); // the error also reaches the iterator below
    let headers: string[] | undefined;
    let row = 0;
    let headerLine = 0;
    try {
      for await (const record of parser as AsyncIterable<string[]>) {
        if (!headers) {
          const unique = uniqueHeaders(record);
          headers = unique.headers;
          headerLine = lastRecordLine;
          table.headers.push(...headers);
          table.headerRenames.push(...unique.renames);
          continue;
        }
        row++;
        const out: Record<string, string> = Object.create(null);
        for (let i = 0; i < headers.length; i++) out[headers[i]!] = record[i]!;
        yield out;
      }
    } catch (err) {
      throw err instanceof CsvError ? csvError(err, ctx, lastRecordLine) : err;
    } finally {
      await feeding;
    }
    if (!headers) throw new InvalidImportError(`${ctx.file}: the file has no header line and no data`, { file: ctx.file });
    if (row === 0) {
      throw new InvalidImportError(`${ctx.file}: line ${headerLine}: the file has a header line but no data rows`, { file: ctx.file, line: headerLine });
    }
  }
}

function csvError(err: CsvError, ctx: ReadContext, lastRecordLine: number): InvalidImportError {
  const e = err as CsvError & { lines?: number; records?: number; record?: unknown[] };
  const row = e.records ?? 0; // records parsed before this one, the header included = this data row's number
  if (err.code === 'CSV_QUOTE_NOT_CLOSED') {
    const start = lastRecordLine + 1;
    return new InvalidImportError(
      `${ctx.file}: line ${start}: row ${row} opens a quoted field that is never closed (the file ends at line ${e.lines})`,
      { file: ctx.file, line: start, row, errorCode: err.code },
    );
  }
  if (err.code === 'CSV_RECORD_INCONSISTENT_FIELDS_LENGTH') {
    const got = e.record?.length;
    const expected = /expect (\d+)/.exec(err.message)?.[1];
    return new InvalidImportError(
      `${ctx.file}: line ${e.lines}: row ${row} has ${got} fields but the header has ${expected}; fix the row (a missing or extra delimiter, or an unquoted value containing one)`,
      { file: ctx.file, line: e.lines, row, errorCode: err.code },
    );
  }
  return new InvalidImportError(`${ctx.file}: line ${e.lines}: ${err.message}`, { file: ctx.file, line: e.lines, row, errorCode: err.code });
}
