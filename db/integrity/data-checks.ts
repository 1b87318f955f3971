import { getTableName, sql, type SQL } from 'drizzle-orm';
import { alias } from 'drizzle-orm/pg-core';
import type { Tx } from '../client.ts';
import { dataImports, masterFlows, rawImportRecords } from '../schema/index.ts';
import { KNOWN_FLOW_TYPES, LINK, MASTER_TABLE, UNLINKED_IMPORT_STATES, type Catalog, type ChildTable } from './catalog.ts';
import type { TableProof } from './proofs.ts';
import type { CheckResult, IntegrityScope, TableCounts } from './types.ts';

type Fragment = SQL;

/** The master table as `m`; the child `c` and its parent `p` are catalog tables, their columns named by LINK. */
const m = alias(masterFlows, 'm');
const fromMaster = sql`${masterFlows} m`;
const c = (name: string) => sql`c.${sql.identifier(name)}`;
const p = (name: string) => sql`p.${sql.identifier(name)}`;
const cLink = c(LINK.masterFlowId);

/** One table's checks and statements, for one scope. */
interface TablePlan {
  defs: DataCheck[];
  /** The checks counted in the aggregate pass, in its column order (c0, c1, …). */
  counted: DataCheck[];
  /** The pass reads only the rows that can fail: the table's rows are counted apart (`countRows`). */
  narrowed: boolean;
  aggregate: SQL;
  exactCount: SQL;
  from: Fragment;
}

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
export async function runDataChecks(db: Tx, catalog: Catalog, scope: IntegrityScope, sampleLimit: number, proofs: Map<string, TableProof> | null): Promise<DataCheckResults> {
  const tables: Record<string, TableCounts> = {};
  const checks: CheckResult[] = [];
  // catalog order puts every parent before its children: a child's tenant proof needs its parent's count
  for (const table of catalog.tables) {
    const parentTable = table.parent ? catalog.tables.find((t) => t.name === table.parent!.table) : undefined;
    const parentClean = parentTable ? tables[parentTable.name]?.crossTenant === 0 : false;
    const proof = proofs?.get(table.name) ?? null;
    const plan = tablePlan(table, parentTable, proof, parentClean, scope);
    const [agg] = await db.execute<Record<string, string>>(plan.aggregate);
    const rows = plan.narrowed ? await countRows(db, table, scope, plan.exactCount) : { rows: Number(agg!.rows), estimated: false };
    const counts: TableCounts = { rows: rows.rows, nullMasterFlowId: 0, danglingMasterFlowId: 0, inconsistent: 0, crossTenant: 0 };
    if (rows.estimated) counts.rowsEstimated = true;
    for (const d of plan.defs) {
      const i = plan.counted.indexOf(d);
      const count = i < 0 ? 0 : Number(agg![`c${i}`]);
      if (d.counts) counts[d.counts] = count;
      const sampleIds = count > 0 && sampleLimit > 0 ? await sample(db, sql`select ${rowId(table)} as id ${plan.from} and ${d.where}`, sampleLimit) : [];
      const result: CheckResult = { id: d.id, severity: d.severity, table: table.name, count, sampleIds, description: d.description, kind: 'data' };
      if (d.provenBy) result.provenBy = d.provenBy;
      checks.push(result);
    }
    tables[table.name] = counts;
  }
  const master = await masterChecks(db, scope, sampleLimit);
  return { tables, masterFlowRows: master.rows, checks: [...checks, ...master.checks] };
}

function tablePlan(table: ChildTable, parentTable: ChildTable | undefined, proof: TableProof | null, parentClean: boolean, scope: IntegrityScope): TablePlan {
  const defs = tableChecks(table, parentTable, proof, parentClean, scope);
  const from = fromClause(table, scope);
  const counted = defs.filter((d) => !d.provenBy || d.narrow);
  const narrows = counted.every((d) => d.narrow) ? counted.map((d) => d.narrow!) : null;
  const aggregate = sql`
    select count(*) as rows ${sql.join(counted.map((d, i) => sql`, count(*) filter (where ${d.where}) as ${sql.identifier(`c${i}`)}`))}
    ${from} ${narrows ? sql`and (${sql.join(narrows, sql` or `)})` : sql``}`;
  return { defs, counted, narrowed: narrows !== null, aggregate, exactCount: sql`select count(*) as rows ${from}`, from };
}

/**
 * Rows in scope when no pass read them all: exact with a scope (an index narrows it) or for a small
 * table, else the planner's estimate (pg_class.reltuples, kept by autovacuum), marked as such.
 */
async function countRows(db: Tx, table: ChildTable, scope: IntegrityScope, exactCount: SQL): Promise<{ rows: number; estimated: boolean }> {
  if (!scope.flowId && !scope.clientAccountId && !scope.engagementId) {
    const [stats] = await db.execute<{ estimate: number }>(sql`
      select c.reltuples::float8 as estimate from pg_class c where c.oid = ${`public.${table.name}`}::regclass`);
    const estimate = stats?.estimate ?? -1;
    if (estimate >= EXACT_COUNT_BELOW) return { rows: Math.round(estimate), estimated: true };
  }
  const [exact] = await db.execute<{ rows: string }>(exactCount);
  return { rows: Number(exact!.rows), estimated: false };
}

function tableChecks(table: ChildTable, parentTable: ChildTable | undefined, proof: TableProof | null, parentClean: boolean, scope: IntegrityScope): DataCheck[] {
  const t = table.name;
  const unlinked = sql`${sql.param([...UNLINKED_IMPORT_STATES])}::text[]`;
  const nullLink = sql`${cLink} is null`;
  // When may a row lack its master flow? An import until it is linked; a raw record while its import may.
  let linkOptional: Fragment | null = null;
  // When will no pipeline link it any more? An import still pending or stored past the stale window,
  // or one no workflow ever started (no S3 object: adopted from the legacy database, or made by hand).
  let abandoned: Fragment | null = null;
  const abandonedImport = (col: (name: string) => Fragment, columns: Set<string>) => {
    if (!columns.has(dataImports.createdAt.name) || !columns.has(dataImports.s3Key.name)) return null;
    return sql`(${col(LINK.importStatus)}::text in ('pending', 'stored') and (${col(dataImports.s3Key.name)} is null
      or ${col(dataImports.createdAt.name)} < now() - make_interval(mins => ${scope.staleRunningAfterMinutes})))`;
  };
  if (t === getTableName(dataImports) && table.columns.has(LINK.importStatus)) {
    linkOptional = sql`${c(LINK.importStatus)}::text = any(${unlinked})`;
    abandoned = abandonedImport(c, table.columns);
  }
  if (t === getTableName(rawImportRecords) && parentTable?.name === getTableName(dataImports) && parentTable.columns.has(LINK.importStatus)) {
    linkOptional = sql`${p(LINK.importStatus)}::text = any(${unlinked})`;
    abandoned = abandonedImport(p, parentTable.columns);
  }
  const defs: DataCheck[] = [
    {
      id: `missing_link.${t}`,
      severity: 'critical',
      counts: 'nullMasterFlowId',
      narrow: nullLink,
      description: linkOptional ? `${t} rows without master_flow_id although their import is past the pending/stored/failed states` : `${t} rows without master_flow_id`,
      where: linkOptional ? sql`${nullLink} and not coalesce(${linkOptional}, false)` : nullLink,
    },
  ];
  if (linkOptional && abandoned) {
    defs.push({
      id: `unlinked_stale.${t}`,
      severity: 'warning',
      narrow: nullLink,
      description:
        `${t} rows without master_flow_id whose import no pipeline will link any more (pending or stored for more than ` +
        `${scope.staleRunningAfterMinutes} minutes, or with no S3 object: adopted from the legacy database). ` +
        'Options: `flowlink backfill` (dry run, then --apply) links those it has evidence for; link the rest by hand ' +
        '(master_flow_id on the import and its records, then status linked); or archive them (delete the import, its records go with it)',
      where: sql`${nullLink} and coalesce(${abandoned}, false)`,
    });
  }
  if (linkOptional) {
    defs.push({
      id: `unlinked_pending.${t}`,
      severity: 'info',
      narrow: nullLink,
      description: `${t} rows not linked yet, allowed while the import is pending, stored (within ${scope.staleRunningAfterMinutes} minutes) or failed`,
      where: abandoned ? sql`${nullLink} and coalesce(${linkOptional}, false) and not coalesce(${abandoned}, false)` : sql`${nullLink} and coalesce(${linkOptional}, false)`,
    });
  }
  defs.push({
    id: `dangling_link.${t}`,
    severity: 'critical',
    counts: 'danglingMasterFlowId',
    ...proven(proof?.masterFk),
    description: `${t} rows whose master_flow_id matches no flow_id of ${MASTER_TABLE}`,
    where: sql`${cLink} is not null and ${m.flowId} is null`,
  });
  if (table.parent) {
    defs.push({
      id: `inconsistent_link.${t}`,
      severity: 'critical',
      counts: 'inconsistent',
      ...proven(proof?.parentFk),
      description: `${t} rows whose master_flow_id differs from that of their ${table.parent.table} row (${table.parent.column})`,
      // a dangling link is reported as dangling only: each bad row counts once
      where: sql`${m.flowId} is not null and ${p(LINK.id)} is not null and ${cLink} is distinct from ${p(LINK.masterFlowId)}`,
    });
  }
  const tenantColumns = [LINK.clientAccountId, LINK.engagementId].filter((name) => table.columns.has(name));
  if (tenantColumns.length) {
    const differs = sql`${m.flowId} is not null and (${sql.join(
      tenantColumns.map((name) => sql`${c(name)} is distinct from m.${sql.identifier(name)}`),
      sql` or `,
    )})`;
    const check: DataCheck = {
      id: `cross_tenant.${t}`,
      severity: 'critical',
      counts: 'crossTenant',
      description: `${t} rows whose ${tenantColumns.join('/')} differ from their master flow's`,
      where: differs,
    };
    // same tenant and master flow as a parent that is itself within its master flow's tenant:
    // only the rows without a parent are left to read
    if (table.parent && proof?.parentFk && proof.parentFkCarriesTenant && parentClean) {
      const orphanOfParent = sql`${c(table.parent.column)} is null`;
      Object.assign(check, { provenBy: proof.parentFk, narrow: orphanOfParent, where: sql`${orphanOfParent} and ${differs}` });
    }
    defs.push(check);
  }
  return defs;
}

const proven = (constraint: string | null | undefined) => (constraint ? { provenBy: constraint } : {});

/** FROM … WHERE <scope> for a child table (aliases c, p, m); callers append `and <predicate>`. */
function fromClause(table: ChildTable, scope: IntegrityScope): Fragment {
  const parent = table.parent;
  const parentJoin = parent ? sql`left join ${sql.identifier(parent.table)} p on ${p(LINK.id)} = ${c(parent.column)}` : sql``;
  const filters: Fragment[] = [sql`true`];
  if (scope.flowId) {
    // A flow's rows: those pointing at it, and those whose parent does (an unlinked raw record of its import).
    filters.push(
      parent
        ? sql`(${cLink} = ${scope.flowId} or ${c(parent.column)} = any(array(select ${sql.identifier(LINK.id)} from ${sql.identifier(parent.table)} where ${sql.identifier(LINK.masterFlowId)} = ${scope.flowId})))`
        : sql`${cLink} = ${scope.flowId}`,
    );
  }
  for (const [name, value] of [
    [LINK.clientAccountId, scope.clientAccountId],
    [LINK.engagementId, scope.engagementId],
  ] as const) {
    if (value) filters.push(table.columns.has(name) ? sql`${c(name)} = ${value}` : sql`m.${sql.identifier(name)} = ${value}`);
  }
  return sql`from ${sql.identifier(table.name)} c ${parentJoin}
    left join ${fromMaster} on ${m.flowId} = ${cLink}
    where ${sql.join(filters, sql` and `)}`;
}

interface MasterPlan {
  defs: DataCheck[];
  aggregate: SQL;
  from: Fragment;
}

function masterPlan(scope: IntegrityScope): MasterPlan {
  const filters: Fragment[] = [sql`true`];
  if (scope.flowId) filters.push(sql`${m.flowId} = ${scope.flowId}`);
  if (scope.clientAccountId) filters.push(sql`${m.clientAccountId} = ${scope.clientAccountId}`);
  if (scope.engagementId) filters.push(sql`${m.engagementId} = ${scope.engagementId}`);
  const from = sql`from ${fromMaster} where ${sql.join(filters, sql` and `)}`;
  const defs: DataCheck[] = [
    {
      id: `unknown_flow_type.${MASTER_TABLE}`,
      severity: 'warning',
      description: `master flows whose flow_type is not one of ${KNOWN_FLOW_TYPES.join(', ')}`,
      where: sql`(${m.flowType} is null or ${m.flowType}::text <> all(${sql.param([...KNOWN_FLOW_TYPES])}::text[]))`,
    },
    {
      id: `stuck_running.${MASTER_TABLE}`,
      severity: 'warning',
      description: `master flows running for more than ${scope.staleRunningAfterMinutes} minutes without an update`,
      where: sql`${m.flowStatus}::text = 'running'
        and coalesce(${m.updatedAt}, ${m.createdAt}) < now() - make_interval(mins => ${scope.staleRunningAfterMinutes})`,
    },
  ];
  const aggregate = sql`
    select count(*) as rows ${sql.join(defs.map((d, i) => sql`, count(*) filter (where ${d.where}) as ${sql.identifier(`c${i}`)}`))} ${from}`;
  return { defs, aggregate, from };
}

async function masterChecks(db: Tx, scope: IntegrityScope, sampleLimit: number) {
  const plan = masterPlan(scope);
  const [agg] = await db.execute<Record<string, string>>(plan.aggregate);
  const checks: CheckResult[] = [];
  for (const [i, d] of plan.defs.entries()) {
    const count = Number(agg![`c${i}`]);
    const sampleIds = count > 0 && sampleLimit > 0 ? await sample(db, sql`select ${m.flowId} as id ${plan.from} and ${d.where}`, sampleLimit) : [];
    checks.push({ id: d.id, severity: d.severity, table: MASTER_TABLE, count, sampleIds, description: d.description, kind: 'data' });
  }
  return { rows: Number(agg!.rows), checks };
}

/** Up to `limit` ids of the rows `query` selects, sorted so reports are stable. */
async function sample(db: Tx, query: Fragment, limit: number): Promise<string[]> {
  const rows = await db.execute<{ id: string }>(sql`select id::text as id from (${query} limit ${limit}) s`);
  return [...rows].map((r) => r.id).sort();
}

/** A table without an id column (possible on an adopted database) is sampled by its ctid. */
function rowId(table: ChildTable): Fragment {
  return table.columns.has(LINK.id) ? c(LINK.id) : sql`c.ctid`;
}
