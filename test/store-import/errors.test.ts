import { describe, expect, it } from 'vitest';
import { InvalidImportError } from '../../workflows/step-errors.ts';
import { useStoreImportWorld } from './support.ts';

const world = useStoreImportWorld();

const PNG = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, 0x49, 0x48, 0x44, 0x52]);
const ZIP = Buffer.concat([Buffer.from([0x50, 0x4b, 0x03, 0x04]), Buffer.alloc(60, 1)]);
// UTF-8 first (Zürich), then a byte that is not: mixed encodings, refused (a pure 1252 file is read, see formats.test.ts)
const latin1 = Buffer.concat([Buffer.from('host,city\nweb01,Zürich\nweb02,Mal'), Buffer.from([0xe9]), Buffer.from('\n')]);
// not UTF-8, and 0x81 is a byte Windows-1252 leaves undefined: neither encoding
const undefined1252 = Buffer.concat([Buffer.from('host,city\nweb01,Berlin\nweb02,Mal'), Buffer.from([0xe9, 0x81]), Buffer.from('\n')]);

interface Case {
  name: string;
  body: Buffer | string;
  message: RegExp;
  details: Record<string, unknown>;
}

const cases: Case[] = [
  { name: 'empty.csv', body: '', message: /^empty\.csv: the file is empty \(0 bytes\)/, details: { byte: 0 } },
  { name: 'blank.csv', body: Buffer.from([0xef, 0xbb, 0xbf, 0x0a, 0x20, 0x0a]), message: /^blank\.csv: line 3: the file is empty/, details: { line: 3 } },
  { name: 'header-only.csv', body: 'host,ip\r\n', message: /^header-only\.csv: line 1: the file has a header line but no data rows/, details: { line: 1 } },
  { name: 'logo.csv', body: PNG, message: /^logo\.csv: byte 0: this is a PNG image/, details: { byte: 0 } },
  { name: 'report.pdf', body: '%PDF-1.7\n%âãÏÓ\n', message: /^report\.pdf: byte 0: this is a PDF document/, details: { byte: 0 } },
  // a ZIP header with garbage after it: the workbook reader's own words, but named and recorded the same way
  { name: 'book.xlsx', body: ZIP, message: /^book\.xlsx: .*(xlsx|workbook|ZIP)/i, details: {} },
  { name: 'nul-head.csv', body: Buffer.from('a,b\n1,\u0000\n'), message: /^nul-head\.csv: byte 6: this is binary data \(it contains NUL bytes\)/, details: { byte: 6 } },
  { name: 'utf16-nobom.csv', body: Buffer.from('host,ip\r\nweb01,10.0.0.1\r\n', 'utf16le'), message: /UTF-16 text without a byte order mark/, details: { byte: 1 } },
  { name: 'latin1.csv', body: latin1, message: /^latin1\.csv: line 3, byte 33: bytes 0xE9 0x0A are not valid utf-8/, details: { line: 3, byte: latin1.indexOf(0xe9) } },
  { name: 'undefined-1252.csv', body: undefined1252, message: /^undefined-1252\.csv: line 3, byte 32: bytes 0xE9 0x81 0x0A are not valid utf-8/, details: { line: 3, byte: undefined1252.indexOf(0xe9) } },
  { name: 'truncated.csv', body: Buffer.concat([Buffer.from('a,b\n1,'), Buffer.from('東').subarray(0, 2)]), message: /^truncated\.csv: line 2, byte 6: the file ends in the middle of a utf-8 character/, details: { line: 2, byte: 6 } },
  { name: 'unterminated.csv', body: 'a,b\n1,2\n3,"open\n4,5\n', message: /^unterminated\.csv: line 3: quote opened here is never closed \(row 2; the file ends at line \d+\)/, details: { line: 3, row: 2 } },
  { name: 'ragged-more.csv', body: 'a,b\n1,2\n3,4,5\n', message: /^ragged-more\.csv: line 3: row 2 has 3 fields but the header has 2/, details: { line: 3, row: 2 } },
  { name: 'ragged-fewer.csv', body: 'a;b;c\r\nx;y;z\r\n1;2\r\n', message: /^ragged-fewer\.csv: line 3: row 2 has 2 fields but the header has 3/, details: { line: 3, row: 2 } },
  { name: 'bad.json', body: '[\n  {"a": 1},\n  {"a": 2,}\n]\n', message: /^bad\.json: line 3, byte \d+: invalid JSON/, details: { line: 3 } },
  { name: 'cut.json', body: '[\n{"a": 1},\n{"a"', message: /^cut\.json: line 3: the JSON ends before the array is closed/, details: { line: 3 } },
  { name: 'scalars.json', body: '[{"a": 1}, 5]', message: /^scalars\.json: element 2 of the array is a number, not an object/, details: { row: 2 } },
  { name: 'none.json', body: '[ ]', message: /^none\.json: line 1: the JSON array is empty/, details: { line: 1 } },
  { name: 'bad.ndjson', body: '{"a":1}\n{"a":2\n', message: /^bad\.ndjson: line 2: invalid JSON/, details: { line: 2 } },
  { name: 'object.json', body: '{\n  "servers": []\n}\n', message: /^object\.json: line 1: the JSON object holds no records/, details: { line: 1 } },
  { name: 'nul-escape.ndjson', body: '{"a":"x"}\n{"a":"x\\u0000y"}\n', message: /^nul-escape\.ndjson: row 2: a value contains a NUL character/, details: { row: 2 } },
];

describe('StoreImport refuses bad files', () => {
  it.each(cases)('$name: names the file and where, records the failure, stores no raw record', async ({ name, body, message, details }) => {
    const { key, result } = await world.drop(name, body);
    const err = await result.then(() => undefined, (e: unknown) => e);
    expect(err).toBeInstanceOf(InvalidImportError);
    expect((err as Error).message).toMatch(message);
    const imp = (await world.importOf(key))!;
    expect(imp).toMatchObject({ status: 'failed', error_message: (err as Error).message, filename: name, total_records: null });
    expect(imp.error_details).toMatchObject({ file: name, errorName: 'InvalidImportError', ...details });
    expect(await world.rawCountFor(key)).toBe(0);
  });

  it('locates an invalid byte deep in a large file exactly, after thousands of good rows', async () => {
    const good = Array.from({ length: 8000 }, (_, i) => `srv-${i},Zürich`).join('\n');
    const body = Buffer.concat([Buffer.from(`host,city\n${good}\nsrv-x,M`), Buffer.from([0xfc]), Buffer.from('nchen\nsrv-y,Rome\n')]);
    const { key, result } = await world.drop('deep.csv', body);
    await expect(result).rejects.toThrow(`deep.csv: line 8002, byte ${body.indexOf(0xfc)}: bytes 0xFC are not valid utf-8`);
    expect(await world.rawCountFor(key)).toBe(0);
  });

  it('rolls back every row of a file that turns out ragged late, and the next import still works', async () => {
    const rows = Array.from({ length: 9000 }, (_, i) => (i === 8500 ? `${i},x,extra` : `${i},x`));
    const { key, result } = await world.drop('late-ragged.csv', `id,v\n${rows.join('\n')}\n`);
    await expect(result).rejects.toThrow('late-ragged.csv: line 8502: row 8501 has 3 fields but the header has 2');
    expect(await world.rawCountFor(key)).toBe(0);
    const next = await world.drop('after.csv', 'id,v\n1,ok\n');
    expect(await next.result).toMatchObject({ rowCount: 1, reused: false });
  });

  it('fails the same object again the same way: still one failed import, no records', async () => {
    const { key, etag, result } = await world.drop('again.csv', 'a,b\n1,2,3\n');
    await expect(result).rejects.toThrow(InvalidImportError);
    await expect(world.run(key, etag)).rejects.toThrow('again.csv: line 2: row 1 has 3 fields');
    const [{ n }] = await world.sql<{ n: number }[]>`select count(*)::int as n from data_imports where s3_key = ${key} and status = 'failed'`;
    expect(n).toBe(1);
    expect(await world.rawCountFor(key)).toBe(0);
  });

  it('imports a fixed upload of the same key as a new object version beside the failed one', async () => {
    const first = await world.drop('fixed.csv', 'a,b\n1,2,3\n');
    await expect(first.result).rejects.toThrow(InvalidImportError);
    const second = await world.drop('fixed.csv', 'a,b\n1,2\n');
    const out = await second.result;
    expect(out).toMatchObject({ rowCount: 1, reused: false });
    const imports = await world.sql`select status, s3_etag from data_imports where s3_key = ${first.key} order by created_at`;
    expect(imports).toEqual([{ status: 'failed', s3_etag: first.etag }, { status: 'stored', s3_etag: second.etag }]);
  });
});
