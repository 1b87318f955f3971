import { isUtf8 } from 'node:buffer';
import { InvalidImportError } from '../../../workflows/step-errors.ts';
import type { TextEncoding } from './detect.ts';

/** Text as it flows to the readers: validated UTF-8 bytes (csv-parse and the JSON tokenizer read bytes fastest), or decoded UTF-16. */
export type TextChunk = Buffer | string;

/** Counts line breaks of the text seen so far, for messages: LF, or CR alone in old Mac files. */
export class LineCounter {
  private lf = 0;
  private cr = 0;

  add(text: TextChunk): void {
    for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) this.lf++;
    if (this.lf === 0) for (let i = text.indexOf('\r'); i !== -1; i = text.indexOf('\r', i + 1)) this.cr++;
  }

  /** The 1-based line at the end of the text added so far (plus `extra`, text not added yet). */
  line(extra: TextChunk = ''): number {
    const probe = new LineCounter();
    probe.lf = this.lf;
    probe.cr = this.cr;
    probe.add(extra);
    return 1 + (probe.lf > 0 ? probe.lf : probe.cr);
  }
}

/** Bytes Windows-1252 leaves undefined: a file holding one is not 1252 text either. */
const UNDEFINED_1252 = new Set([0x81, 0x8d, 0x8f, 0x90, 0x9d]);

/**
 * Whether bytes that are not UTF-8 read as Windows-1252 (German, French, … Excel's default "CSV"
 * and PowerShell 5.1's default encodings): no byte that code page leaves undefined, no NUL.
 */
export function isWindows1252(bytes: Uint8Array): boolean {
  for (const b of bytes) if (b === 0 || UNDEFINED_1252.has(b)) return false;
  return true;
}

/** Whether the first non-ASCII character of `buf` is a well-formed UTF-8 sequence (then the file is UTF-8, however it goes on). */
function firstNonAsciiIsUtf8(buf: Uint8Array): boolean {
  const i = buf.findIndex((b) => b >= 0x80);
  if (i === -1) return true;
  const lead = buf[i]!;
  const need = lead >= 0xf0 ? 4 : lead >= 0xe0 ? 3 : lead >= 0xc0 ? 2 : 0;
  return need > 0 && i + need <= buf.length && isUtf8(buf.subarray(i, i + need));
}

/** Where a UTF-8 text had bytes that are not UTF-8: the first such bytes of each line. */
export interface Undecodable {
  byte: number;
  hex: string;
  message: string;
}

/** More lines with invalid bytes than this: the file is not UTF-8, not a file with a few bad rows. */
export const MAX_UNDECODABLE_LINES = 1000;

/**
 * Reads a byte stream as text, strictly: invalid bytes are an error naming their byte offset and
 * line, never replacement characters.

 * UTF-8 without a byte order mark is an assumption, not a statement: when bytes that are not UTF-8
 * turn up before any non-ASCII UTF-8 character has (so everything read so far is ASCII, the same
 * text in either encoding) and they read as Windows-1252, the rest of the file is read as
 * Windows-1252 and `onEncoding` is told (the import records it). A file that mixes UTF-8
 * characters with such bytes is refused, naming the first bad byte. Chunks are cut at character boundaries, so a character split
 * across two S3 chunks stays whole. NUL characters are refused too: PostgreSQL text and jsonb
 * cannot hold them, and they mean the file is not the text it claims to be.
 *
 * UTF-8 comes out as the validated bytes themselves (no decode and re-encode on the hot path);
 * UTF-16 as decoded strings. `startByte` is the file offset of the first byte (after a BOM).
 *
 * With `undecodable`, invalid UTF-8 bytes confined to a line (not the first, and on at most
 * MAX_UNDECODABLE_LINES lines) are replaced by U+FFFD and recorded by line: the reader rejects the
 * row that holds them. Otherwise they are the file's error, as without it.
 */
export async function* decodeText(
  chunks: AsyncIterable<Uint8Array>,
  options: {
    encoding: TextEncoding;
    startByte: number;
    file: string;
    lines: LineCounter;
    mayFallBack?: boolean;
    onEncoding?: (encoding: string) => void;
    undecodable?: Map<number, Undecodable>;
  },
): AsyncGenerator<TextChunk> {
  const { file, lines } = options;
  let encoding: TextEncoding | 'windows-1252' = options.encoding;
  let decoder = new TextDecoder(encoding, { fatal: true, ignoreBOM: true });
  let asciiSoFar = options.mayFallBack === true && encoding === 'utf-8';
  let pending: Buffer = Buffer.alloc(0);
  let offset = options.startByte;
  for await (const chunk of chunks) {
    const buf = pending.length > 0 ? Buffer.concat([pending, chunk]) : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    let cut = encoding === 'windows-1252' ? buf.length : completeLength(buf, encoding);
    let bytes = buf.subarray(0, cut);
    let text: TextChunk;
    if (encoding === 'utf-8' && !isUtf8(bytes) && asciiSoFar && !firstNonAsciiIsUtf8(buf) && isWindows1252(buf)) {
      // everything before was ASCII: reading it all as Windows-1252 changes nothing already read
      encoding = 'windows-1252';
      decoder = new TextDecoder(encoding);
      cut = buf.length;
      bytes = buf;
      options.onEncoding?.(encoding);
    }
    if (encoding === 'windows-1252') {
      if (!isWindows1252(bytes)) throw invalidBytes(bytes, offset, { ...options, encoding: 'utf-8' });
      text = decoder.decode(bytes);
    } else if (encoding === 'utf-8') {
      // a UTF-8 file with a few bad bytes: the rows that hold them are rejected (repaired, recorded)
      text = isUtf8(bytes) ? bytes : repaired(bytes, offset, { ...options, encoding });
      if (asciiSoFar) asciiSoFar = bytes.every((b) => b < 0x80);
    } else {
      try {
        text = decoder.decode(bytes);
      } catch {
        throw invalidBytes(bytes, offset, { ...options, encoding });
      }
    }
    const nul = typeof text === 'string' ? text.indexOf('\0') : text.indexOf(0);
    if (nul !== -1) {
      const before = typeof text === 'string' ? text.slice(0, nul) : text.subarray(0, nul);
      const byte = offset + (typeof text === 'string' ? nul * 2 : nul);
      throw new InvalidImportError(
        `${file}: line ${lines.line(before)}, byte ${byte}: a NUL character; this is not a text file of the kind expected`,
        {
          file,
          line: lines.line(before),
          byte,
        },
        'not-inventory',
      );
    }
    lines.add(text);
    offset += cut;
    pending = buf.subarray(cut);
    if (text.length > 0) yield text;
  }
  if (pending.length > 0 && encoding === 'utf-8' && asciiSoFar && isWindows1252(pending)) {
    // the last bytes only looked like the start of a UTF-8 character ("…München" ending in 0xFC)
    options.onEncoding?.('windows-1252');
    const text = new TextDecoder('windows-1252').decode(pending);
    lines.add(text);
    yield text;
    pending = Buffer.alloc(0);
  }
  if (pending.length > 0) {
    throw new InvalidImportError(
      `${file}: line ${lines.line()}, byte ${offset}: the file ends in the middle of a ${encoding} character (${hex(pending)})`,
      {
        file,
        line: lines.line(),
        byte: offset,
      },
      'encoding',
    );
  }
}

const REPLACEMENT = Buffer.from([0xef, 0xbf, 0xbd]);

/**
 * A chunk with invalid UTF-8 (error path only): each bad sequence replaced by U+FFFD and its line
 * recorded, when the bytes are confined to rows (see decodeText); else the file's error.
 */
function repaired(bytes: Buffer, offset: number, options: { encoding: TextEncoding; file: string; lines: LineCounter; undecodable?: Map<number, Undecodable> }): Buffer {
  const { undecodable } = options;
  if (!undecodable) throw invalidBytes(bytes, offset, options);
  const parts: Buffer[] = [];
  let rest = bytes;
  let at = offset;
  // lines before this chunk, then the repaired text of the chunk so far
  const lineAt = (before: Buffer) => options.lines.line(Buffer.concat([...parts, before]));
  while (!isUtf8(rest)) {
    const err = invalidBytes(rest, at, { ...options, lines: { line: (before: TextChunk) => lineAt(Buffer.from(before.toString())) } as LineCounter });
    const start = (err.details.byte as number) - at;
    const line = err.details.line as number;
    if (line === 1 || (!undecodable.has(line) && undecodable.size >= MAX_UNDECODABLE_LINES)) throw err;
    if (!undecodable.has(line)) undecodable.set(line, { byte: err.details.byte as number, hex: /bytes (\S+(?: 0x\S+)*) are/.exec(err.message)?.[1] ?? '', message: err.message });
    parts.push(rest.subarray(0, start), REPLACEMENT);
    rest = rest.subarray(start + 1);
    at += start + 1;
  }
  parts.push(rest);
  return Buffer.concat(parts);
}

/** How many leading bytes of `buf` end on a character boundary (what remains waits for the next chunk). */
function completeLength(buf: Uint8Array, encoding: TextEncoding): number {
  const len = buf.length;
  if (encoding === 'utf-8') {
    for (let i = len - 1; i >= Math.max(0, len - 3); i--) {
      const b = buf[i]!;
      if ((b & 0xc0) === 0x80) continue; // continuation byte: look further back for the lead
      if (b < 0xc0) return len;
      const need = b >= 0xf0 ? 4 : b >= 0xe0 ? 3 : 2;
      return len - i < need ? i : len;
    }
    return len;
  }
  let cut = len - (len % 2);
  if (cut >= 2) {
    const unit = encoding === 'utf-16le' ? buf[cut - 2]! | (buf[cut - 1]! << 8) : (buf[cut - 2]! << 8) | buf[cut - 1]!;
    if (unit >= 0xd800 && unit <= 0xdbff) cut -= 2; // a high surrogate waits for its pair
  }
  return cut;
}

/** Finds the first undecodable byte (error path only): the longest prefix a streaming decoder accepts. */
function invalidBytes(buf: Buffer, offset: number, options: { encoding: TextEncoding; file: string; lines: LineCounter }): InvalidImportError {
  const accepts = (n: number) => {
    try {
      new TextDecoder(options.encoding, { fatal: true, ignoreBOM: true }).decode(buf.subarray(0, n), { stream: true });
      return true;
    } catch {
      return false;
    }
  };
  let lo = 0;
  let hi = buf.length;
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2);
    if (accepts(mid)) lo = mid;
    else hi = mid - 1;
  }
  // lo bytes are acceptable; the bad sequence starts at the last character boundary within them.
  const start = completeLength(buf.subarray(0, lo), options.encoding);
  const before = new TextDecoder(options.encoding, { ignoreBOM: true }).decode(buf.subarray(0, start));
  const line = options.lines.line(before);
  const byte = offset + start;
  const bad = buf.subarray(start, Math.min(lo + 1, start + 4));
  return new InvalidImportError(
    `${options.file}: line ${line}, byte ${byte}: bytes ${hex(bad)} are not valid ${options.encoding}. ` + `Save the file as UTF-8 (or UTF-16 with a byte order mark).`,
    { file: options.file, line, byte },
    'encoding',
  );
}

const hex = (bytes: Uint8Array) => [...bytes].map((b) => `0x${b.toString(16).padStart(2, '0').toUpperCase()}`).join(' ');
