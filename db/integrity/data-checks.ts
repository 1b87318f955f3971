import type { PendingQuery, Row } from 'postgres';
import type { Sql } from '../client.ts';
import { KNOWN_FLOW_TYPES, MASTER_TABLE, UNLINKED_IMPORT_STATES, type Catalog, type ChildTable } from './catalog.ts';
import type { TableProof } from './proofs.ts';
import type { CheckResult, IntegrityScope, TableCounts } from './types.ts';

type Fragment = PendingQuery<Row[]>;

/** One data check of one table: its counting predicate over the aliases c (child), p (parent), m (master). */
interface DataCheck {
  id: string;
  severity: CheckResult['severity'];
  description: string;
  counts?: keyof Omit<TableCounts, 'rows' | 'rowsEstimated'>;
  where: Fragment;
  /** The only rows that can fail the check (an indexed predicate); absent: every row must be read. */
  narrow?: Fragment;
  /** The constraint that proves the rows outside `narrow` (or all rows, without `narrow`) pass. */
  provenBy?: string;
}

export interface DataCheckResults {
  tables: Record<string, TableCounts>;
  masterFlowRows: number;
  checks: CheckResult[];
}

/** Below this many rows (planner estimate) a table is counted exactly even when no check reads it. */
export const EXACT_COUNT_BELOW = 100_000;

/**
 * Runs the data checks within the scope. A check that a foreign key in force proves (`proofs`,
 * see proofs.ts) is not counted row by row: its count is 0 by the database's own guarantee and the
 * report names the key. What no key proves is counted, per table in ONE aggregate pass over only
 * the rows that can fail (those without a master flow, through its index), or over every row
 * (hash joins to the parent and the master table) when a key is missing, NOT VALID or disabled, or
 * with `proofs` null (a deep check). Then only the checks that found something fetch their sample
 * ids, each with one LIMITed query. No per-row or per-flow queries.
 */
export async function runDataChecks(
  sql: Sql, catalog: Catalog, scope: IntegrityScope, sampleLimit: number, proofs: Map<string, TableProof> | null,
): Promise<DataCheckResults> {
  const tables: Record<string, TableCounts> = {};
  const checks: CheckResult[] = [];
  // catalog order puts every parent before its children: a child's tenant proof needs its parent's count
  for (const table of catalog.tables) {
    const parentTable = table.parent ? catalog.tables.find((t) => t.name === table.parent!.table) : undefined;
    const parentClean = parentTable ? tables[parentTable.name]?.crossTenant === 0 : false;
    const defs = tableChecks(sql, table, parentTable, proofs?.get(table.name) ?? null, parentClean, scope);
    const from = fromClause(sql, table, scope);
    const counted = defs.filter((d) => !d.provenBy || d.narrow);
    const narrows = counted.every((d) => d.narrow) ? counted.map((d) => d.narrow!) : null;
    const [agg] = await sql<Record<string, string>[]>`
      select count(*) as rows ${counted.map((d, i) => sql`, count(*) filter (where ${d.where}) as ${sql(`c${i}`)}`)}
      ${from} ${narrows ? sql`and (${join(sql, narrows, sql` or `)})` : sql``}`;
    const rows = narrows ? await countRows(sql, table, scope, from) : { rows: Number(agg!.rows), estimated: false };
    const counts: TableCounts = { rows: rows.rows, nullMasterFlowId: 0, danglingMasterFlowId: 0, inconsistent: 0, crossTenant: 0 };
    if (rows.estimated) counts.rowsEstimated = true;
    for (const d of defs) {
      const i = counted.indexOf(d);
      const count = i < 0 ? 0 : Number(agg![`c${i}`]);
      if (d.counts) counts[d.counts] = count;
      const sampleIds = count > 0 && sampleLimit > 0 ? await sample(sql, sql`select ${rowId(sql, table)} as id ${from} and ${d.where}`, sampleLimit) : [];
      const result: CheckResult = { id: d.id, severity: d.severity, table: table.name, count, sampleIds, description: d.description, kind: 'data' };
      if (d.provenBy) result.provenBy = d.provenBy;
      checks.push(result);
    }
    tables[table.name] = counts;
  }
  const master = await masterChecks(sql, scope, sampleLimit);
  return { tables, masterFlowRows: master.rows, checks: [...checks, ...master.checks] };
}

/**
 * Rows in scope when no pass read them all: exact with a scope (an index narrows it) or for a small
 * table, else the planner's estimate (pg_class.reltuples, kept by autovacuum), marked as such.
 */
async function countRows(sql: Sql, table: ChildTable, scope: IntegrityScope, from: Fragment): Promise<{ rows: number; estimated: boolean }> {
  if (!scope.flowId && !scope.clientAccountId && !scope.engagementId) {
    const [stats] = await sql<{ estimate: number }[]>`
      select c.reltuples::float8 as estimate from pg_class c where c.oid = ${`public.${table.name}`}::regclass`;
    const estimate = stats?.estimate ?? -1;
    if (estimate >= EXACT_COUNT_BELOW) return { rows: Math.round(estimate), estimated: true };
  }
  const [exact] = await sql<{ rows: string }[]>`select count(*) as rows ${from}`;
  return { rows: Number(exact!.rows), estimated: false };
}

function tableChecks(sql: Sql, table: ChildTable, parentTable: ChildTable | undefined, proof: TableProof | null, parentClean: boolean, scope: IntegrityScope): DataCheck[] {
  const t = table.name;
  const unlinked = sql`${sql.array([...UNLINKED_IMPORT_STATES])}::text[]`;
  const nullLink = sql`c.master_flow_id is null`;
  // When may a row lack its master flow? An import until it is linked; a raw record while its import may.
  let linkOptional: Fragment | null = null;
  // When will no pipeline link it any more? An import still pending or stored past the stale window,
  // or one no workflow ever started (no S3 object: adopted from the legacy database, or made by hand).
  let abandoned: Fragment | null = null;
  const abandonedImport = (i: string, columns: Set<string>) => {
    if (!columns.has('created_at') || !columns.has('s3_key')) return null;
    return sql`(${sql(i)}.status::text in ('pending', 'stored') and (${sql(i)}.s3_key is null
      or ${sql(i)}.created_at < now() - make_interval(mins => ${scope.staleRunningAfterMinutes})))`;
  };
  if (t === 'data_imports' && table.columns.has('status')) {
    linkOptional = sql`c.status::text = any(${unlinked})`;
    abandoned = abandonedImport('c', table.columns);
  }
  if (t === 'raw_import_records' && parentTable?.name === 'data_imports' && parentTable.columns.has('status')) {
    linkOptional = sql`p.status::text = any(${unlinked})`;
    abandoned = abandonedImport('p', parentTable.columns);
  }
  const defs: DataCheck[] = [{
    id: `missing_link.${t}`, severity: 'critical', counts: 'nullMasterFlowId', narrow: nullLink,
    description: linkOptional
      ? `${t} rows without master_flow_id although their import is past the pending/stored/failed states`
      : `${t} rows without master_flow_id`,
    where: linkOptional ? sql`c.master_flow_id is null and not coalesce(${linkOptional}, false)` : nullLink,
  }];
  if (linkOptional && abandoned) {
    defs.push({
      id: `unlinked_stale.${t}`, severity: 'warning', narrow: nullLink,
      description: `${t} rows without master_flow_id whose import no pipeline will link any more (pending or stored for more than `
        + `${scope.staleRunningAfterMinutes} minutes, or with no S3 object: adopted from the legacy database). `
        + 'Options: `flowlink backfill` (dry run, then --apply) links those it has evidence for; link the rest by hand '
        + '(master_flow_id on the import and its records, then status linked); or archive them (delete the import, its records go with it)',
      where: sql`c.master_flow_id is null and coalesce(${abandoned}, false)`,
    });
  }
  if (linkOptional) {
    defs.push({
      id: `unlinked_pending.${t}`, severity: 'info', narrow: nullLink,
      description: `${t} rows not linked yet, allowed while the import is pending, stored (within ${scope.staleRunningAfterMinutes} minutes) or failed`,
      where: abandoned
        ? sql`c.master_flow_id is null and coalesce(${linkOptional}, false) and not coalesce(${abandoned}, false)`
        : sql`c.master_flow_id is null and coalesce(${linkOptional}, false)`,
    });
  }
  defs.push({
    id: `dangling_link.${t}`, severity: 'critical', counts: 'danglingMasterFlowId', ...proven(proof?.masterFk),
    description: `${t} rows whose master_flow_id matches no flow_id of ${MASTER_TABLE}`,
    where: sql`c.master_flow_id is not null and m.flow_id is null`,
  });
  if (table.parent) {
    defs.push({
      id: `inconsistent_link.${t}`, severity: 'critical', counts: 'inconsistent', ...proven(proof?.parentFk),
      description: `${t} rows whose master_flow_id differs from that of their ${table.parent.table} row (${table.parent.column})`,
      // a dangling link is reported as dangling only: each bad row counts once
      where: sql`m.flow_id is not null and p.id is not null and c.master_flow_id is distinct from p.master_flow_id`,
    });
  }
  const tenantColumns = ['client_account_id', 'engagement_id'].filter((c) => table.columns.has(c));
  if (tenantColumns.length) {
    const differs = sql`m.flow_id is not null and (${join(sql, tenantColumns.map((c) => sql`c.${sql(c)} is distinct from m.${sql(c)}`), sql` or `)})`;
    const check: DataCheck = {
      id: `cross_tenant.${t}`, severity: 'critical', counts: 'crossTenant',
      description: `${t} rows whose ${tenantColumns.join('/')} differ from their master flow's`,
      where: differs,
    };
    // same tenant and master flow as a parent that is itself within its master flow's tenant:
    // only the rows without a parent are left to read
    if (table.parent && proof?.parentFk && proof.parentFkCarriesTenant && parentClean) {
      const orphanOfParent = sql`c.${sql(table.parent.column)} is null`;
      Object.assign(check, { provenBy: proof.parentFk, narrow: orphanOfParent, where: sql`${orphanOfParent} and ${differs}` });
    }
    defs.push(check);
  }
  return defs;
}

const proven = (constraint: string | null | undefined) => (constraint ? { provenBy: constraint } : {});

/** FROM … WHERE <scope> for a child table (aliases c, p, m); callers append `and <predicate>`. */
function fromClause(sql: Sql, table: ChildTable, scope: IntegrityScope): Fragment {
  const parent = table.parent;
  const parentJoin = parent ? sql`left join ${sql(parent.table)} p on p.id = c.${sql(parent.column)}` : sql``;
  const filters: Fragment[] = [sql`true`];
  if (scope.flowId) {
    // A flow's rows: those pointing at it, and those whose parent does (an unlinked raw record of its import).
    filters.push(parent
      ? sql`(c.master_flow_id = ${scope.flowId} or c.${sql(parent.column)} = any(array(select id from ${sql(parent.table)} where master_flow_id = ${scope.flowId})))`
      : sql`c.master_flow_id = ${scope.flowId}`);
  }
  for (const [column, value] of [['client_account_id', scope.clientAccountId], ['engagement_id', scope.engagementId]] as const) {
    if (value) filters.push(table.columns.has(column) ? sql`c.${sql(column)} = ${value}` : sql`m.${sql(column)} = ${value}`);
  }
  return sql`from ${sql(table.name)} c ${parentJoin}
    left join ${sql(MASTER_TABLE)} m on m.flow_id = c.master_flow_id
    where ${join(sql, filters, sql` and `)}`;
}

async function masterChecks(sql: Sql, scope: IntegrityScope, sampleLimit: number) {
  const filters: Fragment[] = [sql`true`];
  if (scope.flowId) filters.push(sql`m.flow_id = ${scope.flowId}`);
  if (scope.clientAccountId) filters.push(sql`m.client_account_id = ${scope.clientAccountId}`);
  if (scope.engagementId) filters.push(sql`m.engagement_id = ${scope.engagementId}`);
  const from = sql`from ${sql(MASTER_TABLE)} m where ${join(sql, filters, sql` and `)}`;
  const defs: DataCheck[] = [
    {
      id: `unknown_flow_type.${MASTER_TABLE}`, severity: 'warning',
      description: `master flows whose flow_type is not one of ${KNOWN_FLOW_TYPES.join(', ')}`,
      where: sql`(m.flow_type is null or m.flow_type::text <> all(${sql.array([...KNOWN_FLOW_TYPES])}::text[]))`,
    },
    {
      id: `stuck_running.${MASTER_TABLE}`, severity: 'warning',
      description: `master flows running for more than ${scope.staleRunningAfterMinutes} minutes without an update`,
      where: sql`m.flow_status::text = 'running'
        and coalesce(m.updated_at, m.created_at) < now() - make_interval(mins => ${scope.staleRunningAfterMinutes})`,
    },
  ];
  const [agg] = await sql<Record<string, string>[]>`
    select count(*) as rows ${defs.map((d, i) => sql`, count(*) filter (where ${d.where}) as ${sql(`c${i}`)}`)} ${from}`;
  const checks: CheckResult[] = [];
  for (const [i, d] of defs.entries()) {
    const count = Number(agg![`c${i}`]);
    const sampleIds = count > 0 && sampleLimit > 0 ? await sample(sql, sql`select m.flow_id as id ${from} and ${d.where}`, sampleLimit) : [];
    checks.push({ id: d.id, severity: d.severity, table: MASTER_TABLE, count, sampleIds, description: d.description, kind: 'data' });
  }
  return { rows: Number(agg!.rows), checks };
}

/** Up to `limit` ids of the rows a query selects, sorted so reports are stable. */
async function sample(sql: Sql, query: Fragment, limit: number): Promise<string[]> {
  const rows = await sql<{ id: string }[]>`select id::text as id from (${query} limit ${limit}) s`;
  return rows.map((r) => r.id).sort();
}

/** A table without an id column (possible on an adopted database) is sampled by its ctid. */
function rowId(sql: Sql, table: ChildTable): Fragment {
  return table.columns.has('id') ? sql`c.id` : sql`c.ctid`;
}

function join(sql: Sql, parts: Fragment[], separator: Fragment): Fragment {
  return parts.slice(1).reduce<Fragment>((acc, part) => sql`${acc} ${separator} ${part}`, parts[0] ?? sql``);
}
