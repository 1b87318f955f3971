import { InvalidImportError } from '../../_shared/errors.ts';
import type { TextEncoding } from './detect.ts';

/** Counts line breaks of the text seen so far, for messages: LF, or CR alone in old Mac files. */
export class LineCounter {
  private lf = 0;
  private cr = 0;

  add(text: string): void {
    for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) this.lf++;
    if (this.lf === 0) for (let i = text.indexOf('\r'); i !== -1; i = text.indexOf('\r', i + 1)) this.cr++;
  }

  /** The 1-based line at the end of the text added so far (plus `extra`, text not added yet). */
  line(extra = ''): number {
    const probe = new LineCounter();
    probe.lf = this.lf;
    probe.cr = this.cr;
    probe.add(extra);
    return 1 + (probe.lf > 0 ? probe.lf : probe.cr);
  }
}

/**
 * Decodes a byte stream strictly: invalid bytes are an error naming their byte offset and line,
 * never replacement characters. Chunks are cut at character boundaries, so a character split
 * across two S3 chunks decodes whole. NUL characters are refused too: PostgreSQL text and jsonb
 * cannot hold them, and they mean the file is not the text it claims to be.
 *
 * `startByte` is the file offset of the first byte given (after a byte order mark).
 */
export async function* decodeText(
  chunks: AsyncIterable<Uint8Array>,
  options: { encoding: TextEncoding; startByte: number; file: string; lines: LineCounter },
): AsyncGenerator<string> {
  const { encoding, file, lines } = options;
  const decoder = new TextDecoder(encoding, { fatal: true, ignoreBOM: true });
  let pending: Buffer = Buffer.alloc(0);
  let offset = options.startByte;
  for await (const chunk of chunks) {
    const buf = pending.length > 0 ? Buffer.concat([pending, chunk]) : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    const cut = completeLength(buf, encoding);
    let text: string;
    try {
      text = decoder.decode(buf.subarray(0, cut));
    } catch {
      throw invalidBytes(buf.subarray(0, cut), offset, options);
    }
    const nul = text.indexOf('\0');
    if (nul !== -1) {
      const before = text.slice(0, nul);
      const byte = offset + (encoding === 'utf-8' ? Buffer.byteLength(before, 'utf8') : before.length * 2);
      throw new InvalidImportError(`${file}: line ${lines.line(before)}, byte ${byte}: a NUL character; this is not a text file of the kind expected`, {
        file, line: lines.line(before), byte,
      });
    }
    lines.add(text);
    offset += cut;
    pending = buf.subarray(cut);
    if (text.length > 0) yield text;
  }
  if (pending.length > 0) {
    throw new InvalidImportError(`${file}: line ${lines.line()}, byte ${offset}: the file ends in the middle of a ${encoding} character (${hex(pending)})`, {
      file, line: lines.line(), byte: offset,
    });
  }
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
    `${options.file}: line ${line}, byte ${byte}: bytes ${hex(bad)} are not valid ${options.encoding}. ` +
      `Save the file as UTF-8 (or UTF-16 with a byte order mark).`,
    { file: options.file, line, byte },
  );
}

const hex = (bytes: Uint8Array) => [...bytes].map((b) => `0x${b.toString(16).padStart(2, '0').toUpperCase()}`).join(' ');
