/**
 * The access rules as the catalog holds them, walked generically: a table added with
 * client_account_id but without row-level security, FORCE or a policy fails here, as does a role
 * that gained what it must not have.
 */
import { describe, expect, it } from 'vitest';
import { ROLES } from '../../db/access.ts';
import { useTestDatabase } from '../support/db.ts';

const database = useTestDatabase();

describe('the catalog', () => {
  it('every table with client_account_id has row-level security enabled and forced, a tenant policy for the app and one for the operator', async () => {
    const tables = await database.current.sql<Array<{ table: string; enabled: boolean; forced: boolean; app: string | null; operator: string | null }>>`
      select c.relname as table, c.relrowsecurity as enabled, c.relforcerowsecurity as forced,
             (select p.qual from pg_policies p where p.schemaname = 'public' and p.tablename = c.relname and ${ROLES.app} = any(p.roles) and p.cmd = 'ALL') as app,
             (select p.qual from pg_policies p where p.schemaname = 'public' and p.tablename = c.relname and ${ROLES.operator} = any(p.roles)) as operator
      from pg_class c
      where c.relnamespace = 'public'::regnamespace and c.relkind in ('r', 'p')
        and exists (select from pg_attribute a where a.attrelid = c.oid and a.attname = 'client_account_id' and not a.attisdropped)
      order by 1`;
    expect(tables.length).toBeGreaterThanOrEqual(10);
    for (const t of tables) {
      expect({ table: t.table, enabled: t.enabled, forced: t.forced }).toEqual({ table: t.table, enabled: true, forced: true });
      // the app's policy reads the transaction's tenant setting, missing_ok (unset: no row, not an error)
      expect(t.app, `${t.table}: policy for ${ROLES.app}`).toMatch(/current_setting\('flowlink\.client_account_id'::text, true\)/);
      expect(t.operator, `${t.table}: policy for ${ROLES.operator}`).not.toBeNull();
    }
  });

  it('the roles exist as the contract names them: no superuser, no DDL rights, BYPASSRLS only for the loader, which can log in nowhere locally', async () => {
    const roles = await database.current.sql<Array<{ name: string; superuser: boolean; createrole: boolean; createdb: boolean; bypassrls: boolean }>>`
      select rolname as name, rolsuper as superuser, rolcreaterole as createrole, rolcreatedb as createdb, rolbypassrls as bypassrls
      from pg_roles where rolname = any(${Object.values(ROLES)}) order by 1`;
    expect(roles).toEqual([
      { name: ROLES.app, superuser: false, createrole: false, createdb: false, bypassrls: false },
      { name: ROLES.loader, superuser: false, createrole: false, createdb: false, bypassrls: true },
      { name: ROLES.operator, superuser: false, createrole: false, createdb: false, bypassrls: false },
    ]);
  });

  it('no flowlink role owns anything or may truncate, reference, trigger or create; the loader may only insert, into the COPY-loaded tables', async () => {
    const { sql } = database.current;
    const owned = await sql`select c.relname from pg_class c join pg_roles r on r.oid = c.relowner where r.rolname = any(${Object.values(ROLES)})`;
    expect(owned).toEqual([]);
    const [schema] = await sql`select bool_or(has_schema_privilege(r, 'public', 'create')) as create from unnest(${Object.values(ROLES)}::text[]) r`;
    expect(schema).toEqual({ create: false });
    const rights = await sql<Array<{ grantee: string; privilege: string; table: string }>>`
      select grantee, privilege_type as privilege, table_name as table from information_schema.role_table_grants
      where table_schema = 'public' and grantee = any(${Object.values(ROLES)}) order by 1, 2, 3`;
    expect(rights.filter((r) => ['TRUNCATE', 'REFERENCES', 'TRIGGER'].includes(r.privilege))).toEqual([]);
    expect(rights.filter((r) => r.grantee === ROLES.loader).map((r) => `${r.privilege} ${r.table}`)).toEqual(['INSERT assets', 'INSERT raw_import_records']);
    // DELETE only where a step deletes
    expect(rights.filter((r) => r.grantee === ROLES.app && r.privilege === 'DELETE').map((r) => r.table)).toEqual(['assets']);
  });
});
