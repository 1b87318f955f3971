import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type pg from 'pg';
import { getTableName } from 'drizzle-orm';
import { from as copyFrom } from 'pg-copy-streams';
import { rawImportRecords } from '../../db/schema/index.ts';
import { InvalidImportError } from '../../workflows/step-errors.ts';
import { RejectedRow } from './formats/rejected.ts';

/**
 * Rows go to COPY in chunks of about this many characters: large enough for few writes, small
 * enough that a chunk's row strings die young (bigger chunks get promoted and grow the heap).
 */
const CHUNK_CHARS = 64 * 1024;
/** Chunks encoded ahead of the socket: enough to keep PostgreSQL busy while the parser runs. */
const CHUNKS_AHEAD = 4;
// A JSON `\u0000` escape that is not itself an escaped backslash followed by "u0000".
const NUL_ESCAPE = /(?:^|[^\\])(?:\\\\)*\\u0000/;
// JSON.stringify writes a lone surrogate as a lowercase \udxxx escape (a pair stays as its characters).
const SURROGATE_ESCAPE = /(?:^|[^\\])(?:\\\\)*\\ud[89a-f][0-9a-f]{2}/;

/** COPY is beyond Drizzle: its statement text, with the table and column names taken from the schema. */
const r = rawImportRecords;
const COPY_RAW_RECORDS = `copy ${getTableName(r)} (${[
  r.dataImportId,
  r.clientAccountId,
  r.engagementId,
  r.rowNumber,
  r.lineNumber,
  r.rawData,
  r.validationErrors,
  r.processingNotes,
  r.isValid,
  r.isProcessed,
]
  .map((c) => c.name)
  .join(', ')}) from stdin`;
/** The columns after raw_data of a row that was read: no validation errors, no notes, validity and processing still to come. */
const READ_ROW_TAIL = '\t\\N\t\\N\t\\N\tf\n';

/** COPY text format: JSON has no raw tabs or line breaks, only backslashes need doubling. */
const copyText = (json: string) => (json.includes('\\') ? json.replaceAll('\\', '\\\\') : json);

export interface RawRecordTarget {
  dataImportId: string;
  clientAccountId: string;
  engagementId: string;
  file: string;
}

export interface CopiedRows {
  rows: number;
  rejected: number;
}

/**
 * Streams rows into raw_import_records with one COPY on the caller's connection (inside its
 * transaction): row_number 1, 2, ... in file order, line_number the file line the row starts on
 * (`lineOf`, asked after each row), raw_data the row as jsonb, master_flow_id left NULL for
 * LinkRecords. A rejected row is a raw record too: raw_data holds what the file had (`text`, or a
 * sheet row's `cells`), validation_errors the rejection under `skip: 'rejected'`, so discovery
 * skips it and counts it like its own skips. Memory stays constant: rows are encoded as they are
 * produced, and COPY's backpressure paces the reader. Returns the rows written and how many were rejected.
 */
export async function copyRawRecords(
  client: pg.PoolClient,
  rows: AsyncIterable<Record<string, unknown> | RejectedRow>,
  target: RawRecordTarget,
  lineOf: () => number | null = () => null,
): Promise<CopiedRows> {
  let count = 0;
  let rejected = 0;
  const prefix = `${target.dataImportId}\t${target.clientAccountId}\t${target.engagementId}\t`;
  async function* lines(): AsyncGenerator<string> {
    let chunk = '';
    for await (const row of rows) {
      count++;
      if (row instanceof RejectedRow) {
        rejected++;
        chunk += rejectedLine(prefix, count, row);
        continue;
      }
      const line = lineOf();
      const json = JSON.stringify(row);
      // PostgreSQL's jsonb cannot hold U+0000; say which row instead of failing the COPY.
      if (json.includes('\\u0000') && NUL_ESCAPE.test(json)) {
        throw new InvalidImportError(`${target.file}: row ${count}: a value contains a NUL character (\\u0000), which cannot be stored`, { file: target.file, row: count }, 'not-inventory');
      }
      // Nor a lone UTF-16 surrogate (the JSON readers name its line and byte; this catches any other reader's).
      if (json.includes('\\ud') && SURROGATE_ESCAPE.test(json)) {
        throw new InvalidImportError(
          `${target.file}: row ${count}: a value contains a lone surrogate (half of a UTF-16 pair), which is not text and cannot be stored`,
          { file: target.file, row: count },
          'encoding',
        );
      }
      chunk += `${prefix}${count}\t${line ?? '\\N'}\t${copyText(json)}${READ_ROW_TAIL}`;
      if (chunk.length >= CHUNK_CHARS) {
        yield chunk;
        chunk = '';
      }
    }
    if (chunk) yield chunk;
  }
  const copy = client.query(copyFrom(COPY_RAW_RECORDS));
  await pipeline(Readable.from(lines(), { highWaterMark: CHUNKS_AHEAD }), copy);
  if (copy.rowCount !== count) throw new Error(`COPY wrote ${copy.rowCount} raw records for ${count} rows`);
  return { rows: count, rejected };
}

/** String.prototype.toWellFormed (Node 20+; not in TypeScript's ES2023 lib). */
const wellFormed = (s: string) => (s as unknown as { toWellFormed(): string }).toWellFormed();

/** A rejected row's COPY line: what the file had, the rejection, and the skip discovery counts. */
function rejectedLine(prefix: string, rowNumber: number, row: RejectedRow): string {
  const { code, line, column, value, message } = row.rejection;
  // lone surrogates cannot be stored: a rejected row keeps its text with them replaced
  const raw = JSON.stringify(typeof row.source === 'string' ? { text: wellFormed(row.source) } : { cells: row.source.map(wellFormed) });
  const errors = JSON.stringify({ skip: 'rejected', code, line, row: rowNumber, column, value: wellFormed(value), message: wellFormed(message) });
  return `${prefix}${rowNumber}\t${line ?? '\\N'}\t${copyText(raw.replaceAll('\\u0000', '\\ufffd'))}\t${copyText(errors.replaceAll('\\u0000', '\\ufffd'))}\tskipped: rejected (${code})\tf\tt\n`;
}
