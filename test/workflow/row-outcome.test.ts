import { describe, expect, it } from 'vitest';
import { importState, useWorkflowWorld } from './harness.ts';

const world = useWorkflowWorld();

/** 1,000 servers; rows 100, 500 and 900 ragged (a cell too many or too few), rows 200 and 700 with unreadable memory. */
export function dirtyCsv(): { body: string; fixed: string } {
  const lines = ['Hostname,IP Address,CPU,Memory (GB)'];
  const fixed = [lines[0]!];
  for (let row = 1; row <= 1000; row++) {
    const good = `srv-${String(row).padStart(4, '0')},10.0.${Math.floor(row / 250)}.${row % 250},4,16`;
    if (row === 100) { lines.push(`${good},extra`); fixed.push(good); }
    else if (row === 500) lines.push(`srv-0500,10.0.2.0,4`), fixed.push(good);
    else if (row === 900) lines.push(`srv-0900,10.0.3.150,4,16,x,y`), fixed.push(good);
    else if (row === 200) lines.push(`srv-0200,10.0.0.200,4,sixteen`);
    else if (row === 700) lines.push(`srv-0700,10.0.2.200,4,16 parsecs`);
    else lines.push(good);
  }
  return { body: `${lines.join('\n')}\n`, fixed: `${fixed.join('\n')}\n` };
}

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
    expect(rejected.map((r) => [r.row_number, r.line_number])).toEqual([[100, 101], [500, 501], [900, 901]]);
    expect(rejected[0]!.raw_data).toEqual({ text: 'srv-0100,10.0.0.100,4,16,extra' });
    expect(state.status).toBe('completed_with_errors');
  });
});

describe('field-level warnings', () => {
  it('a CPU of 99999999999, a 3,000-character host name and "sixteen" GB leave the field empty, warned, and the import completes', async () => {
    const tenant = await world.tenant();
    let x = 7;
    const long = Array.from({ length: 3000 }, () => { x = (x * 48271) % 2147483647; return 'abcdefghijklmnopqrstuvwxyz'[x % 26]; }).join('');
    const body = `Hostname,IP Address,CPU,Memory (GB)\nweb01,10.0.0.1,4,16\nweb02,10.0.0.2,99999999999,16\n${long},10.0.0.3,2,8\nweb04,not-an-ip,n/a,sixteen\n`;
    const { record } = await world.drop(tenant, 'warned.csv', body);
    expect(record.status, JSON.stringify(record.error)).toBe('SUCCEEDED');
    const assets = await world.sql`select a.hostname, a.cpu_cores, a.memory_gb, a.ip_address, r.row_number, r.validation_errors
      from assets a join raw_import_records r on r.id = a.raw_import_record_id
      where a.client_account_id = ${tenant.clientAccountId} order by r.row_number`;
    expect(assets.map((a) => [a.row_number, a.cpu_cores, a.memory_gb])).toEqual([[1, 4, 16], [2, null, 16], [3, 2, 8], [4, null, null]]);
    expect(assets[2]!.hostname).toBeNull();
    const warnings = assets.flatMap((a) => ((a.validation_errors as { warnings?: Array<{ column: string; value: string }> } | null)?.warnings ?? [])
      .map((w) => [a.row_number, w.column, w.value.slice(0, 12)]));
    expect(warnings).toEqual([
      [2, 'CPU', '99999999999'],
      [3, 'Hostname', long.slice(0, 12)],
      [4, 'CPU', 'n/a'],
      [4, 'Memory (GB)', 'sixteen'],
      [4, 'IP Address', 'not-an-ip'],
    ]);
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
