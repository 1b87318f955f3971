/**
 * A range's first discovery writes its assets with COPY, a later one with the upsert
 * (functions/start-discovery/copy-assets.ts): both must write the same values, whatever the text
 * holds, and two first runs of the same rows at once must end as one.
 */
import { describe, expect, it } from 'vitest';
import type { Sql } from '../../db/client.ts';
import { discoverRows } from '../../functions/start-discovery/discover-rows.ts';
import { importState, useWorkflowWorld } from '../workflow/harness.ts';

const world = useWorkflowWorld();

// what COPY's text format must escape or could misread: backslashes, tabs, line breaks, a literal
// \N, JSON with escapes, non-ASCII, numbers a double holds only approximately
const ROWS = [
  { name: 'tab\there', hostname: 'app01', description: 'line one\nline two\r\nthree', owner: 'C:\\Users\\ops', notes: '\\N' },
  { hostname: 'web-ü-01', description: 'emoji 🚀 and "quotes"', meta: { path: 'a\\b\tc', list: [1, 'x\ny'] }, ram_gb: 0.1 },
  { hostname: 'db01', ip_address: '10.0.0.1, fe80::1', cpu_cores: 8, memory_gb: '1e-7', storage_gb: 123456.789, serial: 12345678901234567890 },
  { hostname: 'blank', description: '', owner: null },
];

async function assetsOf(discoveryFlowId: string) {
  return world.sql<Record<string, unknown>[]>`
    select a.*, r.row_number from assets a join raw_import_records r on r.id = a.raw_import_record_id
    where a.discovery_flow_id = ${discoveryFlowId} order by r.row_number`;
}
const withoutTimes = (rows: Record<string, unknown>[]) => rows.map(({ updated_at: _, ...rest }) => rest);

describe('assets written by COPY (first run) and by the upsert (re-run)', () => {
  it('are the same rows, value for value, for text COPY must escape', async () => {
    const tenant = await world.tenant();
    // the serial as written in the file (a double would round it)
    const body = `${ROWS.map((r) => JSON.stringify(r).replace(/"serial":\d+/, '"serial":12345678901234567890')).join('\n')}\n`;
    const { record } = await world.drop(tenant, 'escapes.ndjson', body);
    expect(record.status, JSON.stringify(record.error)).toBe('SUCCEEDED');
    const state = (await importState(world.sql, tenant))!;
    const first = await assetsOf(state.discovery_id!);
    expect(first.map((a) => a.row_number)).toEqual([1, 2, 3, 4]);
    expect(first[0]).toMatchObject({ name: 'tab\there', hostname: 'app01', description: 'line one\nline two\r\nthree' });
    expect(first[0]).toMatchObject({ business_owner: 'C:\\Users\\ops' });
    expect(first[1]).toMatchObject({ hostname: 'web-ü-01', description: 'emoji 🚀 and "quotes"' });
    expect(first[1]!.custom_attributes).toMatchObject({ meta: { path: 'a\\b\tc', list: [1, 'x\ny'] } });
    expect(first[2]).toMatchObject({ ip_address: '10.0.0.1', ip_addresses: ['10.0.0.1', 'fe80::1'], cpu_cores: 8, storage_gb: 123456.789 });
    // a serial number is an identifier the inventory matches on: an asset column, kept as text
    expect(first[2]).toMatchObject({ serial_number: '12345678901234567890' });
    expect(first[3]!.description).toBeNull();

    const input = {
      clientAccountId: tenant.clientAccountId,
      engagementId: tenant.engagementId,
      dataImportId: state.id,
      flowId: state.master_flow_id!,
      discoveryFlowId: state.discovery_id!,
    };
    // the same range again: its assets exist, so this run upserts them
    await world.sql.begin((tx) => discoverRows(tx as unknown as Sql, input, { fromRow: 1, toRow: 4 }));
    const again = await assetsOf(state.discovery_id!);
    expect(withoutTimes(again)).toEqual(withoutTimes(first));
    expect(again.every((a) => a.updated_at !== null)).toBe(true);
  });

  it('two first runs of the same rows at once: the second waits for the first, then finds its assets and upserts them', async () => {
    const tenant = await world.tenant();
    const body = `${Array.from({ length: 300 }, (_, i) => JSON.stringify({ hostname: `host-${i}`, cpu_cores: i % 16 })).join('\n')}\n`;
    const { record } = await world.drop(tenant, 'race.ndjson', body);
    expect(record.status).toBe('SUCCEEDED');
    const state = (await importState(world.sql, tenant))!;
    const comparable = (rows: Record<string, unknown>[]) =>
      // the inventory link is reconciliation's, after discovery: the rows rediscovered here are not reconciled
      withoutTimes(rows).map(({ id: _, created_at: __, discovery_timestamp: ___, imported_at: ____, inventory_item_id: _____, ...rest }) => rest);
    const before = comparable(await assetsOf(state.discovery_id!));
    await world.sql`delete from assets where discovery_flow_id = ${state.discovery_id!}`;
    const input = {
      clientAccountId: tenant.clientAccountId,
      engagementId: tenant.engagementId,
      dataImportId: state.id,
      flowId: state.master_flow_id!,
      discoveryFlowId: state.discovery_id!,
    };
    const range = { fromRow: 1, toRow: 300 };
    // the first run has copied every page but not committed; the second waits on the range's lock
    let second: Promise<unknown> | undefined;
    const first = world.sql.begin(async (tx) => {
      const counts = await discoverRows(tx as unknown as Sql, input, range, { batchSize: 50 });
      second = world.sql.begin((tx2) => discoverRows(tx2 as unknown as Sql, input, range, { batchSize: 50 }));
      await new Promise((resolve) => setTimeout(resolve, 500));
      return counts;
    });
    const once = await first;
    await expect(second).resolves.toEqual(once);
    expect(once).toMatchObject({ rows: 300, assets: 300 });
    const after = await assetsOf(state.discovery_id!);
    // the second run's upsert touched every asset (COPY leaves updated_at empty)
    expect(after.every((a) => a.updated_at !== null)).toBe(true);
    expect(comparable(after)).toEqual(before);
  });

  it('a value the column could not hold is left empty and warned, never handed to the server', async () => {
    const tenant = await world.tenant();
    const { record } = await world.drop(tenant, 'huge-cpu.ndjson', `${JSON.stringify({ hostname: 'big01', cpu_cores: 3_000_000_000 })}\n`);
    expect(record.status, JSON.stringify(record.error)).toBe('SUCCEEDED');
    const state = (await importState(world.sql, tenant))!;
    expect(state.status).not.toBe('failed');
    const [asset] = await world.sql`select a.cpu_cores, r.validation_errors -> 'warnings' -> 0 ->> 'column' as column
      from assets a join raw_import_records r on r.id = a.raw_import_record_id where a.client_account_id = ${tenant.clientAccountId}`;
    expect(asset).toEqual({ cpu_cores: null, column: 'cpu_cores' });
  });
});
