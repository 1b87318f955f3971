import { describe, expect, it } from 'vitest';
import { InvalidImportError } from '../../workflows/step-errors.ts';
import { useStoreImportWorld } from './support.ts';

const world = useStoreImportWorld();

const PNG = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, 0x49, 0x48, 0x44, 0x52]);
const ZIP = Buffer.concat([Buffer.from([0x50, 0x4b, 0x03, 0x04]), Buffer.alloc(60, 1)]);
// UTF-8 first ("höst"), then a byte that is not, in the header: a UTF-8 file broken where no row can be rejected
// (an ASCII file whose first other bytes are Windows-1252 is read as such: see formats.test.ts)
const latin1 = Buffer.concat([Buffer.from('höst,cit'), Buffer.from([0xe9]), Buffer.from(',notes\nweb01,Berlin,x\n')]);

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
  { name: 'latin1.csv', body: latin1, message: /^latin1\.csv: line 1, byte 9: bytes 0xE9 0x2C are not valid utf-8/, details: { line: 1, byte: latin1.indexOf(0xe9) } },
  {
    name: 'truncated.csv',
    body: Buffer.concat([Buffer.from('a,b\n1,'), Buffer.from('東').subarray(0, 2)]),
    message: /^truncated\.csv: line 2, byte 6: the file ends in the middle of a utf-8 character/,
    details: { line: 2, byte: 6 },
  },
  {
    name: 'unterminated.csv',
    body: 'a,b\n1,2\n3,"open\n4,5\n',
    message: /^unterminated\.csv: line 3: quote opened here is never closed \(row 2; the file ends at line \d+\)/,
    details: { line: 3, row: 2 },
  },
  { name: 'bad.json', body: '[\n  {"a": 1},\n  {"a": 2,}\n]\n', message: /^bad\.json: line 3, byte \d+: invalid JSON/, details: { line: 3 } },
  { name: 'cut.json', body: '[\n{"a": 1},\n{"a"', message: /^cut\.json: line 3: the JSON ends before the array is closed/, details: { line: 3 } },
  { name: 'scalars.json', body: '[5, {"a": 1}]', message: /^scalars\.json: element 1 of the array is a number, not an object/, details: { row: 1 } },
  { name: 'none.json', body: '[ ]', message: /^none\.json: line 1: the JSON array is empty/, details: { line: 1 } },
  // its first line is no whole object, so the text is read as one JSON document: the parser stops at line 3
  { name: 'bad.ndjson', body: '\n{"a":1\n{"a":2}\n', message: /^bad\.ndjson: line 3: invalid JSON/, details: { line: 3 } },
  { name: 'object.json', body: '{\n  "servers": []\n}\n', message: /^object\.json: line 1: the JSON object holds no records/, details: { line: 1 } },
  { name: 'nul-escape.ndjson', body: '{"a":"x"}\n{"a":"x\\u0000y"}\n', message: /^nul-escape\.ndjson: row 2: a value contains a NUL character/, details: { row: 2 } },
];

describe('StoreImport refuses bad files', () => {
  it.each(cases)('$name: names the file and where, records the failure, stores no raw record', async ({ name, body, message, details }) => {
    const { key, result } = await world.drop(name, body);
    const err = await result.then(
      () => undefined,
      (e: unknown) => e,
    );
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
    // one row: rejected, named by line and byte; the file is stored
    expect(await result).toMatchObject({ rowCount: 8002, rejectedCount: 1 });
    const [bad] = await world.sql`select r.row_number, r.validation_errors ->> 'message' as message from raw_import_records r
      join data_imports d on d.id = r.data_import_id where d.s3_key = ${key} and r.validation_errors ->> 'skip' = 'rejected'`;
    expect(bad).toEqual({ row_number: 8001, message: expect.stringContaining(`deep.csv: line 8002, byte ${body.indexOf(0xfc)}: bytes 0xFC are not valid UTF-8`) });
  });

  it('refuses a file whose bytes are not UTF-8 on more than 1,000 lines: not UTF-8, not a few bad rows', async () => {
    const rows = Array.from({ length: 1200 }, (_, i) => Buffer.concat([Buffer.from(`srv-${i},M`), Buffer.from([0xfc]), Buffer.from('nchen\n')]));
    // a first row in UTF-8 ("Zürich") makes it a UTF-8 file; then 1,200 lines that are not
    const { key, result } = await world.drop('latin1-all.csv', Buffer.concat([Buffer.from('host,city\nsrv-z,Zürich\n'), ...rows]));
    await expect(result).rejects.toThrow(/^latin1-all\.csv: line 1003, byte \d+: bytes 0xFC/);
    expect(await world.rawCountFor(key)).toBe(0);
  });

  it('rolls back every row of a file that turns out broken late, and the next import still works', async () => {
    const rows = Array.from({ length: 9000 }, (_, i) => (i === 8500 ? `${i},"x` : `${i},x`));
    const { key, result } = await world.drop('late-quote.csv', `id,v\n${rows.join('\n')}\n`);
    await expect(result).rejects.toThrow('late-quote.csv: line 8502: quote opened here is never closed (row 8501;');
    expect(await world.rawCountFor(key)).toBe(0);
    const next = await world.drop('after.csv', 'id,v\n1,ok\n');
    expect(await next.result).toMatchObject({ rowCount: 1, reused: false });
  });

  it('fails the same object again the same way: still one failed import, no records', async () => {
    const { key, etag, result } = await world.drop('again.csv', 'a,b\n1,"2\n');
    await expect(result).rejects.toThrow(InvalidImportError);
    await expect(world.run(key, etag)).rejects.toThrow('again.csv: line 2: quote opened here is never closed');
    const [{ n }] = await world.sql<{ n: number }[]>`select count(*)::int as n from data_imports where s3_key = ${key} and status = 'failed'`;
    expect(n).toBe(1);
    expect(await world.rawCountFor(key)).toBe(0);
  });

  it('imports a fixed upload of the same key as a new object version beside the failed one', async () => {
    const first = await world.drop('fixed.csv', 'a,b\n1,"2\n');
    await expect(first.result).rejects.toThrow(InvalidImportError);
    const second = await world.drop('fixed.csv', 'a,b\n1,2\n');
    const out = await second.result;
    expect(out).toMatchObject({ rowCount: 1, reused: false });
    const imports = await world.sql`select status, s3_etag from data_imports where s3_key = ${first.key} order by created_at`;
    expect(imports).toEqual([
      { status: 'failed', s3_etag: first.etag },
      { status: 'stored', s3_etag: second.etag },
    ]);
  });
});

describe('StoreImport rejects a bad row, not the file', () => {
  const rejected = (key: string) => world.sql<
    { row_number: number; line_number: number | null; raw_data: unknown; validation_errors: Record<string, unknown>; processing_notes: string; is_valid: boolean }[]
  >`
    select r.row_number, r.line_number, r.raw_data, r.validation_errors, r.processing_notes, r.is_valid
    from raw_import_records r join data_imports i on i.id = r.data_import_id
    where i.s3_key = ${key} and r.validation_errors ->> 'skip' = 'rejected' order by r.row_number`;

  it.each([
    { name: 'ragged-more.csv', body: 'a,b\n1,2\n3,4,5\n', rows: 2, row: 2, line: 3, text: '3,4,5', message: /^ragged-more\.csv: line 3: row 2 has 3 fields but the header has 2/ },
    { name: 'ragged-fewer.csv', body: 'a;b;c\r\nx;y;z\r\n1;2\r\n', rows: 2, row: 2, line: 3, text: '1;2', message: /^ragged-fewer\.csv: line 3: row 2 has 2 fields but the header has 3/ },
    { name: 'after-quoted.csv', body: 'a,b\n"x\ny",1\n\n3,4,"5\n6"\n', rows: 2, row: 2, line: 5, text: '3,4,"5\n6"', message: /line 5: row 2 has 3 fields/ },
    { name: 'line.ndjson', body: '{"a":1}\n{"a":2\n[3]\n{"a":4}\n', rows: 4, row: 2, line: 2, text: '{"a":2', message: /^line\.ndjson: line 2: invalid JSON/ },
    { name: 'scalar.json', body: '[{"a": 1}, 5, {"a": 2}]', rows: 3, row: 2, line: null, text: '5', message: /^scalar\.json: element 2 of the array is a number, not an object/ },
  ])('$name: stores every row, the rejected one with its text and reason', async ({ name, body, rows, row, line, text, message }) => {
    // a file of two rows with one rejected: over the default threshold, so allowed here (the workflow tests judge it)
    const { key, result } = await world.drop(name, body, { maxRejectedRowsPercent: 100 });
    const out = await result;
    expect(out).toMatchObject({ rowCount: rows, reused: false });
    expect(out.rejectedCount).toBeGreaterThanOrEqual(1);
    expect(await world.rawCountFor(key)).toBe(rows);
    const [first] = await rejected(key);
    expect(first).toMatchObject({ row_number: row, line_number: line, raw_data: { text }, is_valid: false });
    expect(first!.processing_notes).toMatch(/^skipped: rejected \(/);
    expect(String(first!.validation_errors.message)).toMatch(message);
    expect(await world.importOf(key)).toMatchObject({ status: 'stored', total_records: rows });
  });

  it('rejects a row whose cell is over the size limit, and keeps the rest', async () => {
    const { key, result } = await world.drop('big-cell.csv', `host,notes\nweb01,ok\nweb02,${'x'.repeat(300)}\nweb03,ok\n`, { maxCellChars: 100, maxRejectedRowsPercent: 50 });
    expect(await result).toMatchObject({ rowCount: 3, rejectedCount: 1 });
    const [r] = await rejected(key);
    expect(r).toMatchObject({ row_number: 2, line_number: 3, validation_errors: { code: 'cell_too_large', column: 'notes' } });
  });
});

describe('StoreImport rejects a row with bytes that are not UTF-8, not the file', () => {
  it('rejects the row whose line has them, names line and byte, and keeps the rest', async () => {
    // a UTF-8 export ("Zürich") with one row whose bytes are not
    const body = Buffer.concat([Buffer.from('host,city\nweb01,Zürich\nweb02,M'), Buffer.from([0xfc]), Buffer.from('nchen\nweb03,Rome\n')]);
    const { key, result } = await world.drop('one-latin1-row.csv', body, { maxRejectedRowsPercent: 50 });
    expect(await result).toMatchObject({ rowCount: 3, rejectedCount: 1 });
    const rows = await world.sql`select r.row_number, r.line_number, r.raw_data, r.validation_errors from raw_import_records r
      join data_imports d on d.id = r.data_import_id where d.s3_key = ${key} order by r.row_number`;
    expect(rows.map((r) => r.validation_errors?.skip ?? null)).toEqual([null, 'rejected', null]);
    expect(rows[1]).toMatchObject({ line_number: 3, raw_data: { text: 'web02,M\uFFFDnchen' }, validation_errors: { code: 'undecodable', line: 3 } });
    expect(String(rows[1]!.validation_errors.message)).toBe(`one-latin1-row.csv: line 3, byte ${body.indexOf(0xfc)}: bytes 0xFC are not valid UTF-8; save the file as UTF-8 (in Excel: "CSV UTF-8")`);
    expect(rows[2]!.raw_data).toEqual({ host: 'web03', city: 'Rome' });
  });

  it('rejects an NDJSON line with them; refuses the file when they are in the header, the first record or a JSON array', async () => {
    const nd = Buffer.concat([Buffer.from('{"a":"ü"}\n{"a":"'), Buffer.from([0xe9]), Buffer.from('"}\n{"a":"z"}\n')]);
    const ok = await world.drop('line.ndjson', nd, { maxRejectedRowsPercent: 50 });
    expect(await ok.result).toMatchObject({ rowCount: 3, rejectedCount: 1 });
    const refused = [
      // each in UTF-8 first ("ö", "ü"), then the bytes that are not
      { name: 'header.csv', body: Buffer.concat([Buffer.from('sep=,\nhöst,cit'), Buffer.from([0xe9]), Buffer.from('\nweb01,Berlin\n')]), line: 2 },
      { name: 'first.ndjson', body: Buffer.concat([Buffer.from('\n{"ü":"'), Buffer.from([0xe9]), Buffer.from('"}\n{"a":"z"}\n')]), line: 2 },
      { name: 'array.json', body: Buffer.concat([Buffer.from('[{"a":"ü"},\n{"a":"'), Buffer.from([0xe9]), Buffer.from('"}]\n')]), line: 2 },
    ];
    for (const { name, body, line } of refused) {
      const { result } = await world.drop(name, body);
      const err = await result.then(
        () => null,
        (e: unknown) => e,
      );
      expect(err, name).toBeInstanceOf(InvalidImportError);
      expect((err as Error).message).toMatch(new RegExp(`^${name.replace('.', '\\.')}: line ${line}, byte \\d+: bytes 0xE9`));
    }
  });
});
