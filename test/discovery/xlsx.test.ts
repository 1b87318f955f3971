import { createReadStream, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import ExcelJS from 'exceljs';
import { describe, expect, it } from 'vitest';
import { RejectedRow } from '../../functions/store-import/formats/rejected.ts';
import { readXlsx } from '../../functions/store-import/formats/xlsx.ts';

const FIXTURES = join(import.meta.dirname, '..', 'fixtures', 'inventory');

async function collect(rows: AsyncIterable<Record<string, unknown> | RejectedRow>) {
  const out: Array<Record<string, unknown> | RejectedRow> = [];
  for await (const r of rows) out.push(r);
  return out;
}

async function bytesOf(build: (wb: ExcelJS.Workbook) => void): Promise<AsyncIterable<Uint8Array>> {
  const wb = new ExcelJS.Workbook();
  build(wb);
  const buffer = Buffer.from(await wb.xlsx.writeBuffer());
  return (async function* () {
    // in small pieces, as S3 delivers them
    for (let i = 0; i < buffer.length; i += 1000) yield buffer.subarray(i, i + 1000);
  })();
}

describe('readXlsx', () => {
  it("reads the vInfo sheet of an RVTools workbook with the CSV export's columns and values", async () => {
    const table = await readXlsx(createReadStream(join(FIXTURES, 'rvtools-vinfo.xlsx')), { file: 'rvtools-vinfo.xlsx' });
    const [csvHeaders, ...csvRows] = parse(readFileSync(join(FIXTURES, 'rvtools-vinfo.csv'), 'utf8')) as string[][];
    expect(table).toMatchObject({ format: 'xlsx', sheet: 'vInfo', mimeType: expect.stringContaining('spreadsheetml') });
    expect(table.details).toMatchObject({ sheet: 'vInfo', sheet_choice: 'RVTools vInfo sheet' });
    expect(table.headers).toEqual(csvHeaders);
    const rows = await collect(table.rows);
    expect(rows).toHaveLength(csvRows.length);
    expect(rows[0]).toMatchObject({ VM: 'web-prd-01', Memory: '16384', CPUs: '4', Template: 'FALSE', 'Primary IP Address': '10.10.1.21' });
    expect(rows[4]).toMatchObject({ VM: 'zürich-app-01', 'DNS Name': 'zürich-app-01.example.ch' });
    expect(rows[2]).toMatchObject({ VM: 'tmpl-win2019', Template: 'TRUE', 'DNS Name': '' });
  });

  it('skips sheets that are not an inventory and records which sheet it read', async () => {
    const bytes = await bytesOf((wb) => {
      wb.addWorksheet('Summary').addRow(['Inventory export', 'created by the CMDB team']);
      const servers = wb.addWorksheet('Servers');
      servers.addRow([]);
      servers.addRow(['Hostname', 'IP Address', 'RAM (GB)', 'Notes']);
      servers.addRow(['srv-01', '10.0.0.1', 16, { richText: [{ text: 'rich ' }, { text: 'text' }] }]);
      servers.addRow([]);
      servers.addRow(['srv-02', '10.0.0.2', { formula: '8*2', result: 16 }, 'x', 'beyond the header']);
    });
    const table = await readXlsx(bytes, { file: 'cmdb.xlsx' });
    expect(table.sheet).toBe('Servers');
    expect(table.details).toMatchObject({ sheets_skipped: ['Summary'], header_row: 2 });
    expect(String(table.details.sheet_choice)).toMatch(/inventory columns/);
    const rows = await collect(table.rows);
    expect(rows[0]).toEqual({ Hostname: 'srv-01', 'IP Address': '10.0.0.1', 'RAM (GB)': '16', Notes: 'rich text' });
    // a value right of the header is no column's: the row is rejected, its cells kept as they are
    expect(rows[1]).toBeInstanceOf(RejectedRow);
    expect(rows[1]).toMatchObject({
      source: ['srv-02', '10.0.0.2', '16', 'x', 'beyond the header'],
      rejection: { code: 'ragged', line: 5, column: 'column 5', value: 'beyond the header' },
    });
    expect(table.headers).not.toContain('column_5');
  });

  it('falls back to the first sheet with a header row when none looks like an inventory', async () => {
    const bytes = await bytesOf((wb) => {
      wb.addWorksheet('Empty');
      const a = wb.addWorksheet('Lists');
      a.addRow(['Colour', 'Code']);
      a.addRow(['blue', new Date('2024-03-01T00:00:00Z')]);
      wb.addWorksheet('More').addRow(['Fruit']);
    });
    const table = await readXlsx(bytes, { file: 'misc.xlsx' });
    expect(table.sheet).toBe('Lists');
    expect(table.details.sheet_choice).toBe('first sheet with a header row');
    expect(await collect(table.rows)).toEqual([{ Colour: 'blue', Code: '2024-03-01' }]);
  });

  it('refuses a ZIP that is not a workbook with a clear error', async () => {
    const notXlsx = (async function* () {
      yield Buffer.from('PK\u0003\u0004 this is not really a zip archive at all', 'latin1');
    })();
    await expect(readXlsx(notXlsx, { file: 'broken.xlsx' })).rejects.toMatchObject({ name: 'InvalidImportError', message: expect.stringContaining('broken.xlsx') });
  });
});
