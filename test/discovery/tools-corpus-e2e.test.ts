/**
 * The tools corpus through the whole workflow (StoreImport, PlanDiscovery's SQL decisions, the
 * chunks): every file imports and gives the values tools-expected.ts lists, and the field mappings
 * record the profile, the evidence and the unit decided.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { importState, useWorkflowWorld } from '../workflow/harness.ts';
import { TOOLS, type ToolAsset } from './tools-expected.ts';

const world = useWorkflowWorld();
const DIR = join(import.meta.dirname, '../fixtures/inventory/tools');
const FIELDS: Array<keyof ToolAsset> = ['name', 'hostname', 'ip_address', 'operating_system', 'os_version', 'cpu_cores', 'memory_gb', 'storage_gb', 'asset_type', 'environment'];

describe('tools corpus through the workflow', () => {
  it.each(TOOLS.map((t) => [t.file, t] as const))('%s', async (file, tool) => {
    const tenant = await world.tenant();
    const { record } = await world.drop(tenant, file, readFileSync(join(DIR, file)));
    expect(record.status, JSON.stringify(record.error)).toBe('SUCCEEDED');
    const state = (await importState(world.sql, tenant))!;
    const assets = await world.sql<Record<string, unknown>[]>`
      select a.* from assets a join raw_import_records r on r.id = a.raw_import_record_id
      where a.discovery_flow_id = ${state.discovery_id!} order by r.row_number`;
    const got = assets.map((a) =>
      Object.fromEntries(
        FIELDS.map((f) => [f, a[f] === null || a[f] === undefined ? null : typeof tool.rows[0]![f] === 'number' || ['cpu_cores', 'memory_gb', 'storage_gb'].includes(f) ? Number(a[f]) : a[f]]),
      ),
    );
    expect(got).toEqual(tool.rows.map((r) => Object.fromEntries(FIELDS.map((f) => [f, r[f]]))));
  });

  it("records the size unit a column's magnitude decided, with its evidence, and reads the column in that one unit (F5)", async () => {
    const tenant = await world.tenant();
    const body = 'Hostname,Memory,Disk\nweb01,512,51200\nweb02,768,102400\nweb03,2048,40\nweb04,16 GB,120 GB\nweb05,1536,2048\n';
    const { record } = await world.drop(tenant, 'mixed-units.csv', body);
    expect(record.status).toBe('SUCCEEDED');
    const state = (await importState(world.sql, tenant))!;
    const assets = await world.sql<{ memory_gb: string; storage_gb: string }[]>`
      select a.memory_gb, a.storage_gb from assets a join raw_import_records r on r.id = a.raw_import_record_id
      where a.discovery_flow_id = ${state.discovery_id!} order by r.row_number`;
    expect(assets.map((a) => Number(a.memory_gb))).toEqual([0.5, 0.75, 2, 16, 1.5]);
    expect(assets.map((a) => Number(a.storage_gb))).toEqual([50, 100, 0.039, 120, 2]);
    const [flow] = await world.sql<{ units: Record<string, unknown> }[]>`
      select crew_outputs -> 'field_mapping' -> 'size_units' as units from discovery_flows where id = ${state.discovery_id!}`;
    expect(flow!.units).toMatchObject({
      Memory: { unit: 'MB', decidedBy: 'magnitude', evidence: { cells: 4, median: 1152, max: 2048 } },
      Disk: { unit: 'MB', decidedBy: 'magnitude', evidence: { cells: 4 } },
    });
  });

  it('decides the decimal mark of a French column grouped by no-break spaces (F10)', async () => {
    const tenant = await world.tenant();
    const body = 'Hostname,IP Address,Disk (GB)\nfr1,10.0.0.1,"1\u00a0234,5"\nfr2,10.0.0.2,"2,048"\nfr3,10.0.0.3,"3\u202f072,25"\n';
    const { record } = await world.drop(tenant, 'nbsp.csv', body);
    expect(record.status).toBe('SUCCEEDED');
    const state = (await importState(world.sql, tenant))!;
    const assets = await world.sql<{ storage_gb: string }[]>`
      select a.storage_gb from assets a join raw_import_records r on r.id = a.raw_import_record_id
      where a.discovery_flow_id = ${state.discovery_id!} order by r.row_number`;
    expect(assets.map((a) => Number(a.storage_gb))).toEqual([1234.5, 2.048, 3072.25]);
  });
});
