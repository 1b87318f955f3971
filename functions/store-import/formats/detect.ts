/** How many leading bytes the detector looks at. */
export const SNIFF_BYTES = 8192;

export type TextEncoding = 'utf-8' | 'utf-16le' | 'utf-16be';

export type Container =
  | { kind: 'empty' }
  | { kind: 'text'; encoding: TextEncoding; bomLength: number }
  | { kind: 'zip' }
  | { kind: 'binary'; what: string; byte: number; reason: 'encoding' | 'not-inventory' };

// Formats people drop by mistake, by their leading bytes. ZIP is a container of its own: xlsx lives in it.
const MAGIC: readonly { bytes: readonly number[]; what: string }[] = [
  { bytes: [0x89, 0x50, 0x4e, 0x47], what: 'a PNG image' },
  { bytes: [0xff, 0xd8, 0xff], what: 'a JPEG image' },
  { bytes: [0x47, 0x49, 0x46, 0x38], what: 'a GIF image' },
  { bytes: [0x25, 0x50, 0x44, 0x46], what: 'a PDF document' },
  { bytes: [0x1f, 0x8b], what: 'a gzip archive' },
  { bytes: [0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1], what: 'a legacy Office (OLE2) file such as .xls' },
  { bytes: [0x7f, 0x45, 0x4c, 0x46], what: 'an executable (ELF)' },
  { bytes: [0x52, 0x61, 0x72, 0x21], what: 'a RAR archive' },
  { bytes: [0x37, 0x7a, 0xbc, 0xaf], what: 'a 7-Zip archive' },
];
const ZIP = [0x50, 0x4b, 0x03, 0x04];
const startsWith = (head: Uint8Array, bytes: readonly number[]) => head.length >= bytes.length && bytes.every((b, i) => head[i] === b);

/**
 * Decides from the first bytes what a file is: text (and its encoding, from the byte order mark;
 * UTF-8 without one), a ZIP container (xlsx), something binary, or nothing at all.
 */
export function detectContainer(head: Uint8Array): Container {
  if (head.length === 0) return { kind: 'empty' };
  if (startsWith(head, [0xef, 0xbb, 0xbf])) return { kind: 'text', encoding: 'utf-8', bomLength: 3 };
  if (startsWith(head, [0xff, 0xfe])) return { kind: 'text', encoding: 'utf-16le', bomLength: 2 };
  if (startsWith(head, [0xfe, 0xff])) return { kind: 'text', encoding: 'utf-16be', bomLength: 2 };
  if (startsWith(head, ZIP)) return { kind: 'zip' };
  const magic = MAGIC.find((m) => startsWith(head, m.bytes));
  if (magic) return { kind: 'binary', what: magic.what, byte: 0, reason: 'not-inventory' };
  const nul = head.indexOf(0);
  if (nul !== -1) {
    // ASCII text in UTF-16 has a NUL in every other byte; say so rather than just "binary".
    const evenNuls = countNuls(head, 0);
    const oddNuls = countNuls(head, 1);
    const half = Math.floor(head.length / 2);
    const utf16 = Math.max(evenNuls, oddNuls) > half * 0.4 && Math.min(evenNuls, oddNuls) < half * 0.05;
    return utf16
      ? { kind: 'binary', what: 'UTF-16 text without a byte order mark (save it as UTF-8, or as UTF-16 with BOM)', byte: nul, reason: 'encoding' }
      : { kind: 'binary', what: 'binary data (it contains NUL bytes)', byte: nul, reason: 'not-inventory' };
  }
  return { kind: 'text', encoding: 'utf-8', bomLength: 0 };
}

function countNuls(head: Uint8Array, parity: number): number {
  let n = 0;
  for (let i = parity; i < head.length; i += 2) if (head[i] === 0) n++;
  return n;
}
