/**
 * Input fidelity of the StoreImport readers (issue 14, items 1–6): what a consultant drops is read
 * exactly. Examples through the real step (s3rver, PostgreSQL), properties on openTable.
 */
import ExcelJS from 'exceljs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { InvalidImportError } from '../../workflows/step-errors.ts';
import { copyRawRecords } from '../../functions/store-import/copy-rows.ts';
import { openTable, type RejectedRow } from '../../functions/store-import/formats/index.ts';
import { useStoreImportWorld } from './support.ts';

const world = useStoreImportWorld();

async function importFile(name: string, body: Buffer | string) {
  const { key, result } = await world.drop(name, body);
  const out = await result;
  const imp = (await world.importOf(key))!;
  return { out, imp, data: (await world.rows(out.dataImportId)).map((r) => r.raw_data) };
}

async function failure(name: string, body: Buffer | string) {
  const { key, result } = await world.drop(name, body);
  const err = await result.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(InvalidImportError);
  return { err: err as InvalidImportError, imp: (await world.importOf(key))!, stored: await world.rawCountFor(key) };
}

async function readAll(body: Buffer | string, options: { maxRecordSize?: number } = {}) {
  const bytes = Buffer.from(body);
  const table = await openTable(
    (async function* () {
      for (let i = 0; i < bytes.length; i += 7) yield bytes.subarray(i, i + 7); // tiny chunks: every boundary is crossed
    })(),
    { file: 'f.csv', ...options },
  );
  const rows: Array<Record<string, unknown> | RejectedRow> = [];
  for await (const r of table.rows) rows.push(r);
  return { table, rows };
}

async function workbook(build: (wb: ExcelJS.Workbook) => void): Promise<Buffer> {
  const wb = new ExcelJS.Workbook();
  build(wb);
  return Buffer.from(await wb.xlsx.writeBuffer());
}

describe('line endings mixed within one file (item 1)', () => {
  it('reads CRLF, LF and bare CR in one file; a quoted cell keeps its line break', async () => {
    const { data } = await importFile('mixed.csv', 'host,notes\r\nweb01,a\nweb02,"two\r\nlines"\rweb03,c\r\n');
    expect(data).toEqual([
      { host: 'web01', notes: 'a' },
      { host: 'web02', notes: 'two\r\nlines' },
      { host: 'web03', notes: 'c' },
    ]);
  });

  it('property: rows joined by any mix of line endings read back as written, no value ending in \\r', async () => {
    const cell = fc.string({ unit: fc.constantFrom('a', 'b', ' ', ',', '"', '\n', '\r', 'é'), maxLength: 6 });
    const eol = fc.constantFrom('\n', '\r\n', '\r');
    await fc.assert(
      fc.asyncProperty(fc.array(fc.tuple(fc.tuple(cell, cell), eol), { minLength: 1, maxLength: 8 }), eol, async (rows, headerEol) => {
        const quote = (v: string) => (/[",\r\n]/.test(v) || v === '' ? `"${v.replaceAll('"', '""')}"` : v);
        const body = `a,b${headerEol}${rows.map(([[x, y], e]) => `${quote(x)},${quote(y)}${e}`).join('')}`;
        const nonEmpty = rows.filter(([[x, y]]) => x !== '' || y !== '');
        if (nonEmpty.length === 0) return; // header only: refused, tested elsewhere
        const { rows: got } = await readAll(body);
        expect(got).toEqual(nonEmpty.map(([[x, y]]) => ({ a: x, b: y })));
      }),
      { numRuns: 300 },
    );
  });
});

describe('rows whose every cell is empty (item 2)', () => {
  it('skips them like blank lines, and counts them in import_config', async () => {
    const { out, imp, data } = await importFile('trailing.csv', 'host,ip,os\nweb01,10.0.0.1,Linux\n,,\nweb02,,\n,,\n,,\n');
    expect(out.rowCount).toBe(2);
    expect(data).toEqual([
      { host: 'web01', ip: '10.0.0.1', os: 'Linux' },
      { host: 'web02', ip: '', os: '' },
    ]);
    expect(imp.import_config).toMatchObject({ emptyRowsSkipped: 3 });
  });

  it('counts them in workbooks too, and refuses a file of nothing but empty rows', async () => {
    const xlsx = await workbook((wb) => {
      const s = wb.addWorksheet('Servers');
      s.addRow(['Hostname', 'IP Address']);
      s.addRow(['srv-01', '10.0.0.1']);
      s.addRow(['', '']); // written as cells holding empty strings, as Excel leaves cleared rows
    });
    const { imp } = await importFile('cleared.xlsx', xlsx);
    expect(imp.import_config).toMatchObject({ emptyRowsSkipped: 1 });
    const { err, stored } = await failure('only-empty.csv', 'host,ip\n,\n,\n');
    expect(err.message).toMatch(/line 1: the file has a header line but no data rows/);
    expect(stored).toBe(0);
  });
});

describe('a stray quote (item 3)', () => {
  it('fails with the line the quote opened, at a bounded record size', async () => {
    const rows = Array.from({ length: 2000 }, (_, i) => `web${i},10.0.0.${i % 250}`).join('\n');
    const body = `host,ip\n"web-stray,10.0.0.1\n${rows}\n`;
    const err = await readAll(body, { maxRecordSize: 1024 }).then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(InvalidImportError);
    expect((err as Error).message).toMatch(/^f\.csv: line 2: quote opened here is never closed/);
    expect((err as InvalidImportError).details).toMatchObject({ line: 2, row: 1 });
  });

  it('keeps a quoted 5 MB cell under the default limit', async () => {
    const big = 'x'.repeat(5 * 1024 * 1024);
    const { rows } = await readAll(`host,notes\nweb01,"${big}"\n`);
    expect(((rows[0] as Record<string, unknown>).notes as string).length).toBe(big.length);
  });

  it('says the same through StoreImport, with the import recorded failed', async () => {
    const { err, imp } = await failure('stray.csv', 'host,ip\n"web01,10.0.0.1\nweb02,10.0.0.2\n');
    expect(err.message).toMatch(/stray\.csv: line 2: quote opened here is never closed/);
    expect(imp).toMatchObject({ status: 'failed' });
  });
});

describe('JSON values kept exactly (item 4)', () => {
  it("keeps nested values as JSON and every number literal's digits", async () => {
    const body = '[{"host":"web01","id":12345678901234567890,"huge":1e400,"price":1.50,"tags":["a","b"],"meta":{"rack":"R1","u":[1,2]}}]';
    const { out } = await importFile('exact.json', body);
    const [row] = await world.sql<{ raw: string; id: string; huge: string; price: string }[]>`
      select raw_data::text as raw, raw_data ->> 'id' as id, raw_data ->> 'huge' as huge, raw_data ->> 'price' as price
      from raw_import_records where data_import_id = ${out.dataImportId}`;
    expect(row!.id).toBe('12345678901234567890');
    expect(row!.huge).toBe(`1${'0'.repeat(400)}`); // jsonb's numeric holds 1e400 exactly
    expect(row!.price).toBe('1.50');
    expect(JSON.parse(row!.raw)).toMatchObject({ tags: ['a', 'b'], meta: { rack: 'R1', u: [1, 2] } });
  });

  it('keeps number literals in NDJSON too', async () => {
    const { out } = await importFile('exact.ndjson', '{"host":"a","id":12345678901234567890}\n{"host":"b","id":-0.10}\n');
    const ids = await world.sql<{ id: string }[]>`
      select raw_data ->> 'id' as id from raw_import_records where data_import_id = ${out.dataImportId} order by row_number`;
    expect(ids.map((r) => r.id)).toEqual(['12345678901234567890', '-0.10']);
  });

  it('refuses a lone surrogate with the line and byte, in an array and in NDJSON', async () => {
    const array = await failure('lone.json', '[\n{"host":"web01"},\n{"host":"bad\\ud800x"}\n]');
    expect(array.err.message).toMatch(/^lone\.json: line 3, byte 28: /);
    expect(array.err.message).toMatch(/lone surrogate/);
    expect(array.imp).toMatchObject({ status: 'failed' });
    const nd = await failure('lone.ndjson', '{"host":"web01"}\n{"host":"ok","note":"\\udc00"}\n');
    expect(nd.err.message).toMatch(/^lone\.ndjson: line 2, byte 37: /);
    expect(nd.err.details).toMatchObject({ line: 2, byte: 37 });
  });

  it('refuses a lone surrogate from any reader before COPY, naming the row (a paired one is stored)', async () => {
    const client = await world.pool.connect();
    try {
      await client.query('begin');
      const target = { dataImportId: '00000000-0000-0000-0000-000000000000', ...world.tenant, file: 'book.xlsx' };
      const rows = (async function* () {
        yield { host: 'ok 🚀', note: 'a \\ud800 written as text' };
        yield { host: 'bad\ud800' };
      })();
      const err = await copyRawRecords(client, rows, target).then(
        () => null,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(InvalidImportError);
      expect((err as Error).message).toBe('book.xlsx: row 2: a value contains a lone surrogate (half of a UTF-16 pair), which is not text and cannot be stored');
    } finally {
      await client.query('rollback');
      client.release();
    }
  });

  it('property: any JSON document of objects is stored with the same value', async () => {
    const leaf = fc.oneof(fc.string(), fc.boolean(), fc.constant(null), fc.integer(), fc.double({ noNaN: true, noDefaultInfinity: true }));
    const value = fc.letrec((tie) => ({
      v: fc.oneof({ depthSize: 'small' }, leaf, fc.array(tie('v'), { maxLength: 3 }), fc.dictionary(fc.string(), tie('v'), { maxKeys: 3 })),
    })).v;
    await fc.assert(
      fc.asyncProperty(fc.array(fc.dictionary(fc.string({ minLength: 1 }), value, { minKeys: 1, maxKeys: 4 }), { minLength: 1, maxLength: 4 }), async (rows) => {
        const nonEmpty = rows.filter((r) => Object.values(r).some((v) => v !== '' && v !== null));
        if (!nonEmpty.length) return;
        const { rows: got } = await readAll(JSON.stringify(rows));
        expect(JSON.parse(JSON.stringify(got))).toEqual(JSON.parse(JSON.stringify(nonEmpty)));
      }),
      { numRuns: 200 },
    );
  });
});

describe('workbooks follow the same rules (item 6)', () => {
  it('refuses a header-only workbook, as a header-only CSV is', async () => {
    const xlsx = await workbook((wb) => wb.addWorksheet('Servers').addRow(['Hostname', 'IP Address', 'OS']));
    const { err, imp, stored } = await failure('header-only.xlsx', xlsx);
    expect(err.message).toMatch(/header-only\.xlsx: sheet "Servers": row 1: the sheet has a header row but no data rows/);
    expect(imp).toMatchObject({ status: 'failed' });
    expect(stored).toBe(0);
  });

  it('keeps the values of columns named __proto__ and constructor, in every format; no row has a prototype', async () => {
    const xlsx = await workbook((wb) => {
      const s = wb.addWorksheet('Servers');
      s.addRow(['Hostname', '__proto__', 'constructor']);
      s.addRow(['srv-01', 'p', 'c']);
    });
    for (const [name, body] of [
      ['proto.xlsx', xlsx],
      ['proto.csv', 'Hostname,__proto__,constructor\nsrv-01,p,c\n'],
      ['proto.json', '[{"Hostname":"srv-01","__proto__":"p","constructor":"c"}]'],
      ['proto.ndjson', '{"Hostname":"srv-01","__proto__":"p","constructor":"c"}\n'],
    ] as const) {
      const { data } = await importFile(name, body);
      expect(data, name).toEqual([JSON.parse('{"Hostname":"srv-01","__proto__":"p","constructor":"c"}')]);
      const { rows } = await readAll(body);
      expect(Object.getPrototypeOf(rows[0]), name).toBeNull();
    }
  });
});
