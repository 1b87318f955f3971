import type { Undecodable } from './decode.ts';
import type { RejectedRow } from './rejected.ts';

/** What a reader made of the file: its shape, and its data rows as a stream. */
export interface ParsedTable {
  format: 'csv' | 'json' | 'ndjson' | 'xlsx';
  /** The text encoding read ('utf-8', 'utf-16le', 'utf-16be'); 'binary' for workbooks. */
  encoding: string;
  /** The MIME type of what the bytes turned out to be. */
  mimeType: string;
  delimiter?: string;
  sheet?: string;
  /**
   * The column names rows are keyed by, in file order. CSV knows them up front; JSON collects
   * the union of keys as rows go by, so the list is complete once `rows` is exhausted.
   */
  headers: string[];
  /** Header names that were changed so that no value is lost (duplicates, empty names). */
  headerRenames: HeaderRename[];
  /**
   * One object per data row, in order, keyed by header. Values stay as the file has them: CSV
   * and spreadsheet cells as strings (never coerced), JSON values as JSON.
   * A row that cannot be read as a row of the file comes as a RejectedRow (rejected.ts).
   * Throws InvalidImportError naming the file and line/row when the file itself is malformed.
   */
  rows: AsyncIterable<Record<string, unknown> | RejectedRow>;
  /** The 1-based file line (a workbook's row number) the row last yielded starts on; null where the format does not tell. */
  line: number | null;
  /** Format details recorded in data_imports.import_config (BOM, `sep=` line, ...). */
  details: Record<string, unknown>;
  /**
   * Releases what the reader holds (the workbook's spool file). The caller calls it on every path:
   * a row stream that is never started never runs its own cleanup. Safe to call twice.
   */
  close?(): Promise<void>;
}

export interface HeaderRename {
  /** 1-based column position. */
  column: number;
  from: string;
  to: string;
}

/** What every reader gets besides the bytes or text. */
export interface ReadContext {
  /** The file name, for messages. */
  file: string;
  /** The text encoding the bytes were decoded from. */
  encoding: string;
  /** The file offset of the first text byte (the byte order mark's length). */
  startByte?: number;
  /** The largest row read, in bytes (CSV; default DEFAULT_MAX_RECORD_SIZE). */
  maxRecordSize?: number;
  /** The longest cell kept, in characters; a row with a longer one is rejected (default DEFAULT_MAX_CELL_CHARS). */
  maxCellChars?: number;
  /** Lines of a UTF-8 text that had invalid bytes (replaced by U+FFFD): the row holding one is rejected. */
  undecodable?: Map<number, Undecodable>;
}
