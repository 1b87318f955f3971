import { describe, expect, it } from 'vitest';
import { runIntegrityCheck, type IntegrityReport } from '../../db/integrity/index.ts';
import { useTestDatabase } from '../support/db.ts';
import { createFlowTree, createMasterFlow, createTenant } from '../support/fixtures.ts';

const database = useTestDatabase();

const failingSchemaChecks = (report: IntegrityReport) => Object.fromEntries(report.checks.filter((c) => c.kind === 'schema' && c.count > 0).map((c) => [c.id, c.sampleIds]));

// The steps build on each other (one database per file): each asserts every failing schema check so far.
describe('integrity schema checks', () => {
  const failing: Record<string, string[]> = {};
  const check = () => runIntegrityCheck(database.current.sql, { store: false });

  it('pass on a freshly migrated database, one check of each kind per table', async () => {
    const { sql } = database.current;
    const tenant = await createTenant(sql);
    await createFlowTree(sql, tenant, await createMasterFlow(sql, tenant));
    const report = await check();
    expect(failingSchemaChecks(report)).toEqual({});
    expect(report.ok).toBe(true);
    expect(report.healthScore).toBe(100);
    const ids = report.checks.filter((c) => c.kind === 'schema').map((c) => c.id);
    for (const kind of ['fk_missing', 'fk_wrong_target', 'fk_not_validated', 'fk_not_cascading', 'index_missing']) {
      expect(ids.filter((id) => id.startsWith(`${kind}.`))).toHaveLength(9);
    }
    expect(ids).toContain('legacy_tables.public');
  });

  it('report a missing index on master_flow_id, whatever index name serves it', async () => {
    const { sql } = database.current;
    await sql`drop index assets_master_flow_id_idx`;
    // discovery_flows keeps its unique key on master_flow_id: still indexed
    await sql`drop index discovery_flows_master_flow_id_idx`;
    failing['index_missing.assets'] = ['assets'];
    const report = await check();
    expect(failingSchemaChecks(report)).toEqual(failing);
    expect(report.ok).toBe(false);
    expect(report.healthScore).toBe(98);
  });

  it('report a dropped foreign key as critical, and never score 100 with it', async () => {
    const { sql } = database.current;
    await sql`alter table import_field_mappings drop constraint import_field_mappings_master_flow_id_fkey`;
    failing['fk_missing.import_field_mappings'] = ['import_field_mappings'];
    const report = await check();
    expect(failingSchemaChecks(report)).toEqual(failing);
    expect(report.checks.find((c) => c.id === 'fk_missing.import_field_mappings')!.severity).toBe('critical');
    expect(report.healthScore).toBeLessThanOrEqual(99);
  });

  it('report a NOT VALID foreign key, one that does not cascade, and one to the wrong target', async () => {
    const { sql } = database.current;
    await sql.begin(async (tx) => {
      await tx`alter table wave_plans drop constraint wave_plans_master_flow_id_fkey`;
      await tx`alter table wave_plans add constraint wave_plans_master_flow_id_fkey
        foreign key (master_flow_id) references crewai_flow_state_extensions (flow_id) on delete cascade not valid`;
      await tx`alter table sixr_analyses drop constraint sixr_analyses_master_flow_id_fkey`;
      await tx`alter table sixr_analyses add constraint sixr_analyses_master_flow_id_fkey
        foreign key (master_flow_id) references crewai_flow_state_extensions (flow_id) on delete restrict`;
      // the legacy platform's defect: a key to another column than flow_id
      await tx`alter table assessments drop constraint assessments_master_flow_id_fkey`;
      await tx`alter table assessments add constraint assessments_master_flow_id_fkey
        foreign key (master_flow_id) references discovery_flows (id) not valid`;
    });
    failing['fk_not_validated.wave_plans'] = ['wave_plans_master_flow_id_fkey'];
    failing['fk_not_cascading.sixr_analyses'] = ['sixr_analyses_master_flow_id_fkey ON DELETE RESTRICT'];
    failing['fk_wrong_target.assessments'] = ['assessments_master_flow_id_fkey → discovery_flows(id)'];
    expect(failingSchemaChecks(await check())).toEqual(failing);
  });

  it('report legacy tables left in public, not those archived in another schema', async () => {
    const { sql } = database.current;
    await sql`create table alembic_version (version_num text primary key)`;
    await sql`create table v3_data_imports (id uuid primary key)`;
    await sql`create table v3xdata (id uuid primary key)`; // not v3_*: the underscore is literal
    await sql`create schema legacy_archive`;
    await sql`create table legacy_archive.workflow_states (id uuid primary key)`;
    failing['legacy_tables.public'] = ['alembic_version', 'v3_data_imports'];
    expect(failingSchemaChecks(await check())).toEqual(failing);
  });

  it('check every table with a master_flow_id found in the catalog, and report an expected table that is gone', async () => {
    const { sql } = database.current;
    await sql`create table custom_children (id uuid primary key default gen_random_uuid(), master_flow_id uuid, client_account_id uuid)`;
    await sql`insert into custom_children (master_flow_id) values (null), ('00000000-0000-4000-8000-000000000001')`;
    await sql`drop table wave_plans`;
    failing['fk_missing.custom_children'] = ['custom_children'];
    failing['index_missing.custom_children'] = ['custom_children'];
    failing['missing_table.wave_plans'] = ['wave_plans'];
    delete failing['fk_not_validated.wave_plans'];
    const report = await check();
    expect(failingSchemaChecks(report)).toEqual(failing);
    expect(Object.keys(report.tables)).toContain('custom_children');
    expect(Object.keys(report.tables)).not.toContain('wave_plans');
    expect(report.tables.custom_children).toEqual({ rows: 2, nullMasterFlowId: 1, danglingMasterFlowId: 1, inconsistent: 0, crossTenant: 0 });
  });

  it('can leave the schema checks out (a scoped workflow step may)', async () => {
    const report = await runIntegrityCheck(database.current.sql, { schema: false });
    expect(report.checks.filter((c) => c.kind === 'schema')).toEqual([]);
  });
});
