import { beforeAll, describe, expect, it } from 'vitest';
import { jsonb, type Sql } from '../../db/client.ts';
import { runIntegrityCheck, type IntegrityReport } from '../../db/integrity/index.ts';
import { useTestDatabase } from '../support/db.ts';
import { createFlowTree, createMasterFlow, createTenant, type Tenant } from '../support/fixtures.ts';

const database = useTestDatabase();
const CHILD_TABLES = ['data_imports', 'raw_import_records', 'discovery_flows', 'import_field_mappings', 'assets', 'assessments', 'sixr_analyses', 'migration_waves', 'wave_plans'] as const;
const MASTER = 'crewai_flow_state_extensions';
/** The keys that tie a child to its parent's master flow and tenant (migration 0002). */
const LINK_FKS = [
  ['raw_import_records', 'raw_import_records_data_import_link_fkey'],
  ['import_field_mappings', 'import_field_mappings_data_import_link_fkey'],
  ['assets', 'assets_discovery_flow_link_fkey'],
  ['sixr_analyses', 'sixr_analyses_assessment_link_fkey'],
  ['wave_plans', 'wave_plans_migration_wave_link_fkey'],
] as const;
const GHOST = '00000000-0000-4000-8000-00000000dead';

type Expected = Record<string, string[]>;

/** Asserts every data check of the report: exactly the expected rows, and nothing anywhere else. */
function expectExactly(report: IntegrityReport, expected: Expected) {
  const found = Object.fromEntries(report.checks.filter((c) => c.kind === 'data' && c.count > 0).map((c) => [c.id, c.sampleIds]));
  expect(found).toEqual(Object.fromEntries(Object.entries(expected).map(([id, ids]) => [id, [...ids].sort()])));
  for (const c of report.checks) expect(c.count, c.id).toBe(c.sampleIds.length);
}

async function insert(sql: Sql, table: string, row: Record<string, unknown>): Promise<string> {
  const [r] = await sql<{ id: string }[]>`insert into ${sql(table)} ${sql(row)} returning id`;
  return r!.id;
}

describe('integrity data checks', () => {
  let A: Tenant, B: Tenant;
  let fA1: string, fA2: string, fA4: string, fB: string, fUnknown: string, fStuck: string;
  let tA1: Awaited<ReturnType<typeof createFlowTree>>;
  const bad: Expected = {};
  const own = (t: Tenant) => ({ client_account_id: t.clientAccountId, engagement_id: t.engagementId });

  beforeAll(async () => {
    const { sql } = database.current;
    A = await createTenant(sql);
    B = await createTenant(sql);
    [fA1, fA2, fA4, fB] = [await createMasterFlow(sql, A), await createMasterFlow(sql, A), await createMasterFlow(sql, A), await createMasterFlow(sql, B)];
    tA1 = await createFlowTree(sql, A, fA1);
    await createFlowTree(sql, A, fA2);
    await createFlowTree(sql, B, fB);

    // Make every violation possible, as on an adopted database whose constraints are missing.
    await sql`alter table data_imports drop constraint data_imports_master_flow_required`;
    await sql`alter table data_imports disable trigger data_imports_records_linked`;
    for (const t of CHILD_TABLES) {
      await sql`alter table ${sql(t)} drop constraint ${sql(`${t}_master_flow_id_fkey`)}`;
      await sql`alter table ${sql(t)} alter column master_flow_id drop not null`;
    }
    for (const [t, fk] of LINK_FKS) await sql`alter table ${sql(t)} drop constraint ${sql(fk)}`;
    await sql`alter table ${sql(MASTER)} alter column flow_type type text`;

    const imp = tA1.data_imports;
    const raw = (master: string | null, row: number, tenant = A) =>
      insert(sql, 'raw_import_records', { ...own(tenant), data_import_id: imp, master_flow_id: master, row_number: row, raw_data: jsonb({ row }) });
    const importRow = (master: string | null, status: string, tenant = A) => insert(sql, 'data_imports', { ...own(tenant), master_flow_id: master, import_name: 'x', filename: 'x.csv', status });
    const children = (master: string | null, tenant = A, extra: { wave?: number } = {}) => ({
      discovery_flows: () => insert(sql, 'discovery_flows', { ...own(tenant), master_flow_id: master, data_import_id: imp, flow_name: 'df' }),
      import_field_mappings: (field: string) =>
        insert(sql, 'import_field_mappings', {
          ...own(tenant),
          master_flow_id: master,
          data_import_id: imp,
          source_field: field,
          target_field: 'hostname',
          match_type: 'exact',
          confidence: 1,
        }),
      assets: () => insert(sql, 'assets', { ...own(tenant), master_flow_id: master, discovery_flow_id: tA1.discovery_flows, name: 'a' }),
      assessments: () => insert(sql, 'assessments', { ...own(tenant), master_flow_id: master, name: 'a' }),
      sixr_analyses: () => insert(sql, 'sixr_analyses', { ...own(tenant), master_flow_id: master, assessment_id: tA1.assessments, strategy: 'retain' }),
      migration_waves: () => insert(sql, 'migration_waves', { ...own(tenant), master_flow_id: master, wave_number: extra.wave ?? 9, name: 'w' }),
      wave_plans: () => insert(sql, 'wave_plans', { ...own(tenant), master_flow_id: master, migration_wave_id: tA1.migration_waves }),
    });

    // missing links: a completed import without a flow, a raw record of a linked import, every other table
    const missing = children(null);
    bad['missing_link.data_imports'] = [await importRow(null, 'completed')];
    bad['missing_link.raw_import_records'] = [await raw(null, 2)];
    bad['missing_link.discovery_flows'] = [await missing.discovery_flows()];
    bad['missing_link.import_field_mappings'] = [await missing.import_field_mappings('m1')];
    bad['missing_link.assets'] = [await missing.assets()];
    bad['missing_link.assessments'] = [await missing.assessments()];
    bad['missing_link.sixr_analyses'] = [await missing.sixr_analyses()];
    bad['missing_link.migration_waves'] = [await missing.migration_waves()];
    bad['missing_link.wave_plans'] = [await missing.wave_plans()];

    // allowed: an import of an S3 object just stored, and its raw records (info only)
    const stored = await insert(sql, 'data_imports', { ...own(A), import_name: 'x', filename: 'x.csv', status: 'stored', s3_bucket: 'b', s3_key: 'imports/x.csv', s3_etag: 'e1' });
    const storedRaw = await Promise.all(
      [1, 2].map((n) =>
        insert(sql, 'raw_import_records', {
          ...own(A),
          data_import_id: stored,
          master_flow_id: null,
          row_number: n,
          raw_data: jsonb({ n }),
        }),
      ),
    );
    bad['unlinked_pending.data_imports'] = [stored];
    bad['unlinked_pending.raw_import_records'] = storedRaw;
    // no pipeline will link these any more: stored past the stale window, or with no S3 object
    // (adopted from the legacy database): warnings naming their ids
    const stale = await insert(sql, 'data_imports', {
      ...own(A),
      import_name: 'x',
      filename: 'old.csv',
      status: 'stored',
      s3_bucket: 'b',
      s3_key: 'imports/old.csv',
      s3_etag: 'e2',
      created_at: new Date(Date.now() - 3 * 3600_000).toISOString(),
    });
    const adopted = await importRow(null, 'pending');
    const staleRaw = await insert(sql, 'raw_import_records', { ...own(A), data_import_id: stale, master_flow_id: null, row_number: 1, raw_data: jsonb({ n: 1 }) });
    bad['unlinked_stale.data_imports'] = [stale, adopted];
    bad['unlinked_stale.raw_import_records'] = [staleRaw];

    // dangling: a flow_id that exists nowhere
    const ghost = children(GHOST);
    bad['dangling_link.data_imports'] = [await importRow(GHOST, 'completed')];
    bad['dangling_link.raw_import_records'] = [await raw(GHOST, 3), await raw(GHOST, 4)];
    bad['dangling_link.discovery_flows'] = [await ghost.discovery_flows()];
    bad['dangling_link.import_field_mappings'] = [await ghost.import_field_mappings('g1')];
    bad['dangling_link.assets'] = [await ghost.assets()];
    bad['dangling_link.assessments'] = [await ghost.assessments()];
    bad['dangling_link.sixr_analyses'] = [await ghost.sixr_analyses()];
    bad['dangling_link.migration_waves'] = [await ghost.migration_waves()];
    bad['dangling_link.wave_plans'] = [await ghost.wave_plans()];

    // inconsistent: children of fA1's import/discovery flow/assessment/wave linked to another flow
    const other = children(fA2);
    bad['inconsistent_link.raw_import_records'] = [await raw(fA2, 5)];
    bad['inconsistent_link.import_field_mappings'] = [await other.import_field_mappings('i1')];
    bad['inconsistent_link.discovery_flows'] = [await children(fA4).discovery_flows()];
    bad['inconsistent_link.assets'] = [await other.assets()];
    bad['inconsistent_link.sixr_analyses'] = [await other.sixr_analyses()];
    bad['inconsistent_link.wave_plans'] = [await other.wave_plans()];

    // cross-tenant: tenant B's rows under tenant A's flow, and an asset with A's client and B's engagement
    const foreign = children(fA1, B, { wave: 2 });
    bad['cross_tenant.data_imports'] = [await importRow(fA1, 'completed', B)];
    bad['cross_tenant.raw_import_records'] = [await raw(fA1, 6, B)];
    bad['cross_tenant.assessments'] = [await foreign.assessments()];
    bad['cross_tenant.migration_waves'] = [await foreign.migration_waves()];
    bad['cross_tenant.assets'] = [
      await insert(sql, 'assets', {
        client_account_id: A.clientAccountId,
        engagement_id: B.engagementId,
        master_flow_id: fA1,
        discovery_flow_id: tA1.discovery_flows,
        name: 'mixed',
      }),
    ];

    // master flows: a type the product does not know, one stuck running, one running but recently updated
    // a literal, not a parameter: a connection that prepared this insert before flow_type became text still binds it as the enum
    [{ flow_id: fUnknown }] = await sql.unsafe<{ flow_id: string }[]>(
      `insert into ${MASTER} (client_account_id, engagement_id, flow_type, flow_name) values ($1, $2, 'legacy_wizard', 'test flow') returning flow_id`,
      [A.clientAccountId, A.engagementId],
    );
    fStuck = await createMasterFlow(sql, A);
    await sql`update ${sql(MASTER)} set flow_status = 'running', updated_at = now() - interval '3 hours' where flow_id = ${fStuck}`;
    await sql`update ${sql(MASTER)} set flow_status = 'running', updated_at = now() - interval '10 minutes' where flow_id = ${fA4}`;
    bad[`unknown_flow_type.${MASTER}`] = [fUnknown];
    bad[`stuck_running.${MASTER}`] = [fStuck];
  });

  it('finds exactly the violating rows of every check, and counts them per table', async () => {
    const report = await runIntegrityCheck(database.current.sql, { schema: false });
    expectExactly(report, bad);
    expect(report.ok).toBe(false);
    expect(report.healthScore).toBeLessThan(100);
    expect(report.tables.raw_import_records).toEqual({
      rows: 1 + 1 + 1 + 2 + 1 + 2 + 1 + 1 + 1,
      nullMasterFlowId: 1,
      danglingMasterFlowId: 2,
      inconsistent: 1,
      crossTenant: 1,
    });
    expect(report.tables.assessments).toEqual({ rows: 3 + 1 + 1 + 1, nullMasterFlowId: 1, danglingMasterFlowId: 1, inconsistent: 0, crossTenant: 1 });
    expect(report.masterFlows).toBe(6);
  });

  it('unlinked imports no pipeline will link lower the health score, and only they do', async () => {
    const report = await runIntegrityCheck(database.current.sql, { schema: false });
    const stale = report.checks.filter((c) => c.id.startsWith('unlinked_stale.'));
    expect(stale.map((c) => [c.id, c.severity, c.count])).toEqual([
      ['unlinked_stale.data_imports', 'warning', 2],
      ['unlinked_stale.raw_import_records', 'warning', 1],
    ]);
    expect(stale[0]!.description).toMatch(/flowlink backfill.*by hand.*archive/);
    const { healthScore } = await import('../../db/integrity/score.ts');
    const without = report.checks.map((c) => (c.id.startsWith('unlinked_stale.') ? { ...c, count: 0, sampleIds: [] } : c));
    expect(healthScore(report.checks, 1_000_000)).toBeCloseTo(healthScore(without, 1_000_000) - 4, 5);
  });

  it('honours the configured age of a stuck flow', async () => {
    const report = await runIntegrityCheck(database.current.sql, { schema: false, staleRunningAfterMinutes: 5 });
    expect(report.checks.find((c) => c.id === `stuck_running.${MASTER}`)!.sampleIds).toEqual([fA4, fStuck].sort());
  });

  it('scopes by flow: the rows pointing at it and the rows of its import, discovery flow, assessment, wave', async () => {
    const { sql } = database.current;
    const fA2Report = await runIntegrityCheck(sql, { flowId: fA2, schema: false });
    expectExactly(fA2Report, Object.fromEntries(Object.entries(bad).filter(([id]) => id.startsWith('inconsistent_link.') && id !== 'inconsistent_link.discovery_flows')));
    // fA2's own tree (1 raw record) plus the record of fA1's import that points at fA2
    expect(fA2Report.tables.raw_import_records!.rows).toBe(2);
    expect(fA2Report.masterFlows).toBe(1);

    // fA1 scope sees the unlinked and dangling records of its import, through the import
    const fA1Report = await runIntegrityCheck(sql, { flowId: fA1, schema: false });
    expect(fA1Report.checks.find((c) => c.id === 'missing_link.raw_import_records')!.sampleIds).toEqual(bad['missing_link.raw_import_records']);
    expect(fA1Report.checks.find((c) => c.id === 'dangling_link.raw_import_records')!.sampleIds).toEqual([...bad['dangling_link.raw_import_records']!].sort());

    const clean = await runIntegrityCheck(sql, { flowId: fB, schema: false });
    expect(clean.ok).toBe(true);
    expect(clean.healthScore).toBe(100);
  });

  it('scopes by client and by engagement: a cross-tenant row is reported under the tenant it carries', async () => {
    const { sql } = database.current;
    const byClient = await runIntegrityCheck(sql, { clientAccountId: B.clientAccountId, schema: false });
    const crossTenantOfB = Object.entries(bad).filter(([id]) => id.startsWith('cross_tenant.') && id !== 'cross_tenant.assets');
    expectExactly(byClient, Object.fromEntries(crossTenantOfB));
    const byEngagement = await runIntegrityCheck(sql, { engagementId: B.engagementId, schema: false });
    expectExactly(byEngagement, Object.fromEntries(Object.entries(bad).filter(([id]) => id.startsWith('cross_tenant.'))));
  });

  it('keeps at most sampleLimit (and never more than 100) sample ids, with the full count', async () => {
    const { sql } = database.current;
    await sql`insert into assessments (client_account_id, engagement_id, master_flow_id, name)
      select ${B.clientAccountId}, ${B.engagementId}, null, 'bulk ' || g from generate_series(1, 150) g`;
    const all = await runIntegrityCheck(sql, { clientAccountId: B.clientAccountId, schema: false });
    const missing = all.checks.find((c) => c.id === 'missing_link.assessments')!;
    expect(missing.count).toBe(150);
    expect(missing.sampleIds).toHaveLength(100);
    const few = await runIntegrityCheck(sql, { clientAccountId: B.clientAccountId, schema: false, sampleLimit: 5 });
    expect(few.checks.find((c) => c.id === 'missing_link.assessments')!.sampleIds).toHaveLength(5);
    const capped = await runIntegrityCheck(sql, { clientAccountId: B.clientAccountId, schema: false, sampleLimit: 1000 });
    expect(capped.checks.find((c) => c.id === 'missing_link.assessments')!.sampleIds).toHaveLength(100);
  });

  it('rejects a scope that is not a uuid before touching the database', async () => {
    await expect(runIntegrityCheck(database.current.sql, { flowId: 'flow-1' })).rejects.toMatchObject({ name: 'IntegrityScopeError' });
  });
});
