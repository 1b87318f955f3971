import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import ExcelJS from 'exceljs';
import { describe, expect, it } from 'vitest';
import { validateCommand } from '../../cli/commands/validate.ts';
import { putText } from '../../functions/report-outcome/put-text.ts';
import { errorsCell } from '../../functions/report-outcome/row-files.ts';
import { validateObject } from '../../functions/validate-file/validate-object.ts';
import { outcomeReport, reportKey } from '../../workflows/report.ts';
import { importState, useWorkflowWorld } from './harness.ts';

const world = useWorkflowWorld();

async function readObject(key: string): Promise<{ text: string; bytes: Buffer; contentType: string | undefined }> {
  const out = await world.s3.client.send(new GetObjectCommand({ Bucket: world.s3.bucket, Key: key }));
  const bytes = Buffer.from(await out.Body!.transformToByteArray());
  return { text: bytes.toString('utf8'), bytes, contentType: out.ContentType };
}

/** Rows per table of the workflow, every tenant's: validate must leave them all as they are. */
async function tableCounts(): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const t of ['data_imports', 'raw_import_records', 'crewai_flow_state_extensions', 'discovery_flows', 'import_field_mappings', 'assets']) {
    const [row] = await world.sql`select count(*)::int as n from ${world.sql(t)}`;
    out[t] = row!.n as number;
  }
  return out;
}

const HEADER = ['Hostname', 'IP Address', 'CPU', 'Memory (GB)'];
const BAD_ROWS = [100, 500, 900];
const UNREADABLE = new Map([
  [200, 'sixteen'],
  [700, '16 parsecs'],
]);
const cells = (row: number): string[] => [`srv-${String(row).padStart(4, '0')}`, `10.0.${Math.floor(row / 250)}.${row % 250}`, '4', UNREADABLE.get(row) ?? '16'];

/** The same 1,000 servers in each format: rows 100, 500 and 900 unreadable as rows, rows 200 and 700 with an unreadable memory cell. */
async function dirtyFile(format: 'csv' | 'ndjson' | 'xlsx'): Promise<{ name: string; body: string | Buffer; lineOf: (row: number) => number; rejectedColumn: string }> {
  if (format === 'csv') {
    const lines = [HEADER.join(',')];
    for (let row = 1; row <= 1000; row++) {
      const c = cells(row);
      lines.push(row === 100 ? [...c, 'extra'].join(',') : row === 500 ? c.slice(0, 3).join(',') : row === 900 ? [...c, 'x', 'y'].join(',') : c.join(','));
    }
    return { name: 'dirty.csv', body: `${lines.join('\n')}\n`, lineOf: (row) => row + 1, rejectedColumn: '' };
  }
  if (format === 'ndjson') {
    const lines: string[] = [];
    for (let row = 1; row <= 1000; row++) {
      const obj = Object.fromEntries(HEADER.map((h, i) => [h, cells(row)[i]]));
      const json = JSON.stringify(obj);
      lines.push(row === 100 ? json.slice(0, -1) : row === 500 ? JSON.stringify(cells(row)) : row === 900 ? `${json},` : json);
    }
    return { name: 'dirty.ndjson', body: `${lines.join('\n')}\n`, lineOf: (row) => row, rejectedColumn: '' };
  }
  const workbook = new ExcelJS.Workbook();
  const sheet = workbook.addWorksheet('Servers');
  sheet.addRow(HEADER);
  for (let row = 1; row <= 1000; row++) sheet.addRow(BAD_ROWS.includes(row) ? [...cells(row), 'beyond'] : cells(row));
  return { name: 'dirty.xlsx', body: Buffer.from(await workbook.xlsx.writeBuffer()), lineOf: (row) => row + 1, rejectedColumn: 'column 5' };
}

/** The consultant's fix of a rejected rows file: each row made the header's width again. */
function fixRejected(format: 'csv' | 'ndjson' | 'xlsx', text: string): { name: string; body: string } {
  const lines = text
    .replace(/^\uFEFF/, '')
    .split(/\r?\n/)
    .filter((l) => l !== '');
  if (format === 'ndjson') {
    return { name: 'fixed.ndjson', body: `${lines.map((l) => JSON.stringify(Object.fromEntries(HEADER.map((h, i) => [h, cells(Number(/srv-(\d{4})/.exec(l)![1]))[i]])))).join('\n')}\n` };
  }
  const [header, ...rows] = lines;
  return { name: `fixed-${format}.csv`, body: `${header}\r\n${rows.map((l) => cells(Number(/srv-(\d{4})/.exec(l)![1])).join(',')).join('\r\n')}\r\n` };
}

/** 1,000 servers; rows 100, 500 and 900 ragged (a cell too many or too few), rows 200 and 700 with unreadable memory. */
function dirtyCsv(): { body: string; fixed: string } {
  const lines = ['Hostname,IP Address,CPU,Memory (GB)'];
  const fixed = [lines[0]!];
  for (let row = 1; row <= 1000; row++) {
    const good = `srv-${String(row).padStart(4, '0')},10.0.${Math.floor(row / 250)}.${row % 250},4,16`;
    if (row === 100) {
      lines.push(`${good},extra`);
      fixed.push(good);
    } else if (row === 500) lines.push(`srv-0500,10.0.2.0,4`), fixed.push(good);
    else if (row === 900) lines.push(`srv-0900,10.0.3.150,4,16,x,y`), fixed.push(good);
    else if (row === 200) lines.push(`srv-0200,10.0.0.200,4,sixteen`);
    else if (row === 700) lines.push(`srv-0700,10.0.2.200,4,16 parsecs`);
    else lines.push(good);
  }
  return { body: `${lines.join('\n')}\n`, fixed: `${fixed.join('\n')}\n` };
}

describe('row-level outcome, end to end', () => {
  for (const format of ['csv', 'ndjson', 'xlsx'] as const) {
    it(`${format}: 3 unreadable rows and 2 unreadable memory cells end completed_with_errors, with the errors and rejected files; the fixed rows import cleanly`, async () => {
      const tenant = await world.tenant();
      const file = await dirtyFile(format);
      const { record, started } = await world.drop(tenant, file.name, file.body);
      expect(record.status, JSON.stringify(record.error)).toBe('SUCCEEDED');
      const state = (await importState(world.sql, tenant))!;
      expect(state).toMatchObject({ status: 'completed_with_errors', total_records: 1000, raw: 1000, linked: 1000 });
      const [assets] = await world.sql`select count(*)::int as n from assets where client_account_id = ${tenant.clientAccountId} and engagement_id = ${tenant.engagementId}`;
      expect(assets!.n).toBe(997);

      const report = outcomeReport.parse(JSON.parse((await readObject(reportKey(started.input))).text));
      expect(report.status).toBe('completed_with_errors');
      expect(report.importStatus).toBe('completed_with_errors');
      expect(report.rows).toMatchObject({ stored: 1000, linked: 1000, total: 1000, accepted: 997, rejected: 3, warnings: 2 });
      // the columns are the header's: a rejected row's stored text is no column
      expect(report.fieldMappings.map((m) => m.sourceField)).toEqual(HEADER);
      expect(report.errorsFile!.key).toBe(reportKey(started.input).replace(/\.json$/, '.errors.csv'));

      const errors = await readObject(report.errorsFile!.key);
      expect(errors.bytes.subarray(0, 3)).toEqual(Buffer.from([0xef, 0xbb, 0xbf]));
      expect(errors.text.endsWith('\r\n')).toBe(true);
      const lines = errors.text.slice(1).split('\r\n').slice(0, -1);
      expect(lines[0]).toBe('line,row,column,value,severity,message');
      const parsed = lines.slice(1).map((l) => l.match(/("([^"]|"")*"|[^,]*)(,|$)/g)!.map((c) => c.replace(/,$/, '')));
      expect(parsed.map((c) => [Number(c[0]), Number(c[1]), c[2], c[4]])).toEqual([
        [file.lineOf(100), 100, file.rejectedColumn, 'error'],
        [file.lineOf(200), 200, 'Memory (GB)', 'warning'],
        [file.lineOf(500), 500, file.rejectedColumn, 'error'],
        [file.lineOf(700), 700, 'Memory (GB)', 'warning'],
        [file.lineOf(900), 900, file.rejectedColumn, 'error'],
      ]);
      expect(parsed.map((c) => c[3]).filter((_, i) => i === 1 || i === 3)).toEqual(['sixteen', '16 parsecs']);

      // flowlink validate: the same counts and the same errors file, and nothing written to the database
      const local = join(mkdtempSync(join(world.dir, 'validate-')), file.name);
      writeFileSync(local, file.body);
      const before = await tableCounts();
      const printed: string[] = [];
      const code = await validateCommand(local, { json: true }, (l) => printed.push(l));
      expect(code).toBe(3);
      const validated = JSON.parse(printed.join('\n')) as { rows: unknown; outcome: string; errorsFile: string };
      expect(validated.rows).toEqual({ total: report.rows.total, accepted: report.rows.accepted, rejected: report.rows.rejected, warnings: report.rows.warnings });
      expect(validated.outcome).toBe('completed_with_errors');
      expect(readFileSync(validated.errorsFile).equals(errors.bytes)).toBe(true);
      expect(await tableCounts()).toEqual(before);

      // the same check on a drop under validate/: only the validation report and the errors file
      const validateKey = `validate/${tenant.clientAccountId}/${tenant.engagementId}/${file.name}`;
      await world.s3.client.send(new PutObjectCommand({ Bucket: world.s3.bucket, Key: validateKey, Body: file.body }));
      const onAws = await validateObject({ s3: world.s3.client }, { bucket: world.s3.bucket, key: validateKey });
      expect(onAws.outcome).toBe('completed_with_errors');
      expect(onAws.report.key).toMatch(new RegExp(`^reports/${tenant.clientAccountId}/${tenant.engagementId}/validate/${file.name.replace('.', '\\.')}\\.[^/]+\\.json$`));
      expect((await readObject(onAws.errorsFile!.key)).bytes.equals(errors.bytes)).toBe(true);
      expect(JSON.parse((await readObject(onAws.report.key)).text)).toMatchObject({ kind: 'validation', status: 'completed_with_errors', rows: validated.rows });
      expect(await tableCounts()).toEqual(before);

      const rejectedKey = report.rejectedFile!.key;
      expect(rejectedKey).toBe(reportKey(started.input).replace(/\.json$/, `.rejected.${format === 'xlsx' ? 'csv' : format}`));
      const rejected = await readObject(rejectedKey);
      const fixed = fixRejected(format, rejected.text);
      if (format === 'csv') expect(rejected.text.split('\r\n')[0]).toBe(HEADER.join(','));

      // a replay writes the same three files, byte for byte, but the execution name in the report
      const replayed = await world.workflow().replay(record.name);
      expect(replayed.status).toBe('SUCCEEDED');
      expect((await readObject(report.errorsFile!.key)).bytes.equals(errors.bytes)).toBe(true);
      expect((await readObject(rejectedKey)).bytes.equals(rejected.bytes)).toBe(true);
      const again = outcomeReport.parse(JSON.parse((await readObject(reportKey(started.input))).text));
      expect({ ...again, execution: '' }).toEqual({ ...report, execution: '' });

      const second = await world.drop(tenant, fixed.name, fixed.body);
      expect(second.record.status, JSON.stringify(second.record.error)).toBe('SUCCEEDED');
      const fixedReport = outcomeReport.parse(JSON.parse((await readObject(reportKey(second.started.input))).text));
      expect(fixedReport).toMatchObject({ status: 'succeeded', importStatus: 'completed', rows: { total: 3, accepted: 3, rejected: 0, warnings: 0 }, assets: 3, rejectedFile: null });
    });
  }
});

describe('row-level outcome', () => {
  it('a CSV with 3 ragged rows stores and links all 1,000 rows and makes 997 assets', async () => {
    const tenant = await world.tenant();
    const { record } = await world.drop(tenant, 'dirty.csv', dirtyCsv().body);
    const state = (await importState(world.sql, tenant))!;
    expect(state, JSON.stringify(record.error)).toMatchObject({ total_records: 1000, raw: 1000, linked: 1000 });
    const [assets] = await world.sql`select count(*)::int as n from assets where client_account_id = ${tenant.clientAccountId}`;
    expect(assets!.n).toBe(997);
    const rejected = await world.sql`select row_number, line_number, raw_data, validation_errors from raw_import_records
      where data_import_id = ${state.id} and validation_errors ->> 'skip' = 'rejected' order by row_number`;
    expect(rejected.map((r) => [r.row_number, r.line_number])).toEqual([
      [100, 101],
      [500, 501],
      [900, 901],
    ]);
    expect(rejected[0]!.raw_data).toEqual({ text: 'srv-0100,10.0.0.100,4,16,extra' });
    expect(state.status).toBe('completed_with_errors');
  });
});

describe('field-level warnings', () => {
  it('a CPU of 99999999999, a 3,000-character host name and "sixteen" GB leave the field empty, warned, and the import completes', async () => {
    const tenant = await world.tenant();
    let x = 7;
    const long = Array.from({ length: 3000 }, () => {
      x = (x * 48271) % 2147483647;
      return 'abcdefghijklmnopqrstuvwxyz'[x % 26];
    }).join('');
    const body = `Hostname,IP Address,CPU,Memory (GB)\nweb01,10.0.0.1,4,16\nweb02,10.0.0.2,99999999999,16\n${long},10.0.0.3,2,8\nweb04,not-an-ip,n/a,sixteen\n`;
    const { record } = await world.drop(tenant, 'warned.csv', body);
    expect(record.status, JSON.stringify(record.error)).toBe('SUCCEEDED');
    const assets = await world.sql`select a.hostname, a.cpu_cores, a.memory_gb, a.ip_address, r.row_number, r.validation_errors
      from assets a join raw_import_records r on r.id = a.raw_import_record_id
      where a.client_account_id = ${tenant.clientAccountId} order by r.row_number`;
    expect(assets.map((a) => [a.row_number, a.cpu_cores, a.memory_gb])).toEqual([
      [1, 4, 16],
      [2, null, 16],
      [3, 2, 8],
      [4, null, null],
    ]);
    expect(assets[2]!.hostname).toBeNull();
    const warnings = assets.flatMap((a) =>
      ((a.validation_errors as { warnings?: Array<{ column: string; value: string }> } | null)?.warnings ?? []).map((w) => [a.row_number, w.column, w.value.slice(0, 12)]),
    );
    expect(warnings).toEqual([
      [2, 'CPU', '99999999999'],
      [3, 'Hostname', long.slice(0, 12)],
      [4, 'CPU', 'n/a'],
      [4, 'Memory (GB)', 'sixteen'],
      [4, 'IP Address', 'not-an-ip'],
    ]);
  });
});

describe('the errors file', () => {
  it('keeps a value Excel would run as a formula as text, and quotes what must be quoted', () => {
    expect(['=1+1', '+49 30', '-5', '@SUM(A1)', '\tx', 'a,b', 'say "hi"', 'plain'].map(errorsCell)).toEqual(["'=1+1", "'+49 30", "'-5", "'@SUM(A1)", "'\tx", '"a,b"', '"say ""hi"""', 'plain']);
  });
});

describe('the report files', () => {
  it('is streamed: a file larger than a part goes up in parts and reads back whole', async () => {
    const line = `${'x'.repeat(999)}\n`;
    async function* pieces() {
      for (let i = 0; i < 20_000; i++) yield line;
    }
    const key = 'reports/streamed/big.errors.csv';
    await putText(world.s3.client, { bucket: world.s3.bucket, key, contentType: 'text/csv' }, pieces());
    const back = await readObject(key);
    expect(back.bytes.length).toBe(20_000 * 1000);
    expect(back.text.startsWith(line) && back.text.endsWith(line)).toBe(true);
  });
});

describe('the rejected-rows threshold', () => {
  const file = (bad: number) => `hostname,ip\n${Array.from({ length: 100 }, (_, i) => (i < bad ? `h${i},10.0.0.${i},x` : `h${i},10.0.0.${i}`)).join('\n')}\n`;

  it('fails a file with 20 % bad rows after storing every row, through MarkFailed and the failure report', async () => {
    const tenant = await world.tenant();
    const { record } = await world.drop(tenant, 'fifth-bad.csv', file(20));
    expect(record.status).toBe('FAILED');
    expect(record.error?.name).toBe('TooManyRejectedRowsError');
    expect(String(record.error?.cause)).toMatch(/fifth-bad\.csv: 20 of 100 rows \(20 %\) were rejected, more than the 10 % allowed/);
    const entered = record.events.filter((e) => e.type === 'StateEntered').map((e) => e.state);
    expect(entered).toEqual(['StoreImport', 'MarkFailed', 'ReportFailed', 'PublishFailed', 'Failed']);
    const state = (await importState(world.sql, tenant))!;
    expect(state).toMatchObject({ status: 'failed', total_records: 100, raw: 100 });
    // the reports are written: every rejected row named, the rejected rows ready to fix
    const report = outcomeReport.parse(JSON.parse((await readObject(reportKey(record.input))).text));
    expect(report).toMatchObject({ status: 'failed', rows: { total: 100, accepted: 80, rejected: 20 }, error: { name: 'TooManyRejectedRowsError' } });
    expect(report.error!.advice).toMatch(/errors file/);
    expect((await readObject(report.errorsFile!.key)).text.split('\r\n').filter((l) => l.includes(',error,'))).toHaveLength(20);
    expect((await readObject(report.rejectedFile!.key)).text.split('\r\n').filter(Boolean)).toHaveLength(21);
  });

  it('flowlink validate judges the threshold as the drop does, and names a refused file, writing nothing', async () => {
    const dir = mkdtempSync(join(world.dir, 'validate-'));
    const before = await tableCounts();
    const printed: string[] = [];
    writeFileSync(join(dir, 'fifth-bad.csv'), file(20));
    expect(await validateCommand(join(dir, 'fifth-bad.csv'), {}, (l) => printed.push(l))).toBe(1);
    expect(printed.join('\n')).toMatch(/would FAIL: more than 10 % of the rows are rejected/);
    expect(printed.join('\n')).toMatch(/100 in the file: 80 accepted, 20 rejected, 0 field warning/);
    writeFileSync(join(dir, 'open.csv'), 'hostname,ip\nweb01,"10.0.0.1\n');
    expect(await validateCommand(join(dir, 'open.csv'), {}, (l) => printed.push(l))).toBe(1);
    expect(printed.at(-1)).toMatch(/open\.csv: the file would be refused: open\.csv: line 2: quote opened here is never closed/);
    writeFileSync(join(dir, 'clean.csv'), 'hostname,ip\nweb01,10.0.0.1\n');
    expect(await validateCommand(join(dir, 'clean.csv'), { json: true }, (l) => printed.push(l))).toBe(0);
    expect(JSON.parse(printed.at(-1)!)).toMatchObject({ outcome: 'completed', rows: { total: 1, accepted: 1, rejected: 0, warnings: 0 }, errorsFile: null });
    expect(await tableCounts()).toEqual(before);
  });

  it('completes with errors at 10 %, and the environment may allow more', async () => {
    const tenant = await world.tenant();
    const { record } = await world.drop(tenant, 'tenth-bad.csv', file(10));
    expect(record.status, JSON.stringify(record.error)).toBe('SUCCEEDED');
    expect((await importState(world.sql, tenant))!.status).toBe('completed_with_errors');
    const other = await world.tenant();
    const lenient = await world.drop(other, 'fifth-bad.csv', file(20), undefined, { maxRejectedRowsPercent: 25 });
    expect(lenient.record.status, JSON.stringify(lenient.record.error)).toBe('SUCCEEDED');
    expect(lenient.started.input).toMatchObject({ maxRejectedRowsPercent: 25 });
  });
});
