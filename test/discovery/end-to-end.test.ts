import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Sql } from '../../db/client.ts';
import { runDiscovery } from '../support/whole-import.ts';
import type { Tenant } from '../support/fixtures.ts';
import { importState, tenantSnapshot, useWorkflowWorld } from '../workflow/harness.ts';
import { EXPECTED, type ExpectedFile } from './expected.ts';

const FIXTURES = join(import.meta.dirname, '..', 'fixtures', 'inventory');
const world = useWorkflowWorld();

async function dropSample(expected: ExpectedFile) {
  const tenant = await world.tenant();
  const { record } = await world.drop(tenant, expected.file, readFileSync(join(FIXTURES, expected.file)));
  expect(record.status, JSON.stringify(record.error)).toBe('SUCCEEDED');
  const state = (await importState(world.sql, tenant))!;
  return { tenant, state, record };
}

const assetsOf = (sql: Sql, discoveryFlowId: string) => sql<Record<string, unknown>[]>`
  select a.*, r.row_number from assets a join raw_import_records r on r.id = a.raw_import_record_id
  where a.discovery_flow_id = ${discoveryFlowId} order by r.row_number`;

describe('discovery, end to end on the local workflow, per sample format', () => {
  for (const expected of EXPECTED) {
    it(`${expected.file}: recognised as ${expected.sourceSystem}, mapped, normalised into linked assets`, async () => {
      const { tenant, state, record } = await dropSample(expected);
      const [imp] = await world.sql<{ source_system: string; source_sheet: string | null; total_records: number }[]>`
        select source_system, source_sheet, total_records from data_imports where id = ${state.id}`;
      expect(imp!.source_system).toBe(expected.sourceSystem);
      if (expected.file.endsWith('.xlsx')) expect(imp!.source_sheet).toBe('vInfo');

      // one asset per raw record that describes one, under the master flow, the discovery flow and its raw record
      const assets = await assetsOf(world.sql, state.discovery_id!);
      expect(assets).toHaveLength(expected.assets);
      expect(imp!.total_records).toBe(expected.assets + expected.skipped);
      for (const a of assets) {
        expect(a).toMatchObject({ master_flow_id: state.master_flow_id, client_account_id: tenant.clientAccountId, engagement_id: tenant.engagementId });
        expect(a.asset_type_reason).toEqual(expect.any(String));
        expect(a.discovery_source).toBe(expected.sourceSystem);
      }
      for (const want of expected.rows) {
        const got = assets.find((a) => a.name === want.name);
        expect(got, want.name).toBeDefined();
        expect(Object.fromEntries(Object.keys(want).map((k) => [k, got![k]])), want.name).toEqual(want);
      }

      // every column has its mapping under the master flow; none dropped
      const mappings = await world.sql<{ source_field: string; target_field: string; match_type: string; confidence: number; master_flow_id: string }[]>`
        select source_field, target_field, match_type::text, confidence, master_flow_id from import_field_mappings where data_import_id = ${state.id}`;
      const [{ columns }] = await world.sql<{ columns: number }[]>`
        select jsonb_array_length(import_config -> 'headers') as columns from data_imports where id = ${state.id}`;
      expect(mappings).toHaveLength(columns);
      expect(new Set(mappings.map((m) => m.master_flow_id))).toEqual(new Set([state.master_flow_id]));
      for (const [source, want] of Object.entries(expected.mappings)) {
        const m = mappings.find((x) => x.source_field === source);
        expect({ target: m?.target_field, matchType: m?.match_type }, source).toEqual({ target: want.target, matchType: want.matchType });
        if (want.confidence !== undefined) expect(m!.confidence, source).toBe(want.confidence);
      }
      // unmapped columns live on as custom attributes of every asset
      for (const m of mappings.filter((x) => x.match_type === 'unmapped')) {
        const key = m.target_field.slice('custom_attributes.'.length);
        for (const a of assets) expect(a.custom_attributes as object, `${m.source_field} on ${a.name}`).toHaveProperty([key]);
      }

      // the phases are recorded on the discovery flow, and the summary travels in the state
      const [flow] = await world.sql<Record<string, unknown>[]>`select * from discovery_flows where id = ${state.discovery_id}`;
      expect(flow).toMatchObject({
        data_validation_completed: true,
        field_mapping_completed: true,
        data_cleansing_completed: true,
        asset_inventory_completed: true,
        phases_completed: ['data_validation', 'field_mapping', 'data_cleansing', 'asset_inventory'],
      });
      const outputs = flow!.crew_outputs as Record<string, Record<string, unknown>>;
      expect(outputs.field_mapping).toMatchObject({ source_system: expected.sourceSystem });
      expect(outputs.asset_inventory).toMatchObject({ assets: expected.assets, duplicate_hostnames: expected.duplicateHostnames });
      const skipped = outputs.data_cleansing!.skipped as { templates: number; no_identity: number };
      expect(skipped.templates + skipped.no_identity).toBe(expected.skipped);
      expect(record.output).toMatchObject({ discovery: { assets: expected.assets } });
      // skipped rows say why, on the raw record
      const notes = await world.sql<{ processing_notes: string }[]>`
        select processing_notes from raw_import_records where data_import_id = ${state.id} and is_valid = false`;
      expect(notes).toHaveLength(expected.skipped);
      for (const n of notes) expect(n.processing_notes).toMatch(/^skipped: /);
    });
  }
});

describe('re-running discovery', () => {
  it('leaves the same assets and mappings, not twice as many', async () => {
    const { tenant, state } = await dropSample(EXPECTED.find((e) => e.file === 'generic-cmdb.csv')!);
    const before = await tenantSnapshot(world.sql, tenant);
    const input = rerunInput(tenant, state);
    const again = await world.sql.begin((tx) => runDiscovery(tx as unknown as Sql, input, { batchSize: 3 }));
    const after = await tenantSnapshot(world.sql, tenant);
    expect(again.assets).toBe(7);
    expect(after.assets).toEqual(before.assets);
    expect(after.import_field_mappings).toEqual(before.import_field_mappings);
    expect(after.raw_import_records).toEqual(before.raw_import_records);
    expect(again.duplicateHostnames).toMatchObject({ count: 1, examples: [{ count: 2, rowNumbers: [1, 8] }] });
  });

  it('keeps a mapping a user defined', async () => {
    const { tenant, state } = await dropSample(EXPECTED.find((e) => e.file === 'azure-migrate.csv')!);
    await world.sql`
      update import_field_mappings set target_field = 'custom_attributes.boot', is_user_defined = true, match_type = 'manual'
      where data_import_id = ${state.id} and source_field = 'Boot type'`;
    await world.sql.begin((tx) => runDiscovery(tx as unknown as Sql, rerunInput(tenant, state)));
    const [m] = await world.sql<{ target_field: string; match_type: string }[]>`
      select target_field, match_type::text from import_field_mappings where data_import_id = ${state.id} and source_field = 'Boot type'`;
    expect(m).toEqual({ target_field: 'custom_attributes.boot', match_type: 'manual' });
    const [asset] = await world.sql<{ custom_attributes: Record<string, unknown> }[]>`
      select custom_attributes from assets where discovery_flow_id = ${state.discovery_id} and name = 'fin-app-01'`;
    expect(asset!.custom_attributes).toMatchObject({ boot: 'BIOS' });
    expect(asset!.custom_attributes).not.toHaveProperty('boot_type');
  });
});

function rerunInput(tenant: Tenant, state: NonNullable<Awaited<ReturnType<typeof importState>>>) {
  return {
    clientAccountId: tenant.clientAccountId,
    engagementId: tenant.engagementId,
    dataImportId: state.id,
    flowId: state.master_flow_id!,
    discoveryFlowId: state.discovery_id!,
  };
}
