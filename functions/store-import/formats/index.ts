import { InvalidImportError } from '../../../workflows/step-errors.ts';
import { readCsv } from './csv.ts';
import { decodeText, LineCounter, type TextChunk, type Undecodable } from './decode.ts';
import { detectContainer, SNIFF_BYTES } from './detect.ts';
import { readJsonArray, readJsonObjects } from './json.ts';
import { RejectedRow } from './rejected.ts';
import type { ParsedTable } from './types.ts';
import { readXlsx } from './xlsx.ts';

export type { HeaderRename, ParsedTable } from './types.ts';
export { isRejected, RejectedRow, type Rejection } from './rejected.ts';

export interface OpenContext {
  file: string;
  maxRecordSize?: number;
  /** The longest cell kept; a row with a longer one is rejected (default DEFAULT_MAX_CELL_CHARS). */
  maxCellChars?: number;
}

/** How much decoded text the format and delimiter are guessed from. */
const SAMPLE_CHARS = 64 * 1024;

/**
 * Opens a dropped file as a table, reading the bytes once and as they arrive (constant memory):
 * detects the container from the first bytes (text with its encoding, a ZIP workbook, binary),
 * then the text format from its first character (`[` JSON array, `{` NDJSON, otherwise CSV).
 * Rows are produced lazily by `table.rows`. Every problem is an InvalidImportError whose message
 * names the file and the line or byte.
 */
export async function openTable(source: AsyncIterable<Uint8Array>, ctx: OpenContext): Promise<ParsedTable> {
  return sameRules(await openReader(source, ctx), ctx);
}

async function openReader(source: AsyncIterable<Uint8Array>, ctx: OpenContext): Promise<ParsedTable> {
  const bytes = source[Symbol.asyncIterator]();
  const headChunks: Uint8Array[] = [];
  let headLength = 0;
  let ended = false;
  while (headLength < SNIFF_BYTES) {
    const next = await bytes.next();
    if (next.done) {
      ended = true;
      break;
    }
    headChunks.push(next.value);
    headLength += next.value.length;
  }
  const head = Buffer.concat(headChunks);
  const rest = async function* (skip: number) {
    if (head.length > skip) yield head.subarray(skip);
    if (!ended) yield* { [Symbol.asyncIterator]: () => bytes };
  };

  const container = detectContainer(head);
  switch (container.kind) {
    case 'empty':
      throw new InvalidImportError(`${ctx.file}: the file is empty (0 bytes)`, { file: ctx.file, byte: 0 }, 'no-data');
    case 'binary':
      throw new InvalidImportError(`${ctx.file}: byte ${container.byte}: this is ${container.what}, not a CSV or JSON inventory`, { file: ctx.file, byte: container.byte }, container.reason);
    case 'zip':
      return readXlsx(rest(0), ctx);
    case 'text':
      break;
  }

  const lines = new LineCounter();
  let encoding: string = container.encoding;
  let table: ParsedTable | undefined;
  // invalid UTF-8 bytes confined to a few rows reject those rows (decodeText); UTF-16 stays strict
  const undecodable = container.encoding === 'utf-8' ? new Map<number, Undecodable>() : undefined;
  const text = decodeText(rest(container.bomLength), {
    encoding: container.encoding,
    startByte: container.bomLength,
    file: ctx.file,
    lines,
    undecodable,
    // only an unmarked file is UTF-8 by assumption; a byte order mark states it
    mayFallBack: container.bomLength === 0,
    onEncoding: (found) => {
      encoding = found;
      if (table) table.encoding = found;
    },
  });
  // the first chunks, kept as they are for the reader, and as a string to guess the format from
  const sampleChunks: TextChunk[] = [];
  let sample = '';
  let textEnded = false;
  while (sample.length < SAMPLE_CHARS || sample.trim() === '') {
    const next = await text.next();
    if (next.done) {
      textEnded = true;
      break;
    }
    sampleChunks.push(next.value);
    sample += next.value.toString();
  }
  const first = sample.trimStart()[0];
  if (first === undefined) {
    throw new InvalidImportError(
      `${ctx.file}: line ${lines.line()}: the file is empty (no text${container.bomLength ? ' after the byte order mark' : ''})`,
      { file: ctx.file, line: lines.line() },
      container.bomLength ? 'encoding' : 'no-data',
    );
  }
  const all: AsyncIterable<TextChunk> = {
    async *[Symbol.asyncIterator]() {
      yield* sampleChunks;
      if (!textEnded) yield* { [Symbol.asyncIterator]: () => text };
    },
  };
  const readCtx = { file: ctx.file, encoding, startByte: container.bomLength, maxRecordSize: ctx.maxRecordSize, maxCellChars: ctx.maxCellChars, undecodable };
  table = first === '[' ? readJsonArray(all, readCtx) : first === '{' ? readJsonObjects(all, sample, readCtx) : readCsv(all, sample, readCtx);
  table.details = { ...table.details, bom: container.bomLength > 0 };
  return table;
}

const isEmptyValue = (v: unknown) => v === '' || v === null || v === undefined;

/**
 * The rules every format shares, whatever its reader: a row whose every value is empty is no data
 * (skipped and counted in `details.emptyRowsSkipped`, as CSV's ",,,," rows are); a file with no
 * data row is refused; and every row object has no prototype, so a column named `__proto__` or
 * `constructor` is a column like any other.
 */
function sameRules(table: ParsedTable, ctx: { file: string }): ParsedTable {
  const inner = table.rows;
  table.details.emptyRowsSkipped ??= 0;
  table.rows = {
    async *[Symbol.asyncIterator]() {
      let rows = 0;
      for await (const row of inner) {
        if (row instanceof RejectedRow) {
          rows++;
          yield row;
          continue;
        }
        if (Object.values(row).every(isEmptyValue)) {
          table.details.emptyRowsSkipped = (table.details.emptyRowsSkipped as number) + 1;
          continue;
        }
        rows++;
        yield Object.getPrototypeOf(row) === null ? row : Object.assign(Object.create(null) as Record<string, unknown>, row);
      }
      if (rows === 0) throw new InvalidImportError(`${ctx.file}: the file has no data rows, only empty ones`, { file: ctx.file }, 'no-data');
    },
  };
  return table;
}
