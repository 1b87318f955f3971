import { Readable } from 'node:stream';
import ExcelJS from 'exceljs';
import { describe, expect, it } from 'vitest';
import { InvalidImportError } from '../../workflows/step-errors.ts';
import { openTable } from '../../functions/store-import/formats/index.ts';
import { boundedSheet, InflationLimit, InflationMeter } from '../../functions/store-import/formats/xlsx-bounds.ts';

/** A workbook: a title sheet, then `Servers` whose row 3 holds a `size`-byte cell in column C. */
async function workbookWithBigCell(size: number, useSharedStrings: boolean): Promise<Buffer> {
  const wb = new ExcelJS.Workbook();
  const ws = wb.addWorksheet('Servers');
  ws.addRow(['hostname', 'ip_address', 'notes']);
  ws.addRow(['web01', '10.0.0.1', 'fine']);
  ws.addRow(['web02', '10.0.0.2', 'x'.repeat(size)]);
  ws.addRow(['web03', '10.0.0.3', 'fine']);
  return Buffer.from(await wb.xlsx.writeBuffer({ useSharedStrings } as ExcelJS.XlsxWriteOptions));
}

async function readAll(bytes: Buffer, maxRecordSize: number) {
  const table = await openTable(
    (async function* () {
      yield bytes;
    })(),
    { file: 'big.xlsx', maxRecordSize },
  );
  const rows: Record<string, string>[] = [];
  for await (const r of table.rows) rows.push(r as Record<string, string>);
  return rows;
}

describe("a workbook gets the CSV's bounds", () => {
  it.each([true, false])('a cell over the row limit is refused naming the sheet, row and column (shared strings: %s)', async (shared) => {
    const bytes = await workbookWithBigCell(300_000, shared);
    expect(bytes.length).toBeLessThan(50_000); // it compresses: the bound is on what it inflates to
    const err = await readAll(bytes, 100_000).then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(InvalidImportError);
    expect((err as Error).message).toMatch(/big\.xlsx: sheet "Servers", row 3, column C: the row is larger than the .* limit/);
    expect((err as InvalidImportError).details).toMatchObject({ sheet: 'Servers', row: 3, column: 'C' });
  });

  it('the same workbook within the limit reads whole', async () => {
    const rows = await readAll(await workbookWithBigCell(300_000, true), 1_000_000);
    expect(rows.map((r) => r.notes!.length)).toEqual([4, 300_000, 4]);
  });

  it('a sheet that inflates past the budget is refused while it streams', async () => {
    const meter = new InflationMeter(1000);
    const xml = Readable.from([Buffer.from(`<sheetData>${'<row r="1"><c r="A1"><v>1</v></c></row>'.repeat(100)}</sheetData>`)]);
    const stream = boundedSheet(xml, 'xl/worksheets/sheet1.xml', { maxRecordSize: 1_000_000, maxInflatedBytes: 1000 }, meter, 'S');
    await expect(
      (async () => {
        for await (const _ of stream) void _;
      })(),
    ).rejects.toBeInstanceOf(InflationLimit);
  });
});
