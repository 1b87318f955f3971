import { getTableName, isNotNull, isNull, sql, type SQL } from 'drizzle-orm';
import { alias } from 'drizzle-orm/pg-core';
import { UNLINKED_REASON } from '../adoption/convert.ts';
import type { Tx } from '../client.ts';
import { selectRows } from '../queries/sql.ts';
import { assets, dataImports, discoveryFlows, importFieldMappings, masterFlows, quarantinedRows, rawImportRecords } from '../schema/index.ts';
import { bfEvidence, bfImportFlow, bfLinks, bfPending, bfRecords, bfUnresolved } from './work-tables.ts';

const tableName = getTableName;
// aliases of the schema's tables: `${d.masterFlowId}` is "d"."master_flow_id", `${dataImports} ${d}` the FROM item
const d = alias(dataImports, 'd');
const i = alias(dataImports, 'i');
const q = alias(quarantinedRows, 'q');
const m = alias(masterFlows, 'm');
const r = alias(rawImportRecords, 'r');

export interface BackfillOptions {
  /** Only rows of this client account. */
  clientAccountId?: string;
  /** Proximity window for data imports, seconds (default 2 h). */
  windowImportsSeconds?: number;
  /** Proximity window for assets, seconds (default 1 h). */
  windowAssetsSeconds?: number;
}

/** One row linked (every table but raw_import_records, which are linked per data import). */
export interface BackfillLink {
  table: string;
  rowId: string;
  flowId: string;
  evidence: string;
  distanceSeconds: number | null;
  /** Set when the row is released from public.quarantined_rows rather than updated in place. */
  quarantineId: string | null;
}

/** The raw records of one data import without a master flow: they follow their import's (evidence `import`). */
export interface BackfillRecordLink {
  dataImportId: string;
  flowId: string;
  records: number;
}

export interface BackfillUnresolved {
  table: string;
  rowId: string;
  reason: string;
}

/** Raw records of one data import that cannot be linked: their import has no master flow. */
export interface BackfillUnresolvedRecords {
  dataImportId: string;
  records: number;
  reason: string;
}

export interface BackfillPlan {
  links: BackfillLink[];
  /** raw_import_records, one line per data import, not per record. */
  recordLinks: BackfillRecordLink[];
  unresolved: BackfillUnresolved[];
  unresolvedRecords: BackfillUnresolvedRecords[];
  /** Rows per table; raw_import_records counted in records, not in import lines. */
  totals: Record<string, { linked: number; released: number; unresolved: number }>;
}

export const DEFAULT_WINDOW_IMPORTS_SECONDS = 2 * 3600;
export const DEFAULT_WINDOW_ASSETS_SECONDS = 3600;

/**
 * Builds the plan in temporary tables of the transaction (bf_pending, bf_links, bf_unresolved, and
 * bf_records: raw records per data import, with their import's flow or none),
 * one set-based statement per kind of evidence, in dependency order: imports, then what follows
 * an import (raw records, field mappings, discovery flows), then assets (which follow discovery
 * flows). Evidence first; timestamp proximity only for imports and assets without any evidence,
 * within the window, the same client account and engagement, discovery flows only, never a flow
 * that evidence gives to another import, and only when exactly one candidate is nearest.
 */
export async function buildPlan(tx: Tx, options: BackfillOptions = {}): Promise<void> {
  const client = options.clientAccountId ?? null;
  const windowImports = options.windowImportsSeconds ?? DEFAULT_WINDOW_IMPORTS_SECONDS;
  const windowAssets = options.windowAssetsSeconds ?? DEFAULT_WINDOW_ASSETS_SECONDS;
  const [{ archive }] = (await tx.execute<{ archive: boolean }>(sql`select to_regclass('legacy_archive.discovery_flows') is not null as archive`)) as unknown as [{ archive: boolean }];
  const ofClient = (column: SQL) => sql`(${client}::uuid is null or ${column} = ${client}::uuid)`;

  // work tables: DDL Drizzle has no statement for (temporary, dropped at commit); columns as in work-tables.ts
  await tx.execute(sql`create temp table ${bfPending} (table_name text not null, row_id uuid not null, client_account_id uuid, engagement_id uuid,
    created_at timestamptz, data_import_id uuid, discovery_flow_id uuid, legacy_flow_id uuid, quarantine_id uuid) on commit drop`);
  await tx.execute(sql`create temp table ${bfEvidence} (table_name text not null, row_id uuid not null, flow_id uuid not null, kind text not null) on commit drop`);
  await tx.execute(sql`create temp table ${bfLinks} (table_name text not null, row_id uuid not null, flow_id uuid not null, evidence text not null,
    distance_seconds double precision, quarantine_id uuid, client_account_id uuid, engagement_id uuid) on commit drop`);
  await tx.execute(sql`create temp table ${bfUnresolved} (table_name text not null, row_id uuid not null, reason text not null) on commit drop`);

  // pending: live imports without a master flow, and rows adoption quarantined only for lacking one
  await tx.execute(sql`insert into ${bfPending} (table_name, row_id, client_account_id, engagement_id, created_at)
    select ${tableName(dataImports)}, ${d.id}, ${d.clientAccountId}, ${d.engagementId}, ${d.createdAt} from ${dataImports} ${d}
    where ${d.masterFlowId} is null and ${ofClient(sql`${d.clientAccountId}`)}`);
  if (archive) {
    // tenant columns the legacy row lacks come from its import, as adoption fills them
    await tx.execute(sql`insert into ${bfPending}
      select ${q.sourceTable}, ${q.rowId}::uuid, coalesce(${q.clientAccountId}, ${i.clientAccountId}), coalesce(${q.engagementId}, ${i.engagementId}),
        (${q.originalRow} ->> 'created_at')::timestamptz, (${q.originalRow} ->> 'data_import_id')::uuid,
        (${q.originalRow} ->> 'discovery_flow_id')::uuid,
        case when ${q.sourceTable} = ${tableName(discoveryFlows)} then (${q.originalRow} ->> 'flow_id')::uuid end, ${q.id}
      from ${quarantinedRows} ${q} left join ${dataImports} ${i} on ${i.id} = (${q.originalRow} ->> 'data_import_id')::uuid
      where ${q.releasedAt} is null and ${q.reason} like ${UNLINKED_REASON + '%'}
        and ${q.sourceTable} in (${tableName(discoveryFlows)}, ${tableName(importFieldMappings)}, ${tableName(assets)})
        and ${ofClient(sql`coalesce(${q.clientAccountId}, ${i.clientAccountId})`)}`);
  }
  await tx.execute(sql`analyze ${bfPending}`);

  // imports: a master flow naming the import in its configuration, persistence data or name
  await tx.execute(sql`insert into ${bfEvidence}
    select ${tableName(dataImports)}, p.row_id, n.flow_id, n.kind from ${bfPending} p
    join (select ${m.flowId}, 'flow_configuration' as kind, ${m.flowConfiguration} ->> 'import_id' as named from ${masterFlows} ${m}
          union all select ${m.flowId}, 'flow_configuration', ${m.flowConfiguration} ->> 'data_import_id' from ${masterFlows} ${m}
          union all select ${m.flowId}, 'flow_persistence_data', ${m.flowPersistenceData} ->> 'data_import_id' from ${masterFlows} ${m}
          union all select ${m.flowId}, 'flow_name', substring(${m.flowName} from '^Discovery Import (.+)$') from ${masterFlows} ${m}) n
      on n.named = p.row_id::text
    where p.table_name = ${tableName(dataImports)}`);
  // … a discovery flow, raw record or field mapping of the import that carries a master flow
  await tx.execute(sql`insert into ${bfEvidence}
    select ${tableName(dataImports)}, p.row_id, c.master_flow_id, c.kind from ${bfPending} p
    join (select ${discoveryFlows.dataImportId} as data_import_id, ${discoveryFlows.masterFlowId} as master_flow_id, 'discovery_flow' as kind from ${discoveryFlows}
          union all select distinct ${rawImportRecords.dataImportId}, ${rawImportRecords.masterFlowId}, 'raw_records' from ${rawImportRecords}
            where ${rawImportRecords.masterFlowId} is not null
          union all select ${importFieldMappings.dataImportId}, ${importFieldMappings.masterFlowId}, 'field_mappings' from ${importFieldMappings}) c
      on c.data_import_id = p.row_id
    where p.table_name = ${tableName(dataImports)}`);
  await resolveByEvidence(tx, tableName(dataImports));

  // proximity for imports without evidence; flows evidence gives to an import are never candidates
  // rows reaching proximity have no evidence, so every evidence row belongs to another import
  await proximity(
    tx,
    tableName(dataImports),
    windowImports,
    sql`
    ${m.flowId} not in (select ${d.masterFlowId} from ${dataImports} ${d} where ${d.masterFlowId} is not null)
    and ${m.flowId} not in (select e.flow_id from ${bfEvidence} e where e.table_name = ${tableName(dataImports)})
    and coalesce(${m.flowConfiguration} ->> 'import_id', ${m.flowConfiguration} ->> 'data_import_id',
      ${m.flowPersistenceData} ->> 'data_import_id', substring(${m.flowName} from '^Discovery Import (.+)$')) is null`,
  );

  // the import's master flow: existing, or linked by this plan
  await tx.execute(sql`create temp table ${bfImportFlow} on commit drop as
    select ${d.id} as data_import_id, ${d.masterFlowId} as flow_id from ${dataImports} ${d} where ${d.masterFlowId} is not null
    union all select l.row_id, l.flow_id from ${bfLinks} l where l.table_name = ${tableName(dataImports)}`);
  await tx.execute(sql`create index on ${bfImportFlow} (data_import_id)`);
  await tx.execute(sql`analyze ${bfImportFlow}`);
  // raw records follow their import: counted per import in one scan, never listed one by one
  await tx.execute(sql`create temp table ${bfRecords} on commit drop as
    select ${r.dataImportId} as data_import_id, f.flow_id, count(*)::int as records
    from ${rawImportRecords} ${r} left join ${bfImportFlow} f on f.data_import_id = ${r.dataImportId}
    where ${r.masterFlowId} is null and ${ofClient(sql`${r.clientAccountId}`)}
    group by ${r.dataImportId}, f.flow_id`);
  await tx.execute(sql`insert into ${bfEvidence}
    select p.table_name, p.row_id, f.flow_id, 'import' from ${bfPending} p join ${bfImportFlow} f on f.data_import_id = p.data_import_id
    where p.table_name in (${tableName(importFieldMappings)}, ${tableName(discoveryFlows)})`);
  await tx.execute(sql`insert into ${bfEvidence}
    select p.table_name, p.row_id, ${m.flowId}, 'same_flow_id' from ${bfPending} p join ${masterFlows} ${m} on ${m.flowId} = p.legacy_flow_id
    where p.table_name = ${tableName(discoveryFlows)}`);
  await resolveByEvidence(tx, tableName(importFieldMappings));
  await resolveByEvidence(tx, tableName(discoveryFlows), sql`${m.flowType} = 'discovery'`);
  // one discovery flow per master flow: a flow that already has one, or that two rows would share, is not given
  await tx.execute(sql`with taken as (
      select l.row_id, l.flow_id, coalesce((select ${discoveryFlows.id}::text from ${discoveryFlows} where ${discoveryFlows.masterFlowId} = l.flow_id),
        (select string_agg(o.row_id::text, ', ') from ${bfLinks} o where o.table_name = ${tableName(discoveryFlows)} and o.flow_id = l.flow_id and o.row_id <> l.row_id)) as other
      from ${bfLinks} l where l.table_name = ${tableName(discoveryFlows)}),
    moved as (delete from ${bfLinks} l using taken t where l.table_name = ${tableName(discoveryFlows)} and l.row_id = t.row_id and t.other is not null returning t.*)
    insert into ${bfUnresolved} select ${tableName(discoveryFlows)}, row_id, format('master flow %s already has discovery flow %s', flow_id, other) from moved`);

  // assets: their discovery flow's master flow, existing or released by this plan; else proximity
  await tx.execute(sql`insert into ${bfEvidence}
    select ${tableName(assets)}, p.row_id, f.flow_id, 'discovery_flow' from ${bfPending} p
    join (select ${discoveryFlows.id} as id, ${discoveryFlows.masterFlowId} as flow_id from ${discoveryFlows}
          union all select row_id, flow_id from ${bfLinks} where table_name = ${tableName(discoveryFlows)}) f on f.id = p.discovery_flow_id
    where p.table_name = ${tableName(assets)}`);
  await resolveByEvidence(tx, tableName(assets));
  await proximity(tx, tableName(assets), windowAssets, sql`true`);

  for (const table of [tableName(importFieldMappings), tableName(discoveryFlows)]) {
    await tx.execute(sql`insert into ${bfUnresolved} select p.table_name, p.row_id,
        case when p.data_import_id is null then 'no evidence: no data import, and its flow_id names no master flow'
             else format('no evidence: its data import %s has no master flow', p.data_import_id) end
      from ${bfPending} p where p.table_name = ${table}
        and not exists (select 1 from ${bfLinks} l where l.table_name = p.table_name and l.row_id = p.row_id)
        and not exists (select 1 from ${bfUnresolved} u where u.table_name = p.table_name and u.row_id = p.row_id)`);
  }
  await tx.execute(sql`update ${bfLinks} l set quarantine_id = p.quarantine_id, client_account_id = p.client_account_id, engagement_id = p.engagement_id
    from ${bfPending} p where p.table_name = l.table_name and p.row_id = l.row_id`);
}

/** Rows whose evidence names exactly one flow (of their tenant, and matching `flowFilter`) are linked; several flows are a conflict. */
async function resolveByEvidence(tx: Tx, table: string, flowFilter: SQL = sql`true`) {
  await tx.execute(sql`insert into ${bfLinks} (table_name, row_id, flow_id, evidence)
    select e.table_name, e.row_id, min(e.flow_id::text)::uuid, string_agg(distinct e.kind, '+')
    from ${bfEvidence} e join ${bfPending} p on p.table_name = e.table_name and p.row_id = e.row_id
    join ${masterFlows} ${m} on ${m.flowId} = e.flow_id
    where e.table_name = ${table} and ${m.clientAccountId} = p.client_account_id and ${m.engagementId} = p.engagement_id and ${flowFilter}
    group by e.table_name, e.row_id having count(distinct e.flow_id) = 1`);
  await tx.execute(sql`insert into ${bfUnresolved}
    select e.table_name, e.row_id, 'conflicting evidence: flows ' || string_agg(distinct e.flow_id::text, ', ') || ' (' || string_agg(distinct e.kind, ', ') || ')'
    from ${bfEvidence} e where e.table_name = ${table} group by e.table_name, e.row_id having count(distinct e.flow_id) > 1`);
  await tx.execute(sql`insert into ${bfUnresolved}
    select e.table_name, e.row_id, 'evidence names only flows that cannot take it (another client account or engagement, or not a discovery flow): '
      || string_agg(distinct e.flow_id::text, ', ')
    from ${bfEvidence} e where e.table_name = ${table}
      and not exists (select 1 from ${bfLinks} l where l.table_name = e.table_name and l.row_id = e.row_id)
      and not exists (select 1 from ${bfUnresolved} u where u.table_name = e.table_name and u.row_id = e.row_id)
    group by e.table_name, e.row_id`);
}

/**
 * Timestamp proximity for pending rows of `table` with no evidence at all: discovery master flows of
 * the same client account and engagement within the window; linked only when exactly one is nearest
 * and no other row of the table picks the same flow.
 */
async function proximity(tx: Tx, table: string, windowSeconds: number, candidateFilter: SQL) {
  // the candidate flows, indexed by tenant and time: each pending row then reads only its window
  await tx.execute(sql`create temp table bf_flows on commit drop as
    select ${m.flowId} as flow_id, ${m.clientAccountId} as client_account_id, ${m.engagementId} as engagement_id, ${m.createdAt} as created_at
    from ${masterFlows} ${m}
    where ${m.flowType} = 'discovery' and ${candidateFilter}`);
  await tx.execute(sql`create index on bf_flows (client_account_id, engagement_id, created_at)`);
  await tx.execute(sql`analyze bf_flows`);
  await tx.execute(sql`create temp table bf_near on commit drop as
    select p.row_id, f.flow_id, abs(extract(epoch from f.created_at - p.created_at))::double precision as distance
    from ${bfPending} p join bf_flows f
      on f.client_account_id = p.client_account_id and f.engagement_id = p.engagement_id
     and f.created_at between p.created_at - make_interval(secs => ${windowSeconds}) and p.created_at + make_interval(secs => ${windowSeconds})
    where p.table_name = ${table} and not exists (select 1 from ${bfEvidence} e where e.table_name = p.table_name and e.row_id = p.row_id)`);
  await tx.execute(sql`create temp table bf_nearest on commit drop as
    select x.row_id, x.distance, array_agg(x.flow_id::text order by x.flow_id) as flows
    from (select n.*, rank() over (partition by n.row_id order by n.distance) as rk from bf_near n) x
    where x.rk = 1 group by x.row_id, x.distance`);
  // an import's nearest flow must not be the single nearest flow of another import too
  await tx.execute(sql`insert into ${bfLinks} (table_name, row_id, flow_id, evidence, distance_seconds)
    select ${table}, x.row_id, x.flows[1]::uuid, 'proximity', x.distance
    from (select n.*, count(*) filter (where cardinality(n.flows) = 1) over (partition by n.flows[1]) as takers from bf_nearest n) x
    where cardinality(x.flows) = 1 and (${table} <> ${tableName(dataImports)} or x.takers = 1)`);
  await tx.execute(sql`insert into ${bfUnresolved}
    select ${table}, n.row_id, case when cardinality(n.flows) > 1 then format('tie: flows %s are equally near (%s s)', array_to_string(n.flows, ', '), n.distance)
      else format('contested: flow %s is also the nearest for another row', n.flows[1]) end
    from bf_nearest n where not exists (select 1 from ${bfLinks} l where l.table_name = ${table} and l.row_id = n.row_id)`);
  await tx.execute(sql`insert into ${bfUnresolved}
    select p.table_name, p.row_id, format('no candidate: no discovery flow of its client account and engagement within %s s', ${windowSeconds}::int)
    from ${bfPending} p where p.table_name = ${table}
      and not exists (select 1 from ${bfEvidence} e where e.table_name = p.table_name and e.row_id = p.row_id)
      and not exists (select 1 from bf_nearest n where n.row_id = p.row_id)`);
  await tx.execute(sql`drop table bf_flows, bf_near, bf_nearest`);
}

/** Reads the plan back from the temporary tables: rows one by one, raw records per data import. */
export async function readPlan(tx: Tx): Promise<BackfillPlan> {
  // thousands of rows each at scale (two per orphan import): read by the driver, not mapped field by field
  const links: BackfillLink[] = await selectRows(
    tx,
    {
      table: bfLinks.tableName,
      rowId: bfLinks.rowId,
      flowId: bfLinks.flowId,
      evidence: bfLinks.evidence,
      distanceSeconds: bfLinks.distanceSeconds,
      quarantineId: bfLinks.quarantineId,
    },
    sql`from ${bfLinks} order by ${bfLinks.tableName}, ${bfLinks.rowId}`,
  );
  const unresolved: BackfillUnresolved[] = await selectRows(
    tx,
    { table: bfUnresolved.tableName, rowId: bfUnresolved.rowId, reason: bfUnresolved.reason },
    sql`from ${bfUnresolved} order by ${bfUnresolved.tableName}, ${bfUnresolved.rowId}`,
  );
  const recordLinks: BackfillRecordLink[] = await selectRows(
    tx,
    { dataImportId: sql<string>`${bfRecords.dataImportId}`, flowId: sql<string>`${bfRecords.flowId}`, records: sql<number>`${bfRecords.records}` },
    sql`from ${bfRecords} where ${isNotNull(bfRecords.flowId)} order by ${bfRecords.dataImportId}`,
  );
  const unresolvedRecords: BackfillUnresolvedRecords[] = await selectRows(
    tx,
    {
      dataImportId: sql<string>`${bfRecords.dataImportId}`,
      records: sql<number>`${bfRecords.records}`,
      reason: sql<string>`format('its data import %s has no master flow', ${bfRecords.dataImportId})`,
    },
    sql`from ${bfRecords} where ${isNull(bfRecords.flowId)} order by ${bfRecords.dataImportId}`,
  );
  const totals: BackfillPlan['totals'] = {};
  const bump = (t: string) => (totals[t] ??= { linked: 0, released: 0, unresolved: 0 });
  for (const l of links) bump(l.table)[l.quarantineId ? 'released' : 'linked']++;
  for (const r of recordLinks) bump('raw_import_records').linked += r.records;
  for (const u of unresolved) bump(u.table).unresolved++;
  for (const u of unresolvedRecords) bump('raw_import_records').unresolved += u.records;
  return { links, recordLinks, unresolved, unresolvedRecords, totals };
}

/** Rows the plan links (raw records counted one by one) and rows it leaves unresolved. */
export function planCounts(plan: Pick<BackfillPlan, 'totals'>): { linked: number; unresolved: number } {
  const all = Object.values(plan.totals);
  return { linked: all.reduce((n, t) => n + t.linked + t.released, 0), unresolved: all.reduce((n, t) => n + t.unresolved, 0) };
}
