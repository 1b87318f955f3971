import { createInterface } from 'node:readline';
import { Readable } from 'node:stream';
import Tokenizer from '@streamparser/json/tokenizer.js';
import TokenParser from '@streamparser/json/tokenparser.js';
import { InvalidImportError } from '../../_shared/errors.ts';
import { LineCounter, type TextChunk } from './decode.ts';
import type { ParsedTable, ReadContext } from './types.ts';

type Row = Record<string, unknown>;

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

const isRow = (v: unknown): v is Row => typeof v === 'object' && v !== null && !Array.isArray(v);
const describe = (v: unknown) => (v === null ? 'null' : Array.isArray(v) ? 'an array' : `a ${typeof v}`);

function table(format: 'json' | 'ndjson', ctx: ReadContext, rows: (t: ParsedTable) => AsyncIterable<Row>): ParsedTable {
  const t: ParsedTable = {
    format,
    encoding: ctx.encoding,
    mimeType: format === 'json' ? 'application/json' : 'application/x-ndjson',
    headers: [],
    headerRenames: [],
    details: {},
    rows: { [Symbol.asyncIterator]: () => rows(t)[Symbol.asyncIterator]() },
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
    const tokenizer = new Tokenizer();
    const parser = new TokenParser({ paths: ['$.*'], keepStack: false });
    let lastOffset = 0; // byte offset (in UTF-8) of the last token handed to the parser
    let pending: Row[] = [];
    let element = 0;
    let badElement: InvalidImportError | undefined;
    tokenizer.onToken = (info) => {
      lastOffset = info.offset;
      parser.write(info);
    };
    parser.onValue = ({ value }) => {
      element++;
      if (!isRow(value)) badElement ??= new InvalidImportError(`${ctx.file}: element ${element} of the array is ${describe(value)}, not an object`, { file: ctx.file, row: element });
      else pending.push(value);
    };
    const lines = new LineCounter();
    let bytesBefore = 0;
    for await (const chunk of text) {
      try {
        tokenizer.write(chunk);
      } catch (err) {
        throw syntaxError(err, chunk);
      }
      if (badElement) throw badElement;
      for (const row of pending) {
        keys.add(row);
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
      throw new InvalidImportError(`${ctx.file}: line ${lines.line()}: the JSON ends before the array is closed (${(err as Error).message})`, { file: ctx.file, line: lines.line() });
    }
    if (element === 0) throw new InvalidImportError(`${ctx.file}: line 1: the JSON array is empty: no records to import`, { file: ctx.file, line: 1 });

    function syntaxError(err: unknown, chunk: TextChunk): InvalidImportError {
      const message = (err as Error).message;
      const position = /at position "?(\d+)"?/.exec(message);
      const byte = position ? Number(position[1]) : lastOffset;
      const inChunk = (typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk).subarray(0, Math.max(0, byte - bytesBefore));
      const line = lines.line(inChunk);
      if (ctx.encoding !== 'utf-8') return new InvalidImportError(`${ctx.file}: line ${line}: invalid JSON: ${message}`, { file: ctx.file, line });
      const fileByte = byte + (ctx.startByte ?? 0); // the tokenizer counts UTF-8 bytes from the text's start
      return new InvalidImportError(`${ctx.file}: line ${line}, byte ${fileByte}: invalid JSON: ${message}`, { file: ctx.file, line, byte: fileByte });
    }
  });
}

/** Newline-delimited JSON: one object per non-empty line, parsed with JSON.parse. */
export function readNdjson(text: AsyncIterable<TextChunk>, ctx: ReadContext): ParsedTable {
  return table('ndjson', ctx, async function* (t) {
    const keys = new KeyUnion(t.headers);
    const input = Readable.from(text, { objectMode: true });
    let line = 0;
    let rows = 0;
    for await (const source of createInterface({ input, crlfDelay: Infinity })) {
      line++;
      if (source.trim() === '') continue;
      let value: unknown;
      try {
        value = JSON.parse(source);
      } catch (err) {
        throw new InvalidImportError(
          `${ctx.file}: line ${line}: invalid JSON: ${(err as Error).message}` +
            (line === 1 ? ' (a JSON file must be an array of objects, or one object per line)' : ''),
          { file: ctx.file, line },
        );
      }
      if (!isRow(value)) throw new InvalidImportError(`${ctx.file}: line ${line}: ${describe(value)}, not an object`, { file: ctx.file, line });
      rows++;
      keys.add(value);
      yield value;
    }
    if (rows === 0) throw new InvalidImportError(`${ctx.file}: the file has no records`, { file: ctx.file });
  });
}
