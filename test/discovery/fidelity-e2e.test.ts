/**
 * Input fidelity through the whole workflow (issue 14): headers are the union over the whole file,
 * JSON values reach the assets whole, an ambiguous number takes its column's or file's decimal mark.
 */
import { describe, expect, it } from 'vitest';
import { importState, useWorkflowWorld } from '../workflow/harness.ts';

const world = useWorkflowWorld();

async function drop(name: string, body: string) {
  const tenant = await world.tenant();
  const { record } = await world.drop(tenant, name, body);
  expect(record.status, JSON.stringify(record.error)).toBe('SUCCEEDED');
  const state = (await importState(world.sql, tenant))!;
  const assets = await world.sql<Record<string, unknown>[]>`
    select a.*, r.row_number from assets a join raw_import_records r on r.id = a.raw_import_record_id
    where a.discovery_flow_id = ${state.discovery_id!} order by r.row_number`;
  const mappings = await world.sql<{ source_field: string; target_field: string }[]>`
    select source_field, target_field from import_field_mappings where data_import_id = ${state.id}`;
  const [flow] = await world.sql<{ crew_outputs: Record<string, Record<string, unknown>> }[]>`
    select crew_outputs from discovery_flows where id = ${state.discovery_id!}`;
  return { assets, mappings, crew: flow!.crew_outputs };
}

describe('discovery reads what StoreImport read', () => {
  it('maps a JSON key that first appears after row 1000 (item 5)', async () => {
    const lines = Array.from({ length: 1001 }, (_, i) => JSON.stringify(i < 1000 ? { hostname: `h${i}` } : { hostname: `h${i}`, ip_address: '10.9.8.7' }));
    const { assets, mappings } = await drop('late.ndjson', `${lines.join('\n')}\n`);
    expect(mappings.find((m) => m.source_field === 'ip_address')?.target_field).toBe('ip_address');
    expect(assets[1000]).toMatchObject({ row_number: 1001, ip_address: '10.9.8.7' });
  });

  it('keeps nested JSON values and long numbers whole in custom attributes (item 4)', async () => {
    const body = JSON.stringify([{ hostname: 'web01', tags: ['a', 'b'], meta: { rack: 'R1' } }]).replace('}]', ',"serial":12345678901234567890}]');
    const { assets } = await drop('nested.json', body);
    expect(assets[0]!.custom_attributes).toEqual({ tags: ['a', 'b'], meta: { rack: 'R1' } });
    // a serial number is an identifier the inventory matches on: its own column, the long number whole
    expect(assets[0]!.serial_number).toBe('12345678901234567890');
  });

  it('reads an ambiguous 1,250 by the decimal comma the rest of the file proves, and records the decision (item 7)', async () => {
    const { assets, crew } = await drop('de.csv', 'Host Name;RAM (GB);Disk (TB)\nweb01;0,5;1,250\nweb02;16;2\n');
    expect(assets.map((a) => [a.memory_gb, a.storage_gb])).toEqual([
      [0.5, 1280],
      [16, 2048],
    ]);
    expect(crew.field_mapping!.decimal_marks).toMatchObject({
      'RAM (GB)': { mark: ',', decidedBy: 'column' },
      'Disk (TB)': { mark: ',', decidedBy: 'file' },
    });
    const en = await drop('en.csv', 'Host Name,RAM (MB),Disk (GB)\nweb01,"16,384",1.5\nweb02,"8,192",2\n');
    expect(en.assets.map((a) => [a.memory_gb, a.storage_gb])).toEqual([
      [16, 1.5],
      [8, 2],
    ]);
    expect(en.crew.field_mapping!.decimal_marks).toMatchObject({ 'RAM (MB)': { mark: '.', decidedBy: 'file' } });
  });
});
