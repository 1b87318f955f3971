import { describe, expect, it } from 'vitest';
import { useTestDatabase } from './support/db.ts';
import { createFlowTree, createMasterFlow, createTenant, tablesWithMasterFlowId } from './support/fixtures.ts';

const database = useTestDatabase();
const CHILD_TABLES = ['assessments', 'assets', 'data_imports', 'discovery_flows', 'import_field_mappings', 'migration_waves', 'raw_import_records', 'sixr_analyses', 'wave_plans'];

describe('schema keyed by flow_id', () => {
  it('has flow_id as the only key of the master table', async () => {
    const { sql } = database.current;
    const cols = await sql<{ column_name: string }[]>`
      select column_name from information_schema.columns where table_name = 'crewai_flow_state_extensions'`;
    expect(cols.map((c) => c.column_name)).not.toContain('id');
    const keys = await sql<{ conname: string; contype: string; cols: string[] }[]>`
      select conname, contype, array(select attname from pg_attribute a where a.attrelid = c.conrelid and a.attnum = any(c.conkey))::text[] as cols
      from pg_constraint c where conrelid = 'crewai_flow_state_extensions'::regclass and contype in ('p', 'u')`;
    expect(keys).toEqual([{ conname: 'crewai_flow_state_extensions_pkey', contype: 'p', cols: ['flow_id'] }]);
  });

  it('knows every table under a master flow', async () => {
    expect(await tablesWithMasterFlowId(database.current.sql)).toEqual(CHILD_TABLES);
  });

  it('gives every master_flow_id a validated, cascading foreign key to flow_id and an index', async () => {
    const { sql } = database.current;
    for (const table of await tablesWithMasterFlowId(sql)) {
      const fks = await sql<{ conname: string; convalidated: boolean; confdeltype: string; target: string; target_col: string }[]>`
        select c.conname, c.convalidated, c.confdeltype, c.confrelid::regclass::text as target,
               (select attname from pg_attribute where attrelid = c.confrelid and attnum = c.confkey[1]) as target_col
        from pg_constraint c
        where c.conrelid = ${table}::regclass and c.contype = 'f'
          and c.conkey = array[(select attnum from pg_attribute where attrelid = ${table}::regclass and attname = 'master_flow_id')]`;
      expect(fks, table).toEqual([
        {
          conname: `${table}_master_flow_id_fkey`,
          convalidated: true,
          confdeltype: 'c',
          target: 'crewai_flow_state_extensions',
          target_col: 'flow_id',
        },
      ]);
      const [indexed] = await sql<{ n: number }[]>`
        select count(*)::int as n from pg_index i
        where i.indrelid = ${table}::regclass
          and i.indkey[0] = (select attnum from pg_attribute where attrelid = ${table}::regclass and attname = 'master_flow_id')`;
      expect(indexed!.n, `${table} index on master_flow_id`).toBeGreaterThan(0);
      const [tenantIdx] = await sql<{ n: number }[]>`
        select count(*)::int as n from pg_index i join pg_attribute a on a.attrelid = i.indrelid and a.attnum = i.indkey[0]
        where i.indrelid = ${table}::regclass and a.attname in ('client_account_id', 'engagement_id')`;
      expect(tenantIdx!.n, `${table} tenant indexes`).toBeGreaterThanOrEqual(2);
    }
  });

  it('requires master_flow_id except on a data import that is not linked yet', async () => {
    const { sql } = database.current;
    const nullable = await sql<{ table_name: string }[]>`
      select table_name from information_schema.columns
      where table_schema = 'public' and column_name = 'master_flow_id' and is_nullable = 'YES' order by 1`;
    expect(nullable.map((r) => r.table_name)).toEqual(['data_imports', 'raw_import_records']);
    const tenant = await createTenant(sql);
    await expect(sql`
      insert into data_imports (client_account_id, engagement_id, import_name, filename, status)
      values (${tenant.clientAccountId}, ${tenant.engagementId}, 'x', 'x.csv', 'linked')`).rejects.toMatchObject({ constraint_name: 'data_imports_master_flow_required' });
    await expect(sql`
      insert into data_imports (client_account_id, engagement_id, import_name, filename, status)
      values (${tenant.clientAccountId}, ${tenant.engagementId}, 'x', 'x.csv', 'stored')`).resolves.toBeDefined();
  });

  it('refuses to mark an import linked while one of its raw records is not', async () => {
    const { sql } = database.current;
    const tenant = await createTenant(sql);
    const flowId = await createMasterFlow(sql, tenant);
    const [imp] = await sql<{ id: string }[]>`
      insert into data_imports (client_account_id, engagement_id, import_name, filename, status)
      values (${tenant.clientAccountId}, ${tenant.engagementId}, 'x', 'x.csv', 'stored') returning id`;
    await sql`insert into raw_import_records (data_import_id, client_account_id, engagement_id, row_number, raw_data)
      values (${imp!.id}, ${tenant.clientAccountId}, ${tenant.engagementId}, 1, '{}')`;
    await expect(sql`update data_imports set status = 'linked', master_flow_id = ${flowId} where id = ${imp!.id}`).rejects.toMatchObject({ constraint_name: 'data_imports_records_linked' });
    await sql.begin(async (tx) => {
      await tx`update raw_import_records set master_flow_id = ${flowId} where data_import_id = ${imp!.id}`;
      await tx`update data_imports set status = 'linked', master_flow_id = ${flowId} where id = ${imp!.id}`;
    });
    const [row] = await sql`select status from data_imports where id = ${imp!.id}`;
    expect(row!.status).toBe('linked');
  });

  it('refuses (at commit) a raw record of a linked import losing its master flow, or an unlinked record moved into a linked import', async () => {
    const { sql } = database.current;
    const tenant = await createTenant(sql);
    const flowId = await createMasterFlow(sql, tenant);
    const imported = async (status: string, flow: string | null) => {
      const [imp] = await sql<{ id: string }[]>`
        insert into data_imports (client_account_id, engagement_id, import_name, filename, status)
        values (${tenant.clientAccountId}, ${tenant.engagementId}, 'x', 'x.csv', 'stored') returning id`;
      await sql`insert into raw_import_records (data_import_id, client_account_id, engagement_id, row_number, raw_data)
        values (${imp!.id}, ${tenant.clientAccountId}, ${tenant.engagementId}, 1, '{}')`;
      if (status !== 'stored') {
        await sql.begin(async (tx) => {
          await tx`update raw_import_records set master_flow_id = ${flow} where data_import_id = ${imp!.id}`;
          await tx`update data_imports set status = ${status}, master_flow_id = ${flow} where id = ${imp!.id}`;
        });
      }
      return imp!.id;
    };
    for (const status of ['linked', 'processing', 'completed']) {
      const id = await imported(status, flowId);
      await expect(sql`update raw_import_records set master_flow_id = null where data_import_id = ${id}`, status).rejects.toMatchObject({
        code: '23514',
        constraint_name: 'raw_import_records_link_kept',
      });
    }
    const linked = await imported('linked', flowId);
    const unlinked = await imported('stored', null);
    await expect(sql`update raw_import_records set data_import_id = ${linked}, row_number = 2 where data_import_id = ${unlinked}`).rejects.toMatchObject({
      constraint_name: 'raw_import_records_link_kept',
    });
    // undoing a link, import and records in one transaction, in either order, is allowed
    await sql.begin(async (tx) => {
      await tx`update raw_import_records set master_flow_id = null where data_import_id = ${linked}`;
      await tx`update data_imports set status = 'stored', master_flow_id = null where id = ${linked}`;
    });
    const [row] = await sql`select count(*)::int as n from raw_import_records where data_import_id = ${linked} and master_flow_id is null`;
    expect(row!.n).toBe(1);
    // a stored import's records may still lose a link (an import being unlinked by hand, record first)
    const [other] = await sql<{ id: string }[]>`select id from data_imports where id = ${linked}`;
    expect(other).toBeDefined();
  });

  it('rejects a child whose flow_id is unknown, in every table', async () => {
    const { sql } = database.current;
    const tenant = await createTenant(sql);
    const flowId = await createMasterFlow(sql, tenant);
    const ids = await createFlowTree(sql, tenant, flowId);
    const unknown = '00000000-0000-4000-8000-000000000000';
    for (const table of CHILD_TABLES) {
      // an import in `stored` state: the link guard of linked imports would answer first
      const status = table === 'data_imports' ? sql`, status = 'stored'` : sql``;
      await expect(sql`update ${sql(table)} set master_flow_id = ${unknown} ${status} where id = ${ids[table as keyof typeof ids]}`, table).rejects.toMatchObject({
        code: '23503',
        constraint_name: `${table}_master_flow_id_fkey`,
      });
    }
  });

  it('deleting one master flow removes all its children and nothing of another flow', async () => {
    const { sql } = database.current;
    const tenant = await createTenant(sql);
    const doomed = await createMasterFlow(sql, tenant);
    const kept = await createMasterFlow(sql, tenant);
    const doomedIds = await createFlowTree(sql, tenant, doomed);
    const keptIds = await createFlowTree(sql, tenant, kept);
    await sql`delete from crewai_flow_state_extensions where flow_id = ${doomed}`;
    for (const table of CHILD_TABLES) {
      const gone = await sql`select 1 from ${sql(table)} where id = ${doomedIds[table as keyof typeof doomedIds]}`;
      const still = await sql`select master_flow_id from ${sql(table)} where id = ${keptIds[table as keyof typeof keptIds]}`;
      expect(gone.length, `${table} row of the deleted flow`).toBe(0);
      expect(still, `${table} row of the other flow`).toEqual([{ master_flow_id: kept }]);
    }
  });

  it('keeps an engagement to its own client', async () => {
    const { sql } = database.current;
    const a = await createTenant(sql);
    const b = await createTenant(sql);
    await expect(sql`
      insert into crewai_flow_state_extensions (client_account_id, engagement_id, flow_type)
      values (${a.clientAccountId}, ${b.engagementId}, 'discovery')`).rejects.toMatchObject({ constraint_name: 'crewai_flow_state_extensions_engagement_fkey' });
  });

  it('has no is_mock column and uses time zones for every timestamp', async () => {
    const { sql } = database.current;
    const mock = await sql`select table_name from information_schema.columns where table_schema = 'public' and column_name = 'is_mock'`;
    expect(mock).toEqual([]);
    const naive = await sql`select table_name, column_name from information_schema.columns
      where table_schema = 'public' and data_type = 'timestamp without time zone'`;
    expect(naive).toEqual([]);
  });
});
