import type { Sql } from '../../db/client.ts';

/**
 * The public schema as the catalog describes it, as sorted text lines: columns in their order
 * (live columns only) with type, nullability and default; constraints with their definition and
 * validation state; indexes; enum labels; triggers; functions; row-level security (enabled,
 * forced, policies) and what each flowlink role may do on each table and function. Two databases
 * with equal dumps have the same schema and the same access rules.
 */
export async function dumpPublicSchema(sql: Sql): Promise<string[]> {
  const rows = await sql<{ line: string }[]>`
    select format('table %s', c.relname) as line
      from pg_class c where c.relnamespace = 'public'::regnamespace and c.relkind in ('r', 'p', 'v', 'm', 'S', 'f')
    union all
    select format('column %s.%s #%s %s%s default %s', c.relname, a.attname,
             row_number() over (partition by c.oid order by a.attnum), format_type(a.atttypid, a.atttypmod),
             case when a.attnotnull then ' not null' else '' end, coalesce(pg_get_expr(d.adbin, d.adrelid), '-'))
      from pg_attribute a join pg_class c on c.oid = a.attrelid
      left join pg_attrdef d on d.adrelid = a.attrelid and d.adnum = a.attnum
      where c.relnamespace = 'public'::regnamespace and c.relkind in ('r', 'p') and a.attnum > 0 and not a.attisdropped
    union all
    select format('constraint %s.%s %s %s validated=%s deferrable=%s', c.relname, k.conname, k.contype, pg_get_constraintdef(k.oid),
             k.convalidated, k.condeferrable)
      from pg_constraint k join pg_class c on c.oid = k.conrelid where c.relnamespace = 'public'::regnamespace
    union all
    select format('index %s valid=%s', pg_get_indexdef(i.indexrelid), i.indisvalid)
      from pg_index i join pg_class c on c.oid = i.indrelid where c.relnamespace = 'public'::regnamespace
    union all
    select format('enum %s %s', t.typname, (select string_agg(e.enumlabel, ',' order by e.enumsortorder) from pg_enum e where e.enumtypid = t.oid))
      from pg_type t where t.typnamespace = 'public'::regnamespace and t.typtype = 'e'
    union all
    select format('type %s %s', t.typname, t.typtype)
      from pg_type t where t.typnamespace = 'public'::regnamespace and t.typtype in ('d', 'r', 'm')
    union all
    select format('trigger %s', pg_get_triggerdef(g.oid))
      from pg_trigger g join pg_class c on c.oid = g.tgrelid where c.relnamespace = 'public'::regnamespace and not g.tgisinternal
    union all
    select format('function %s', pg_get_functiondef(p.oid))
      from pg_proc p where p.pronamespace = 'public'::regnamespace
    union all
    select format('sequence %s', c.relname) from pg_class c where c.relnamespace = 'public'::regnamespace and c.relkind = 'S'
    union all
    select format('rls %s enabled=%s forced=%s', c.relname, c.relrowsecurity, c.relforcerowsecurity)
      from pg_class c where c.relnamespace = 'public'::regnamespace and c.relkind in ('r', 'p')
    union all
    select format('policy %s.%s %s %s to %s using %s check %s', p.tablename, p.policyname, p.permissive, p.cmd, p.roles, p.qual, p.with_check)
      from pg_policies p where p.schemaname = 'public'
    union all
    select format('grant %s on %s to %s', g.privilege_type, g.table_name, g.grantee)
      from information_schema.role_table_grants g where g.table_schema = 'public' and g.grantee like 'flowlink\_%'
    union all
    select format('grant execute on %s to %s', r.routine_name, r.grantee)
      from information_schema.role_routine_grants r where r.routine_schema = 'public' and r.grantee like 'flowlink\_%'`;
  return rows.map((r) => r.line).sort();
}
