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
