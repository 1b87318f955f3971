/**
 * The consultant's correction (issue 31): the report shows each column's mapping with its evidence
 * and the header set; `flowlink mapping set` changes the next drop with that header set; a replay of
 * the finished import keeps its mapping and records the correction as not applied.
 */
import { describe, expect, it } from 'vitest';
import { orm } from '../../db/client.ts';
import { mappingSet } from '../../cli/commands/mapping.ts';
import { applyCorrections, headerSetId, parseCorrection } from '../../functions/_shared/inventory/corrections.ts';
import { planMapping } from '../../functions/_shared/inventory/field-mapper.ts';
import { planDiscoveryPhases } from '../../functions/start-discovery/discover.ts';
import { importState, useWorkflowWorld } from '../workflow/harness.ts';

const world = useWorkflowWorld();

describe('corrections: pure rules', () => {
  it('a header set is its normalised headers, whatever their order and spelling', () => {
    expect(headerSetId(['Host Name', 'RAM (MB)'])).toBe(headerSetId(['ram_mb', 'hostname']));
    expect(headerSetId(['Host Name', 'RAM'])).not.toBe(headerSetId(['Host Name', 'RAM (MB)']));
  });

  it('reads "<column>=<field>[:unit]" and refuses unknown fields and units by name', () => {
    expect(parseCorrection('Mem (x=y)=memory_gb:mb')).toEqual({ sourceField: 'Mem (x=y)', targetField: 'memory_gb', unit: 'MB' });
    expect(parseCorrection('Notes=custom_attributes.notes')).toEqual({ sourceField: 'Notes', targetField: 'custom_attributes.notes', unit: null });
    expect(() => parseCorrection('Mem=memory')).toThrow(/"memory" is not a field; use one of name, hostname/);
    expect(() => parseCorrection('Mem=memory_gb:PB')).toThrow(/unit "PB" is not one of/);
    expect(() => parseCorrection('Host=hostname:GB')).toThrow(/only applies to a size field/);
  });

  it('replaces the computed decision and says what it was', () => {
    const plan = applyCorrections(planMapping(['Server', 'Mem']), [parseCorrection('Mem=memory_gb:MB')], 'abc');
    expect(plan.mappings.find((m) => m.sourceField === 'Mem')).toMatchObject({ target: 'memory_gb', unit: 'MB', matchType: 'manual', confidence: 1 });
    expect(plan.mappings.find((m) => m.sourceField === 'Mem')!.rule).toMatch(/corrected by a consultant for header set abc \(unit MB\); was memory_gb/);
  });
});

describe('corrections through the workflow', () => {
  const body = (n: number) => `Server,Speicher,Platz\nsrv-${n}a,4096,100\nsrv-${n}b,8192,200\n`;

  async function run(tenant: Awaited<ReturnType<typeof world.tenant>>, name: string, text: string) {
    const { record, started } = await world.drop(tenant, name, text);
    expect(record.status, JSON.stringify(record.error)).toBe('SUCCEEDED');
    const state = (await importState(world.sql, tenant))!;
    const assets = await world.sql<{ memory_gb: string | null; storage_gb: string | null }[]>`
      select a.memory_gb, a.storage_gb from assets a join raw_import_records r on r.id = a.raw_import_record_id
      join data_imports d on d.id = r.data_import_id where d.filename = ${name} and a.client_account_id = ${tenant.clientAccountId} order by r.row_number`;
    return { record, started, state, assets: assets.map((a) => [a.memory_gb === null ? null : Number(a.memory_gb), a.storage_gb === null ? null : Number(a.storage_gb)]) };
  }

  it('applies to the next drop with the same header set, and a replay of the first keeps its mapping', async () => {
    const tenant = await world.tenant();
    const first = await run(tenant, 'inv-1.csv', body(1));
    // Speicher (German "memory", MB by its magnitude) is read; Platz ("space") is nothing the mapper knows
    expect(first.assets).toEqual([
      [4, null],
      [8, null],
    ]);
    const setId = headerSetId(['Server', 'Speicher', 'Platz']);
    const lines: string[] = [];
    await mappingSet(world.sql, { engagement: tenant.engagementId, headerSet: setId, by: 'test' }, ['Platz=storage_gb:TB', 'Speicher=memory_gb:GB'], (l) => lines.push(l));
    expect(lines[0]).toBe(`header set ${setId}: Platz → storage_gb [TB]`);

    const second = await run(tenant, 'inv-2.csv', body(2));
    expect(second.assets).toEqual([
      [4096, 102400],
      [8192, 204800],
    ]);
    const [mapping] = await world.sql<{ match_type: string; transformation_rules: { rule: string; unit: string } }[]>`
      select match_type, transformation_rules from import_field_mappings f join data_imports d on d.id = f.data_import_id
      where d.filename = 'inv-2.csv' and f.source_field = 'Platz'`;
    expect(mapping).toMatchObject({ match_type: 'manual', transformation_rules: { unit: 'TB', rule: expect.stringMatching(/corrected by a consultant/) } });

    // the first import, replayed: the same values, the correction recorded as not applied
    const replay = await world.workflow().replay(first.record.name);
    expect(replay.status).toBe('SUCCEEDED');
    const again = await world.sql<{ memory_gb: string; storage_gb: string }[]>`
      select a.memory_gb, a.storage_gb from assets a join raw_import_records r on r.id = a.raw_import_record_id
      join data_imports d on d.id = r.data_import_id where d.filename = 'inv-1.csv' and a.client_account_id = ${tenant.clientAccountId} order by r.row_number`;
    expect(again.map((a) => [Number(a.memory_gb), a.storage_gb])).toEqual([
      [4, null],
      [8, null],
    ]);
    // planning run again on the finished import (as a redrive would): its corrections, and the new one said not applied
    const [ids] = await world.sql<{ id: string; master_flow_id: string; discovery_id: string }[]>`
      select d.id, d.master_flow_id, f.id as discovery_id from data_imports d join discovery_flows f on f.data_import_id = d.id
      where d.filename = 'inv-1.csv' and d.client_account_id = ${tenant.clientAccountId}`;
    const input = { ...tenant, dataImportId: ids!.id, flowId: ids!.master_flow_id, discoveryFlowId: ids!.discovery_id };
    const planned = await world.sql.begin((tx) => planDiscoveryPhases(orm(tx), input));
    expect(planned.plan.mappings.find((m) => m.sourceField === 'Platz')!.matchType).toBe('unmapped');
    const [flow] = await world.sql<{ corrections: { header_set_id: string; applied: unknown[]; not_applied: unknown[] } }[]>`
      select crew_outputs -> 'field_mapping' -> 'corrections' as corrections from discovery_flows where id = ${ids!.discovery_id}`;
    expect(flow!.corrections).toMatchObject({ header_set_id: setId, applied: [], not_applied: [{ sourceField: 'Platz' }, { sourceField: 'Speicher' }] });
  });

  it("never applies another engagement's correction", async () => {
    const a = await world.tenant();
    const b = await world.tenant();
    await mappingSet(world.sql, { engagement: a.engagementId, headerSet: headerSetId(['Server', 'Speicher', 'Platz']) }, ['Platz=storage_gb:TB'], () => {});
    const other = await run(b, 'inv-b.csv', body(3));
    expect(other.assets).toEqual([
      [4, null],
      [8, null],
    ]);
  });
});

describe('corrections dropped as a file (the AWS way)', () => {
  it('sets the corrections a mappings/<client>/<engagement>/<header set>.json names, after the tenant check', async () => {
    const { applyMappingFile } = await import('../../functions/trigger/mapping-file.ts');
    const { correctionsFor } = await import('../../db/queries/mapping-corrections.ts');
    const tenant = await world.tenant();
    const setId = headerSetId(['Server', 'Speicher', 'Platz']);
    const key = `mappings/${tenant.clientAccountId}/${tenant.engagementId}/${setId}.json`;
    await applyMappingFile(world.sql, key, JSON.stringify({ corrections: ['Platz=storage_gb:GB'] }));
    expect(await correctionsFor(orm(world.sql), tenant, setId)).toEqual([{ sourceField: 'Platz', targetField: 'storage_gb', unit: 'GB' }]);
    await expect(applyMappingFile(world.sql, key, '{"corrections": ["Platz=disk"]}')).rejects.toThrow(/"disk" is not a field/);
    await expect(applyMappingFile(world.sql, `mappings/${tenant.clientAccountId}/${tenant.engagementId}/x.json`, '{}')).rejects.toThrow(/expected mappings\//);
    const other = await world.tenant();
    await expect(applyMappingFile(world.sql, `mappings/${tenant.clientAccountId}/${other.engagementId}/${setId}.json`, '{"corrections": ["Platz=storage_gb"]}')).rejects.toThrow(
      /belongs to another client/,
    );
  });
});
