import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type pg from 'pg';
import { getTableName } from 'drizzle-orm';
import { from as copyFrom } from 'pg-copy-streams';
import { rawImportRecords } from '../../db/schema/index.ts';
import { InvalidImportError } from '../../workflows/step-errors.ts';

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
const COPY_RAW_RECORDS = `copy ${getTableName(r)} (${[r.dataImportId, r.clientAccountId, r.engagementId, r.rowNumber, r.rawData].map((c) => c.name).join(', ')}) from stdin`;

export interface RawRecordTarget {
  dataImportId: string;
  clientAccountId: string;
  engagementId: string;
  file: string;
}

/**
 * Streams rows into raw_import_records with one COPY on the caller's connection (inside its
 * transaction): row_number 1, 2, ... in file order, raw_data the row as jsonb, master_flow_id left
 * NULL for LinkRecords. Memory stays constant: rows are encoded as they are produced, and COPY's
 * backpressure paces the reader. Returns the number of rows written.
 */
export async function copyRawRecords(client: pg.PoolClient, rows: AsyncIterable<Record<string, unknown>>, target: RawRecordTarget): Promise<number> {
  let count = 0;
  const prefix = `${target.dataImportId}\t${target.clientAccountId}\t${target.engagementId}\t`;
  async function* lines(): AsyncGenerator<string> {
    let chunk = '';
    for await (const row of rows) {
      count++;
      const json = JSON.stringify(row);
      // PostgreSQL's jsonb cannot hold U+0000; say which row instead of failing the COPY.
      if (json.includes('\\u0000') && NUL_ESCAPE.test(json)) {
        throw new InvalidImportError(`${target.file}: row ${count}: a value contains a NUL character (\\u0000), which cannot be stored`, { file: target.file, row: count }, 'not-inventory');
      }
      // Nor a lone UTF-16 surrogate (the JSON readers name its line and byte; this catches any other reader's).
      if (json.includes('\\ud') && SURROGATE_ESCAPE.test(json)) {
        throw new InvalidImportError(`${target.file}: row ${count}: a value contains a lone surrogate (half of a UTF-16 pair), which is not text and cannot be stored`, { file: target.file, row: count }, 'encoding');
      }
      // COPY text format: JSON has no raw tabs or line breaks, only backslashes need doubling.
      chunk += `${prefix}${count}\t${json.includes('\\') ? json.replaceAll('\\', '\\\\') : json}\n`;
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
  return count;
}
