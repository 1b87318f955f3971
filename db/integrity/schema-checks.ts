import { sql } from 'drizzle-orm';
import type { Tx } from '../client.ts';
import { masterFlows } from '../schema/index.ts';
import { LEGACY_TABLE_PATTERN, LEGACY_TABLES, LINK, MASTER_TABLE, type Catalog } from './catalog.ts';
import type { CheckResult } from './types.ts';

type LinkCatalogRow = {
  table_name: string;
  fks: { name: string; validated: boolean; deltype: string; target: string; target_columns: string[] }[];
  indexes: string[];
};

const ON_DELETE: Record<string, string> = { a: 'NO ACTION', r: 'RESTRICT', c: 'CASCADE', n: 'SET NULL', d: 'SET DEFAULT' };

/**
 * Schema checks, always over the whole database (the catalog has no tenants): for every table under a
 * master flow, a foreign key on master_flow_id exists, references flow_id of the master table, is
 * validated and cascades, and an index leads with master_flow_id; expected tables exist; no legacy
 * table remains in public. Three catalog queries in all. Each check counts 0 or 1 per table, with
 * the offending constraint or table as its sample.
 */
export async function runSchemaChecks(db: Tx, catalog: Catalog): Promise<CheckResult[]> {
  const checks: CheckResult[] = [];
  const add = (id: string, severity: CheckResult['severity'], table: string | null, failing: string[], description: string) =>
    checks.push({ id, severity, table, count: failing.length, sampleIds: failing, description, kind: 'schema' });

  for (const name of catalog.missingTables) {
    add(`missing_table.${name}`, 'critical', name, [name], `${name} is absent from public or has no master_flow_id column`);
  }
  const names = catalog.tables.map((t) => t.name);
  const rows = await db.execute<LinkCatalogRow>(sql`
    select c.relname as table_name,
      coalesce((
        select json_agg(json_build_object(
          'name', k.conname, 'validated', k.convalidated, 'deltype', k.confdeltype,
          'target', t.relname || case when tn.nspname = 'public' then '' else '@' || tn.nspname end,
          'target_columns', (select array_agg(ta.attname order by ta.attnum) from pg_attribute ta where ta.attrelid = k.confrelid and ta.attnum = any(k.confkey))
        ) order by k.conname)
        from pg_constraint k join pg_class t on t.oid = k.confrelid join pg_namespace tn on tn.oid = t.relnamespace
        where k.conrelid = c.oid and k.contype = 'f' and k.conkey = array[a.attnum]
      ), '[]'::json) as fks,
      array(
        select i.indexrelid::regclass::text from pg_index i
        where i.indrelid = c.oid and i.indkey[0] = a.attnum and i.indisvalid and i.indpred is null
        order by 1
      ) as indexes
    from pg_class c
    join pg_namespace n on n.oid = c.relnamespace and n.nspname = 'public'
    join pg_attribute a on a.attrelid = c.oid and a.attname = ${LINK.masterFlowId} and not a.attisdropped
    where c.relname = any(${sql.param(names)}::text[])`);
  for (const name of names) {
    const row = rows.find((r) => r.table_name === name);
    const fks = row?.fks ?? [];
    const right = fks.filter((f) => f.target === MASTER_TABLE && f.target_columns?.length === 1 && f.target_columns[0] === masterFlows.flowId.name);
    const fk = right.find((f) => f.validated && f.deltype === 'c') ?? right.find((f) => f.validated) ?? right[0];
    add(`fk_missing.${name}`, 'critical', name, fks.length ? [] : [name], `no foreign key on ${name}.master_flow_id`);
    add(
      `fk_wrong_target.${name}`,
      'critical',
      name,
      fks.length && !fk ? fks.map((f) => `${f.name} → ${f.target}(${(f.target_columns ?? []).join(', ')})`) : [],
      `the foreign key on ${name}.master_flow_id does not reference ${MASTER_TABLE}(flow_id)`,
    );
    add(`fk_not_validated.${name}`, 'warning', name, fk && !fk.validated ? [fk.name] : [], `the foreign key on ${name}.master_flow_id is NOT VALID: existing rows were never checked`);
    add(
      `fk_not_cascading.${name}`,
      'warning',
      name,
      fk && fk.deltype !== 'c' ? [`${fk.name} ON DELETE ${ON_DELETE[fk.deltype] ?? fk.deltype}`] : [],
      `the foreign key on ${name}.master_flow_id does not cascade on delete`,
    );
    add(`index_missing.${name}`, 'warning', name, row?.indexes.length ? [] : [name], `no valid index leads with ${name}.master_flow_id`);
  }
  const legacy = await db.execute<{ name: string }>(sql`
    select c.relname as name from pg_class c join pg_namespace n on n.oid = c.relnamespace and n.nspname = 'public'
    where c.relkind in ('r', 'p', 'v', 'm') and (c.relname = any(${sql.param([...LEGACY_TABLES])}::text[]) or c.relname like ${LEGACY_TABLE_PATTERN})
    order by 1`);
  add(
    'legacy_tables.public',
    'warning',
    null,
    legacy.map((r) => r.name),
    `tables of the legacy platform (${LEGACY_TABLES.join(', ')}, v3_*) left in the public schema`,
  );
  return checks;
}
