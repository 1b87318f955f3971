/**
 * Properties of the pure steps added to the readers (issue 31): the Windows-1252 fallback of
 * decodeText, the preamble and header-row finders, the JSON record-path finder.
 */
import { isUtf8 } from 'node:buffer';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { flattenRecord } from '../../functions/_shared/inventory/record-view.ts';
import { detectPreamble, linesAboveHeader } from '../../functions/store-import/formats/csv.ts';
import { decodeText, isWindows1252, LineCounter } from '../../functions/store-import/formats/decode.ts';
import { findRecords } from '../../functions/store-import/formats/json-records.ts';

/** Characters Windows-1252 encodes as themselves in Latin-1 (0x20–0x7E, 0xA0–0xFF). */
const latin1Char = fc.oneof(fc.integer({ min: 0x20, max: 0x7e }), fc.integer({ min: 0xa0, max: 0xff })).map((c) => String.fromCharCode(c));

async function decode(bytes: Buffer, chunk: number) {
  let encoding = 'utf-8';
  const chunks = (async function* () {
    for (let i = 0; i < bytes.length; i += chunk) yield bytes.subarray(i, i + chunk);
  })();
  let text = '';
  for await (const t of decodeText(chunks, {
    encoding: 'utf-8',
    startByte: 0,
    file: 'f.csv',
    lines: new LineCounter(),
    mayFallBack: true,
    onEncoding: (e) => {
      encoding = e;
    },
  }))
    text += t.toString();
  return { text, encoding };
}

describe('decodeText: UTF-8 unless the bytes say Windows-1252', () => {
  it('property: any Latin-1 text written as Windows-1252 reads back whole, in chunks of any size; as UTF-8 it stays UTF-8', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(latin1Char, { minLength: 1, maxLength: 200 }).map((a) => a.join('')),
        fc.integer({ min: 1, max: 64 }),
        async (s, chunk) => {
          // 1252 text whose first non-ASCII characters are also a UTF-8 character ("Ã©" is "é") is UTF-8 by its bytes
          const bytes = Buffer.from(s, 'latin1');
          const first = bytes.findIndex((b) => b >= 0x80);
          const need = first === -1 ? 0 : bytes[first]! >= 0xf0 ? 4 : bytes[first]! >= 0xe0 ? 3 : 2;
          fc.pre(first === -1 || !isUtf8(bytes.subarray(first, first + need)));
          const cp1252 = await decode(Buffer.from(s, 'latin1'), chunk);
          expect(cp1252.text).toBe(s);
          expect(cp1252.encoding).toBe(/[^\x00-\x7f]/.test(s) ? 'windows-1252' : 'utf-8');
          const utf8 = await decode(Buffer.from(s, 'utf8'), chunk);
          expect(utf8).toEqual({ text: s, encoding: 'utf-8' });
        },
      ),
      { numRuns: 300 },
    );
  });

  it('refuses the bytes Windows-1252 leaves undefined, and UTF-8 followed by stray bytes', async () => {
    expect(isWindows1252(Buffer.from([0x41, 0x81]))).toBe(false);
    await expect(decode(Buffer.from([0x61, 0xe9, 0x81, 0x0a]), 64)).rejects.toThrow(/not valid utf-8/);
    await expect(decode(Buffer.concat([Buffer.from('Zürich,'), Buffer.from([0xe9, 0x0a])]), 64)).rejects.toThrow(/not valid utf-8/);
  });
});

describe('CSV preamble and header row', () => {
  it('property: a #TYPE line and title rows above a header are passed over, the header found at its line', () => {
    const title = fc.constantFrom('Server inventory', 'Notes: owners report sizes', '', 'Identity;;Sizing;');
    fc.assert(
      fc.property(fc.boolean(), fc.array(title, { maxLength: 4 }), (typeLine, titles) => {
        const header = 'Hostname;IP Address;CPU;Memory';
        const text = `${typeLine ? '#TYPE Some.Type\n' : ''}${titles.map((t) => `${t}\n`).join('')}${header}\nweb01;10.0.0.1;4;16\n`;
        const preamble = detectPreamble(text);
        expect(preamble.lines).toBe(typeLine ? 1 : 0);
        const above = linesAboveHeader(preamble.text, ';');
        // blank lines between are skipped by the reader itself
        expect(
          preamble.text
            .split('\n')
            .slice(above.lines)
            .find((l) => l !== ''),
        ).toBe(header);
      }),
      { numRuns: 300 },
    );
  });
});

describe('JSON records and their view', () => {
  it('property: the records under any wrapper key are found, whole', () => {
    const record = fc.record({ hostname: fc.string({ minLength: 1, maxLength: 8 }), cpu: fc.integer(), tags: fc.array(fc.record({ k: fc.string() }), { maxLength: 4 }) });
    fc.assert(
      fc.property(fc.constantFrom('value', 'items', 'data', 'servers'), fc.array(record, { minLength: 1, maxLength: 10 }), (key, records) => {
        const found = findRecords({ count: records.length, [key]: records, nextLink: null });
        // an array inside the records (tags) is never taken for the records, unless it is longer than theirs
        if (records.every((r) => r.tags.length <= records.length)) expect(found).toEqual({ path: `${key}[]`, records });
      }),
      { numRuns: 300 },
    );
  });

  it('property: the flattened view keeps every top-level key and value, and adds only paths', () => {
    fc.assert(
      fc.property(fc.object({ maxDepth: 3 }), (o) => {
        const view = flattenRecord(o as Record<string, unknown>);
        for (const k of Object.keys(o)) expect(view[k]).toBe((o as Record<string, unknown>)[k]);
        for (const k of Object.keys(view)) if (!Object.hasOwn(o, k)) expect(k).toMatch(/[.[]/);
      }),
      { numRuns: 300 },
    );
  });
});
