/**
 * Tries to break out, as the roles the functions run as (taken as a step takes them: role and
 * tenant set at the start of the transaction, db/access.ts), on rows of two tenants.
 */
import type postgres from 'postgres';
import { beforeAll, describe, expect, it } from 'vitest';
import { scope, ROLES, type Role } from '../../db/access.ts';
import { jsonb } from '../../db/client.ts';
import { useTestDatabase } from '../support/db.ts';
import { createFlowTree, createMasterFlow, createTenant, type Tenant } from '../support/fixtures.ts';

const database = useTestDatabase();
let a: Tenant;
let b: Tenant;
let aRows: Awaited<ReturnType<typeof createFlowTree>>;
let bRows: Awaited<ReturnType<typeof createFlowTree>>;
let aFlow: string;
let bFlow: string;

beforeAll(async () => {
  const { sql } = database.current;
  a = await createTenant(sql);
  b = await createTenant(sql);
  aFlow = await createMasterFlow(sql, a);
  aRows = await createFlowTree(sql, a, aFlow);
  bFlow = await createMasterFlow(sql, b);
  bRows = await createFlowTree(sql, b, bFlow);
});

/** `work` in a transaction as `role` for `tenant` (null: none set), always rolled back; its error, or what it returned. */
async function as<T>(role: Role, tenant: Tenant | null, work: (tx: postgres.TransactionSql) => Promise<T>): Promise<T | { code: string; message: string }> {
  const rollback = new Error('rollback');
  let result: T | undefined;
  try {
    await database.current.sql.begin(async (tx) => {
      await scope(tx, tenant, role);
      result = await work(tx);
      throw rollback;
    });
  } catch (err) {
    if (err !== rollback) return err as { code: string; message: string };
  }
  return result as T;
}

/** The tables that carry client_account_id, from the catalog, and whether the role may read each. */
async function tenantTables(role: Role): Promise<Array<{ table: string; readable: boolean }>> {
  return database.current.sql<Array<{ table: string; readable: boolean }>>`
    select c.relname as table, has_table_privilege(${role}, c.oid, 'select') as readable
    from pg_class c join pg_attribute t on t.attrelid = c.oid and t.attname = 'client_account_id' and not t.attisdropped
    where c.relnamespace = 'public'::regnamespace and c.relkind in ('r', 'p') order by 1`;
}

describe('flowlink_app without a tenant', () => {
  it('sees no row of any tenant table it may read', async () => {
    const tables = (await tenantTables(ROLES.app)).filter((t) => t.readable);
    expect(tables.map((t) => t.table)).toEqual(expect.arrayContaining(['assets', 'data_imports', 'raw_import_records', 'crewai_flow_state_extensions']));
    for (const { table } of tables) {
      const counted = await as(ROLES.app, null, (tx) => tx.unsafe(`select count(*)::int as n from ${table}`));
      expect(counted, table).toEqual([{ n: 0 }]);
    }
  });

  it('cannot insert a row, whichever tenant it names', async () => {
    const err = await as(
      ROLES.app,
      null,
      (tx) => tx`
      insert into data_imports (client_account_id, engagement_id, import_name, filename) values (${a.clientAccountId}, ${a.engagementId}, 'x', 'x.csv')`,
    );
    expect(err).toMatchObject({ code: '42501', message: expect.stringMatching(/row-level security/) });
  });

  it("after its transaction the tenant is gone: the setting is transaction-local, not the session's", async () => {
    const { sql } = database.current;
    const seen = await sql.begin(async (tx) => {
      await scope(tx, a, ROLES.app);
      return tx`select count(*)::int as n from data_imports`;
    });
    expect(seen).toEqual([{ n: 1 }]);
    const [after] = await sql`select current_setting('flowlink.client_account_id', true) as client, current_user as role`;
    expect(after).toEqual({ client: '', role: 'postgres' });
  });
});

describe("flowlink_app for tenant A, on B's rows, even by id", () => {
  it('reads nothing of B', async () => {
    for (const [table, id] of Object.entries(bRows)) {
      if (!(await tenantTables(ROLES.app)).find((t) => t.table === table)?.readable) continue;
      expect(await as(ROLES.app, a, (tx) => tx.unsafe(`select id from ${table} where id = $1`, [id])), table).toEqual([]);
    }
    expect(await as(ROLES.app, a, (tx) => tx`select flow_id from crewai_flow_state_extensions where flow_id = ${bFlow}`)).toEqual([]);
    expect(await as(ROLES.app, a, (tx) => tx`select id from engagements where id = ${b.engagementId}`)).toEqual([]);
    expect(await as(ROLES.app, a, (tx) => tx`select id from client_accounts where id = ${b.clientAccountId}`)).toEqual([]);
  });

  it('updates and deletes nothing of B', async () => {
    const updated = await as(ROLES.app, a, (tx) => tx`update data_imports set import_name = 'taken' where id = ${bRows.data_imports} returning id`);
    expect(updated).toEqual([]);
    const deleted = await as(ROLES.app, a, (tx) => tx`delete from assets where id = ${bRows.assets} returning id`);
    expect(deleted).toEqual([]);
    const [still] = await database.current.sql`select (select import_name from data_imports where id = ${bRows.data_imports}) as name,
      (select count(*)::int from assets where id = ${bRows.assets}) as assets`;
    expect(still).toEqual({ name: 'import', assets: 1 });
  });

  it('cannot move its own row to B, nor write a row for B', async () => {
    const moved = await as(ROLES.app, a, (tx) => tx`update data_imports set client_account_id = ${b.clientAccountId}, engagement_id = ${b.engagementId} where id = ${aRows.data_imports}`);
    expect(moved).toMatchObject({ code: '42501', message: expect.stringMatching(/row-level security/) });
    const written = await as(
      ROLES.app,
      a,
      (tx) => tx`
      insert into data_imports (client_account_id, engagement_id, import_name, filename) values (${b.clientAccountId}, ${b.engagementId}, 'x', 'x.csv')`,
    );
    expect(written).toMatchObject({ code: '42501' });
  });

  it("cannot link its rows to B's master flow", async () => {
    // the link keys are deferred to commit: checked now, as the commit would
    const linked = await as(ROLES.app, a, async (tx) => {
      await tx`set constraints all immediate`;
      return tx`update raw_import_records set master_flow_id = ${bFlow} where id = ${aRows.raw_import_records}`;
    });
    expect(linked).toMatchObject({ code: '23503' });
    const flowOfB = await as(ROLES.app, a, async (tx) => {
      await tx`set constraints all immediate`;
      return tx`update data_imports set master_flow_id = ${bFlow} where id = ${aRows.data_imports}`;
    });
    expect(flowOfB).toMatchObject({ code: expect.stringMatching(/^(23503|23514)$/) });
  });
});

describe('no role but the owner changes the schema', () => {
  const statements = [
    'drop table assets',
    'alter table assets add column stolen text',
    'truncate assets',
    'create table stolen (id int)',
    'create index stolen_idx on assets (name)',
    'alter table assets disable row level security',
    'drop policy tenant_isolation on assets',
  ];
  for (const role of [ROLES.app, ROLES.operator, ROLES.loader]) {
    it(`${role}: DROP, ALTER, TRUNCATE, CREATE are refused`, async () => {
      for (const statement of statements) {
        expect(await as(role, a, (tx) => tx.unsafe(statement)), `${role}: ${statement}`).toMatchObject({ code: '42501' });
      }
    });
  }
});

describe('flowlink_loader', () => {
  it('inserts (a COPY bypasses row-level security) and reads, updates, deletes nothing', async () => {
    const row = { data: jsonb({ hostname: 'copied' }) };
    const inserted = await as(ROLES.loader, null, async (tx) => {
      await tx`insert into raw_import_records (data_import_id, client_account_id, engagement_id, row_number, raw_data)
        values (${aRows.data_imports}, ${a.clientAccountId}, ${a.engagementId}, 99, ${row.data})`;
      return 'inserted';
    });
    expect(inserted).toBe('inserted');
    for (const statement of ['select count(*) from raw_import_records', 'update assets set name = name', 'delete from assets', 'select count(*) from data_imports']) {
      expect(await as(ROLES.loader, null, (tx) => tx.unsafe(statement)), statement).toMatchObject({ code: '42501' });
    }
  });

  it("a row loaded under another tenant's parent is refused: an asset at once, a raw record when it is linked (the composite tenant keys)", async () => {
    const asset = await as(ROLES.loader, null, async (tx) => {
      await tx`set constraints all immediate`;
      return tx`insert into assets (client_account_id, engagement_id, master_flow_id, discovery_flow_id, name)
        values (${a.clientAccountId}, ${a.engagementId}, ${bFlow}, ${bRows.discovery_flows}, 'planted')`;
    });
    expect(asset).toMatchObject({ code: '23503' });
    const linked = await as(ROLES.loader, null, async (tx) => {
      await tx`insert into raw_import_records (data_import_id, client_account_id, engagement_id, row_number, raw_data)
        values (${bRows.data_imports}, ${a.clientAccountId}, ${a.engagementId}, 98, ${jsonb({})})`;
      await scope(tx, a, ROLES.app);
      await tx`set constraints all immediate`;
      return tx`update raw_import_records set master_flow_id = ${aFlow} where data_import_id = ${bRows.data_imports} and row_number = 98`;
    });
    expect(linked).toMatchObject({ code: expect.stringMatching(/^(23503|23514)$/) });
  });
});

describe('flowlink_operator', () => {
  it('sees every tenant without setting one', async () => {
    const seen = await as(
      ROLES.operator,
      null,
      (tx) => tx`select count(distinct client_account_id)::int as n from data_imports
      where client_account_id in (${a.clientAccountId}, ${b.clientAccountId})`,
    );
    expect(seen).toEqual([{ n: 2 }]);
  });

  it('has no privilege on the tables beyond what the integrity check and the backfill use', async () => {
    const [rights] = await database.current.sql`
      select has_table_privilege(${ROLES.operator}, 'client_accounts', 'insert') as insert_clients,
             has_table_privilege(${ROLES.operator}, 'integrity_runs', 'update') as update_runs,
             has_table_privilege(${ROLES.operator}, 'integrity_runs', 'insert') as insert_runs,
             has_table_privilege(${ROLES.operator}, 'assets', 'truncate') as truncate_assets`;
    expect(rights).toEqual({ insert_clients: false, update_runs: false, insert_runs: true, truncate_assets: false });
  });
});
