import Tokenizer from '@streamparser/json/tokenizer.js';
import TokenParser from '@streamparser/json/tokenparser.js';
import { InvalidImportError } from '../../../workflows/step-errors.ts';
import { LineCounter, type TextChunk } from './decode.ts';
import { findRecords } from './json-records.ts';
import { cellTooLarge, DEFAULT_MAX_CELL_CHARS, oversizedCell, RejectedRow, shortValue, undecodableRow } from './rejected.ts';
import type { ParsedTable, ReadContext } from './types.ts';

type Row = Record<string, unknown>;

/** JSON.rawJSON / JSON.isRawJSON (Node 21+; not in TypeScript's ES2023 lib). */
const RawJson = JSON as unknown as { rawJSON(text: string): object; isRawJSON(value: unknown): boolean };

/**
 * A number as the file wrote it: a double where it reads back the same, else its literal text,
 * which JSON.stringify writes as it is (so 12345678901234567890, 1e400 and 1.50 reach jsonb whole).
 */
export function jsonNumber(literal: string): number | object {
  const n = Number(literal);
  return String(n) === literal ? n : RawJson.rawJSON(literal);
}

/** A tokenizer that keeps number literals (see jsonNumber) instead of rounding them to doubles. */
class ExactTokenizer extends Tokenizer {
  protected override parseNumber(numberStr: string): number {
    return jsonNumber(numberStr) as number;
  }
}

/** Where a JSON text has a string with a lone UTF-16 surrogate (PostgreSQL cannot store one): the string's start, or -1. */
export function loneSurrogateAt(source: string): number {
  let start = -1;
  for (let i = 0; i < source.length; i++) {
    const c = source.charCodeAt(i);
    if (start === -1) {
      if (c === 0x22) start = i;
      continue;
    }
    if (c === 0x22) start = -1;
    else if (c === 0x5c) {
      if (source[i + 1] === 'u') {
        const unit = parseInt(source.slice(i + 2, i + 6), 16);
        if (unit >= 0xd800 && unit <= 0xdbff) {
          const next = source[i + 6] === '\\' && source[i + 7] === 'u' ? parseInt(source.slice(i + 8, i + 12), 16) : NaN;
          if (!(next >= 0xdc00 && next <= 0xdfff)) return start;
          i += 11;
          continue;
        }
        if (unit >= 0xdc00 && unit <= 0xdfff) return start;
        i += 5;
      } else i++;
    }
  }
  return -1;
}

/** Keys in order of first appearance across rows: the "headers" of a JSON import. */
class KeyUnion {
  private readonly seen = new Set<string>();
  constructor(private readonly headers: string[]) {}
  add(row: Row): void {
    for (const key of Object.keys(row)) {
      if (!this.seen.has(key)) {
        this.seen.add(key);
        this.headers.push(key);
      }
    }
  }
}

const isWellFormed = (s: string) => (s as unknown as { isWellFormed(): boolean }).isWellFormed();
const isRow = (v: unknown): v is Row => typeof v === 'object' && v !== null && !Array.isArray(v) && !RawJson.isRawJSON(v);
const describe = (v: unknown) => (v === null ? 'null' : Array.isArray(v) ? 'an array' : RawJson.isRawJSON(v) ? 'a number' : `a ${typeof v}`);
const loneSurrogate = (file: string, line: number, byte: number | undefined) =>
  new InvalidImportError(
    `${file}: line ${line}${byte === undefined ? '' : `, byte ${byte}`}: a string with a lone surrogate (a \\uD800–\\uDFFF escape without its pair), which is not text and cannot be stored`,
    { file, line, ...(byte === undefined ? {} : { byte }) },
    'invalid-json',
  );

function table(format: 'json' | 'ndjson', ctx: ReadContext, rows: (t: ParsedTable) => AsyncIterable<Row | RejectedRow>): ParsedTable {
  const t: ParsedTable = {
    format,
    encoding: ctx.encoding,
    mimeType: format === 'json' ? 'application/json' : 'application/x-ndjson',
    headers: [],
    headerRenames: [],
    details: {},
    rows: { [Symbol.asyncIterator]: () => rows(t)[Symbol.asyncIterator]() },
    line: null,
  };
  return t;
}

/**
 * A JSON array of objects, streamed element by element (@streamparser/json, which keeps only the
 * current element in memory). Syntax errors name the line and byte where the parser stopped.
 */
export function readJsonArray(text: AsyncIterable<TextChunk>, ctx: ReadContext): ParsedTable {
  return table('json', ctx, async function* (t) {
    const keys = new KeyUnion(t.headers);
    const tokenizer = new ExactTokenizer();
    const parser = new TokenParser({ paths: ['$.*'], keepStack: false });
    let lastOffset = 0; // byte offset (in UTF-8) of the last token handed to the parser
    const maxCellChars = ctx.maxCellChars ?? DEFAULT_MAX_CELL_CHARS;
    let pending: Array<Row | RejectedRow> = [];
    let element = 0;
    let badElement: InvalidImportError | undefined;
    let badString: number | undefined; // byte offset of a string with a lone surrogate
    tokenizer.onToken = (info) => {
      lastOffset = info.offset;
      if (typeof info.value === 'string' && badString === undefined && !isWellFormed(info.value)) badString = info.offset;
      parser.write(info);
    };
    parser.onValue = ({ value }) => {
      element++;
      // the first element decides what the array is: not objects, it is not an inventory
      if (!isRow(value) && element === 1) badElement = new InvalidImportError(`${ctx.file}: element 1 of the array is ${describe(value)}, not an object`, { file: ctx.file, row: 1 }, 'invalid-json');
      if (!isRow(value)) {
        const source = JSON.stringify(value) ?? 'null';
        pending.push(
          new RejectedRow(
            {
              code: 'not_an_object',
              line: null,
              column: null,
              value: shortValue(source),
              message: `${ctx.file}: element ${element} of the array is ${describe(value)}, not an object`,
            },
            source,
          ),
        );
        return;
      }
      const big = oversizedCell(value, maxCellChars);
      pending.push(big ? new RejectedRow(cellTooLarge(ctx.file, null, big[0], big[1], maxCellChars), JSON.stringify(value)) : value);
    };
    const lines = new LineCounter();
    let bytesBefore = 0;
    for await (const chunk of text) {
      try {
        tokenizer.write(chunk);
      } catch (err) {
        throw syntaxError(err, chunk);
      }
      if (badString !== undefined) throw surrogateError(badString, chunk);
      if (badElement) throw badElement;
      // an array's elements are not lines: invalid bytes anywhere are the file's
      const [bad] = ctx.undecodable?.entries() ?? [];
      if (bad) throw new InvalidImportError(bad[1].message, { file: ctx.file, line: bad[0], byte: bad[1].byte });
      for (const row of pending) {
        if (!(row instanceof RejectedRow)) keys.add(row);
        yield row;
      }
      pending = [];
      lines.add(chunk);
      bytesBefore += typeof chunk === 'string' ? Buffer.byteLength(chunk, 'utf8') : chunk.length;
    }
    try {
      tokenizer.end();
      if (!parser.isEnded) parser.end(); // a complete document has ended it already
    } catch (err) {
      throw new InvalidImportError(`${ctx.file}: line ${lines.line()}: the JSON ends before the array is closed (${(err as Error).message})`, { file: ctx.file, line: lines.line() }, 'invalid-json');
    }
    if (element === 0) throw new InvalidImportError(`${ctx.file}: line 1: the JSON array is empty: no records to import`, { file: ctx.file, line: 1 }, 'no-data');

    function surrogateError(byte: number, chunk: TextChunk): InvalidImportError {
      const inChunk = (typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk).subarray(0, Math.max(0, byte - bytesBefore));
      const line = lines.line(inChunk);
      return loneSurrogate(ctx.file, line, ctx.encoding === 'utf-8' ? byte + (ctx.startByte ?? 0) : undefined);
    }

    function syntaxError(err: unknown, chunk: TextChunk): InvalidImportError {
      const message = (err as Error).message;
      const position = /at position "?(\d+)"?/.exec(message);
      const byte = position ? Number(position[1]) : lastOffset;
      const inChunk = (typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk).subarray(0, Math.max(0, byte - bytesBefore));
      const line = lines.line(inChunk);
      if (ctx.encoding !== 'utf-8') return new InvalidImportError(`${ctx.file}: line ${line}: invalid JSON: ${message}`, { file: ctx.file, line }, 'invalid-json');
      const fileByte = byte + (ctx.startByte ?? 0); // the tokenizer counts UTF-8 bytes from the text's start
      return new InvalidImportError(`${ctx.file}: line ${line}, byte ${fileByte}: invalid JSON: ${message}`, { file: ctx.file, line, byte: fileByte }, 'invalid-json');
    }
  });
}

/** Numbers JSON.parse would round (long digits, an exponent, a trailing zero, -0): the line needs the exact path. */
const INEXACT_NUMBER = /\d{16}|\d[eE]|\.\d*0(?!\d)|-0(?![.\d])/;

/**
 * Newline-delimited JSON: one object per non-empty line (LF, CRLF or CR), parsed with JSON.parse;
 * number literals kept (see jsonNumber), lone surrogates refused with their line and byte.
 */
export function readNdjson(text: AsyncIterable<TextChunk>, ctx: ReadContext): ParsedTable {
  return table('ndjson', ctx, async function* (t) {
    const keys = new KeyUnion(t.headers);
    const maxCellChars = ctx.maxCellChars ?? DEFAULT_MAX_CELL_CHARS;
    let rows = 0;
    // Each line is a record of its own: a line that is not a JSON object is that row's fault, and
    // rejected. Only the first record is the file's: if it does not parse, this is not NDJSON.
    const reject = (line: number, code: 'invalid_json' | 'not_an_object', message: string, source: string) =>
      new RejectedRow({ code, line, column: null, value: shortValue(source), message: `${ctx.file}: line ${line}: ${message}` }, source);
    for await (const { source, line, byte } of splitLines(text, ctx)) {
      if (source.trim() === '') continue;
      t.line = line;
      const undecodable = undecodableRow(ctx.undecodable, line, line, ctx.file);
      if (undecodable) {
        // the first record says what the file is: not UTF-8 there, the file is refused
        if (rows === 0) throw new InvalidImportError(ctx.undecodable!.get(line)!.message, { file: ctx.file, line, byte: ctx.undecodable!.get(line)!.byte });
        rows++;
        yield new RejectedRow({ ...undecodable, value: shortValue(source) }, source);
        continue;
      }
      let value: unknown;
      try {
        value = INEXACT_NUMBER.test(source)
          ? JSON.parse(source, (_key, v, context?: { source?: string }) => (typeof v === 'number' && context?.source !== undefined ? jsonNumber(context.source) : v))
          : JSON.parse(source);
      } catch (err) {
        if (rows === 0) {
          throw new InvalidImportError(
            `${ctx.file}: line ${line}: invalid JSON: ${(err as Error).message}` + (line === 1 ? ' (a JSON file must be an array of objects, or one object per line)' : ''),
            { file: ctx.file, line },
            'invalid-json',
          );
        }
        rows++;
        yield reject(line, 'invalid_json', `invalid JSON: ${(err as Error).message}`, source);
        continue;
      }
      if (!isRow(value)) {
        if (rows === 0) throw new InvalidImportError(`${ctx.file}: line ${line}: ${describe(value)}, not an object`, { file: ctx.file, line }, 'invalid-json');
        rows++;
        yield reject(line, 'not_an_object', `${describe(value)}, not an object`, source);
        continue;
      }
      if (source.includes('\\u')) {
        const at = loneSurrogateAt(source);
        if (at !== -1) throw loneSurrogate(ctx.file, line, byte === undefined ? undefined : byte + Buffer.byteLength(source.slice(0, at)));
      }
      rows++;
      const big = oversizedCell(value, maxCellChars);
      if (big) {
        yield new RejectedRow(cellTooLarge(ctx.file, line, big[0], big[1], maxCellChars), source);
        continue;
      }
      keys.add(value);
      yield value;
    }
    if (rows === 0) throw new InvalidImportError(`${ctx.file}: the file has no records`, { file: ctx.file }, 'no-data');
  });
}

/**
 * The lines of a text (LF, CRLF or a bare CR end one), with their 1-based number and the file byte
 * where each starts (UTF-8 only; UTF-16 offsets are not reported).
 */
async function* splitLines(text: AsyncIterable<TextChunk>, ctx: ReadContext): AsyncGenerator<{ source: string; line: number; byte: number | undefined }> {
  const utf8 = ctx.encoding === 'utf-8';
  let byte = ctx.startByte ?? 0;
  let line = 1;
  let pending = '';
  let afterCr = false; // the previous chunk ended in CR: an LF first in this one belongs to it
  for await (const chunk of text) {
    let s = chunk.toString();
    if (afterCr && s.startsWith('\n')) {
      s = s.slice(1);
      byte += 1;
    }
    afterCr = false;
    let from = 0;
    for (let i = 0; i < s.length; i++) {
      const c = s.charCodeAt(i);
      if (c !== 10 && c !== 13) continue;
      const source = pending + s.slice(from, i);
      pending = '';
      let eol = 1;
      if (c === 13) {
        if (i + 1 < s.length) eol = s.charCodeAt(i + 1) === 10 ? 2 : 1;
        else afterCr = true;
      }
      yield { source, line, byte: utf8 ? byte : undefined };
      byte += Buffer.byteLength(source) + eol;
      line++;
      i += eol - 1;
      from = i + 1;
    }
    pending += s.slice(from);
  }
  if (pending !== '') yield { source: pending, line, byte: utf8 ? byte : undefined };
}

/** The largest JSON document read whole (one object whose records are found by their path). */
export const MAX_JSON_DOCUMENT_CHARS = 256 * 1024 * 1024;

/**
 * Text that starts with `{`: NDJSON when its first line is a whole object; otherwise one JSON
 * document (`aws ec2 describe-instances`, a REST response), read whole, whose records are found by
 * their path (see findRecords; recorded in details.record_path).
 */
export function readJsonObjects(text: AsyncIterable<TextChunk>, sample: string, ctx: ReadContext): ParsedTable {
  const firstLine = sample.trimStart().split(/\r\n|\n|\r/, 1)[0]!;
  let lineIsObject = false;
  try {
    lineIsObject = isRow(JSON.parse(firstLine));
  } catch {
    lineIsObject = false;
  }
  if (lineIsObject) return readNdjson(text, ctx);
  return table('json', ctx, async function* (t) {
    let source = '';
    for await (const chunk of text) {
      source += chunk.toString();
      if (source.length > MAX_JSON_DOCUMENT_CHARS) {
        throw new InvalidImportError(`${ctx.file}: a single JSON object larger than ${MAX_JSON_DOCUMENT_CHARS / 1024 / 1024} MiB; write the records as a JSON array or one object per line`, {
          file: ctx.file,
        });
      }
    }
    let doc: unknown;
    try {
      doc = INEXACT_NUMBER.test(source)
        ? JSON.parse(source, (_key, v, context?: { source?: string }) => (typeof v === 'number' && context?.source !== undefined ? jsonNumber(context.source) : v))
        : JSON.parse(source);
    } catch (err) {
      const at = /position (\d+)/.exec((err as Error).message);
      const line = at ? source.slice(0, Number(at[1])).split(/\r\n|\n|\r/).length : 1;
      throw new InvalidImportError(
        `${ctx.file}: line ${line}: invalid JSON: ${(err as Error).message} (a JSON file must be an array of objects, one object per line, or one object holding the records)`,
        { file: ctx.file, line },
      );
    }
    if (!isRow(doc)) throw new InvalidImportError(`${ctx.file}: line 1: ${describe(doc)}, not an object`, { file: ctx.file, line: 1 });
    if (loneSurrogateAt(source) !== -1) throw loneSurrogate(ctx.file, 1, undefined);
    const found = findRecords(doc);
    if (!found) throw new InvalidImportError(`${ctx.file}: line 1: the JSON object holds no records (its arrays are empty)`, { file: ctx.file, line: 1 });
    t.details.record_path = found.path;
    if (found.keyField) t.details.record_key_field = found.keyField;
    const keys = new KeyUnion(t.headers);
    for (const row of found.records) {
      keys.add(row);
      yield row;
    }
  });
}
