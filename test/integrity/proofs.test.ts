import { beforeAll, describe, expect, it } from 'vitest';
import { jsonb, type Sql } from '../../db/client.ts';
import { EXACT_COUNT_BELOW } from '../../db/integrity/data-checks.ts';
import { runIntegrityCheck, type IntegrityReport } from '../../db/integrity/index.ts';
import { useTestDatabase } from '../support/db.ts';
import { createFlowTree, createMasterFlow, createTenant, type Tenant } from '../support/fixtures.ts';

const database = useTestDatabase();
const LINK = 'raw_import_records_data_import_link_fkey';

const check = (report: IntegrityReport, id: string) => report.checks.find((c) => c.id === id)!;
const own = (t: Tenant) => ({ client_account_id: t.clientAccountId, engagement_id: t.engagementId });

async function insertRaw(sql: Sql, row: Record<string, unknown>): Promise<string> {
  const [r] = await sql<{ id: string }[]>`insert into raw_import_records ${sql({ raw_data: jsonb({}), ...row })} returning id`;
  return r!.id;
}

/** Each test gets its own tenants and flows in the shared database; checks are scoped to a flow or read by table. */
describe('integrity proofs: constraints in force replace row-by-row counting', () => {
  let A: Tenant, B: Tenant;
  let fA1: string, fA2: string;
  let tree: Awaited<ReturnType<typeof createFlowTree>>;

  beforeAll(async () => {
    const { sql } = database.current;
    [A, B] = [await createTenant(sql), await createTenant(sql)];
    [fA1, fA2] = [await createMasterFlow(sql, A), await createMasterFlow(sql, A)];
    tree = await createFlowTree(sql, A, fA1);
    await createFlowTree(sql, A, fA2);
  });

  it('names the key that proves each check on a migrated database, and a deep check reads every row to the same verdict', async () => {
    const { sql } = database.current;
    const fast = await runIntegrityCheck(sql, { schema: false });
    expect(fast.ok).toBe(true);
    expect(fast.deep).toBe(false);
    expect(check(fast, 'dangling_link.raw_import_records').provenBy).toBe('raw_import_records_master_flow_id_fkey');
    expect(check(fast, 'inconsistent_link.raw_import_records').provenBy).toBe(LINK);
    expect(check(fast, 'cross_tenant.raw_import_records').provenBy).toBe(LINK);
    expect(check(fast, 'cross_tenant.wave_plans').provenBy).toBe('wave_plans_migration_wave_link_fkey');
    // no key ties a top-level row's tenant to its master flow's: those are counted
    expect(check(fast, 'cross_tenant.data_imports').provenBy).toBeUndefined();
    // a missing link is never proven: the rows without a master flow are counted through its index
    expect(check(fast, 'missing_link.raw_import_records').provenBy).toBeUndefined();

    const deep = await runIntegrityCheck(sql, { schema: false, deep: true });
    expect(deep.deep).toBe(true);
    expect(deep.checks.filter((c) => c.provenBy)).toEqual([]);
    expect(deep.checks.map((c) => [c.id, c.count])).toEqual(fast.checks.map((c) => [c.id, c.count]));
    expect(deep.tables).toEqual(fast.tables);
  });

  it('the database refuses what the proofs rule out, at commit, whichever order a step writes parent and child', async () => {
    const { sql } = database.current;
    await expect(insertRaw(sql, { ...own(A), data_import_id: tree.data_imports, master_flow_id: fA2, row_number: 50 })).rejects.toMatchObject({ constraint_name: LINK });
    await expect(insertRaw(sql, { ...own(B), data_import_id: tree.data_imports, master_flow_id: fA1, row_number: 51 })).rejects.toMatchObject({ constraint_name: LINK });
    // children linked before their parent within one transaction: accepted (checked at commit)
    const fNew = await createMasterFlow(sql, A);
    const [imp] = await sql<{ id: string }[]>`insert into data_imports ${sql({ ...own(A), import_name: 'x', filename: 'x.csv', status: 'stored' })} returning id`;
    await insertRaw(sql, { ...own(A), data_import_id: imp!.id, row_number: 1 });
    await sql.begin(async (tx) => {
      await tx`update raw_import_records set master_flow_id = ${fNew} where data_import_id = ${imp!.id}`;
      await tx`update data_imports set master_flow_id = ${fNew} where id = ${imp!.id}`;
    });
    const [linked] = await sql<{ n: number }[]>`select count(*)::int as n from raw_import_records where master_flow_id = ${fNew}`;
    expect(linked!.n).toBe(1);
  });

  it('counts the rows of a parent that is itself cross-tenant: the proof holds only under a clean parent', async () => {
    const { sql } = database.current;
    // no key stops an import of tenant B under tenant A's flow; its records follow their import, so the link key accepts them
    const fA3 = await createMasterFlow(sql, A);
    const [imp] = await sql<{ id: string }[]>`
      insert into data_imports ${sql({ ...own(B), master_flow_id: fA3, import_name: 'x', filename: 'x.csv', status: 'completed' })} returning id`;
    const rawId = await insertRaw(sql, { ...own(B), data_import_id: imp!.id, master_flow_id: fA3, row_number: 1 });
    const report = await runIntegrityCheck(sql, { flowId: fA3, schema: false });
    expect(check(report, 'cross_tenant.data_imports').sampleIds).toEqual([imp!.id]);
    expect(check(report, 'cross_tenant.raw_import_records')).toMatchObject({ count: 1, sampleIds: [rawId] });
    expect(check(report, 'cross_tenant.raw_import_records').provenBy).toBeUndefined();
    await sql`delete from data_imports where id = ${imp!.id}`;
  });

  it('falls back to counting when a key is NOT VALID or its triggers are disabled; rows written meanwhile need a deep check', async () => {
    const { sql } = database.current;
    const linkDef = await sql<{ def: string }[]>`select pg_get_constraintdef(oid) as def from pg_constraint where conname = ${LINK}`;
    try {
      await sql`alter table raw_import_records drop constraint ${sql(LINK)}`;
      const bad = await insertRaw(sql, { ...own(A), data_import_id: tree.data_imports, master_flow_id: fA2, row_number: 60 });
      await sql.unsafe(`alter table raw_import_records add constraint ${LINK} ${linkDef[0]!.def} not valid`);
      const notValid = await runIntegrityCheck(sql, { schema: false });
      expect(check(notValid, 'inconsistent_link.raw_import_records')).toMatchObject({ count: 1, sampleIds: [bad] });
      expect(check(notValid, 'inconsistent_link.raw_import_records').provenBy).toBeUndefined();
      expect(check(notValid, 'inconsistent_link.import_field_mappings').provenBy).toBe('import_field_mappings_data_import_link_fkey');
      await sql`delete from raw_import_records where id = ${bad}`;
      await sql`alter table raw_import_records validate constraint ${sql(LINK)}`;

      await sql`alter table raw_import_records disable trigger all`;
      const whileOff = await insertRaw(sql, { ...own(A), data_import_id: tree.data_imports, master_flow_id: fA2, row_number: 61 });
      const disabled = await runIntegrityCheck(sql, { schema: false });
      expect(check(disabled, 'inconsistent_link.raw_import_records')).toMatchObject({ count: 1, sampleIds: [whileOff] });
      expect(check(disabled, 'dangling_link.raw_import_records').provenBy).toBeUndefined();
      await sql`alter table raw_import_records enable trigger all`;
      // enforcement is back, the row written without it is still there: only a deep check reads it
      const deep = await runIntegrityCheck(sql, { schema: false, deep: true });
      expect(check(deep, 'inconsistent_link.raw_import_records')).toMatchObject({ count: 1, sampleIds: [whileOff] });
      await sql`delete from raw_import_records where id = ${whileOff}`;
    } finally {
      await sql`alter table raw_import_records enable trigger all`;
    }
  });

  it(`estimates the rows of a table of ${EXACT_COUNT_BELOW.toLocaleString('en')}+ rows that no check had to read, and counts a flow's rows exactly`, async () => {
    const { sql } = database.current;
    const fBig = await createMasterFlow(sql, B);
    const [imp] = await sql<{ id: string }[]>`
      insert into data_imports ${sql({ ...own(B), master_flow_id: fBig, import_name: 'big', filename: 'big.csv', status: 'completed' })} returning id`;
    await sql`insert into raw_import_records (data_import_id, client_account_id, engagement_id, master_flow_id, row_number, raw_data)
      select ${imp!.id}, ${B.clientAccountId}, ${B.engagementId}, ${fBig}, n, '{}'::jsonb from generate_series(1, ${EXACT_COUNT_BELOW}) n`;
    await sql`analyze raw_import_records`;
    const [{ n }] = await sql<{ n: number }[]>`select count(*)::int as n from raw_import_records`;
    const whole = await runIntegrityCheck(sql, { schema: false });
    expect(whole.tables.raw_import_records!.rowsEstimated).toBe(true);
    expect(Math.abs(whole.tables.raw_import_records!.rows - n) / n).toBeLessThan(0.05);
    const deep = await runIntegrityCheck(sql, { schema: false, deep: true });
    expect(deep.tables.raw_import_records).toMatchObject({ rows: n });
    expect(deep.tables.raw_import_records!.rowsEstimated).toBeUndefined();
    const flow = await runIntegrityCheck(sql, { flowId: fBig, schema: false });
    expect(flow.tables.raw_import_records).toMatchObject({ rows: EXACT_COUNT_BELOW });
    expect(flow.tables.raw_import_records!.rowsEstimated).toBeUndefined();
    await sql`delete from data_imports where id = ${imp!.id}`;
  });
});
