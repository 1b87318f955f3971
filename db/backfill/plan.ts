import type postgres from 'postgres';
import { UNLINKED_REASON } from '../adoption/convert.ts';

type Tx = postgres.TransactionSql;

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
  const archive = (await tx<{ ok: boolean }[]>`select to_regclass('legacy_archive.discovery_flows') is not null as ok`)[0]!.ok;

  await tx`create temp table bf_pending (table_name text not null, row_id uuid not null, client_account_id uuid, engagement_id uuid,
    created_at timestamptz, data_import_id uuid, discovery_flow_id uuid, legacy_flow_id uuid, quarantine_id uuid) on commit drop`;
  await tx`create temp table bf_evidence (table_name text not null, row_id uuid not null, flow_id uuid not null, kind text not null) on commit drop`;
  await tx`create temp table bf_links (table_name text not null, row_id uuid not null, flow_id uuid not null, evidence text not null,
    distance_seconds double precision, quarantine_id uuid, client_account_id uuid, engagement_id uuid) on commit drop`;
  await tx`create temp table bf_unresolved (table_name text not null, row_id uuid not null, reason text not null) on commit drop`;

  // pending: live imports without a master flow, and rows adoption quarantined only for lacking one
  await tx`insert into bf_pending (table_name, row_id, client_account_id, engagement_id, created_at)
    select 'data_imports', d.id, d.client_account_id, d.engagement_id, d.created_at from data_imports d
    where d.master_flow_id is null and (${client}::uuid is null or d.client_account_id = ${client}::uuid)`;
  if (archive) {
    // tenant columns the legacy row lacks come from its import, as adoption fills them
    await tx`insert into bf_pending
      select q.source_table, q.row_id::uuid, coalesce(q.client_account_id, i.client_account_id), coalesce(q.engagement_id, i.engagement_id),
        (q.original_row ->> 'created_at')::timestamptz, (q.original_row ->> 'data_import_id')::uuid,
        (q.original_row ->> 'discovery_flow_id')::uuid,
        case when q.source_table = 'discovery_flows' then (q.original_row ->> 'flow_id')::uuid end, q.id
      from quarantined_rows q left join data_imports i on i.id = (q.original_row ->> 'data_import_id')::uuid
      where q.released_at is null and q.reason like ${UNLINKED_REASON + '%'}
        and q.source_table in ('discovery_flows', 'import_field_mappings', 'assets')
        and (${client}::uuid is null or coalesce(q.client_account_id, i.client_account_id) = ${client}::uuid)`;
  }
  await tx`analyze bf_pending`;

  // imports: a master flow naming the import in its configuration, persistence data or name
  await tx`insert into bf_evidence
    select 'data_imports', p.row_id, n.flow_id, n.kind from bf_pending p
    join (select m.flow_id, 'flow_configuration' as kind, m.flow_configuration ->> 'import_id' as named from crewai_flow_state_extensions m
          union all select m.flow_id, 'flow_configuration', m.flow_configuration ->> 'data_import_id' from crewai_flow_state_extensions m
          union all select m.flow_id, 'flow_persistence_data', m.flow_persistence_data ->> 'data_import_id' from crewai_flow_state_extensions m
          union all select m.flow_id, 'flow_name', substring(m.flow_name from '^Discovery Import (.+)$') from crewai_flow_state_extensions m) n
      on n.named = p.row_id::text
    where p.table_name = 'data_imports'`;
  // … a discovery flow, raw record or field mapping of the import that carries a master flow
  await tx`insert into bf_evidence
    select 'data_imports', p.row_id, c.master_flow_id, c.kind from bf_pending p
    join (select data_import_id, master_flow_id, 'discovery_flow' as kind from discovery_flows
          union all select distinct data_import_id, master_flow_id, 'raw_records' from raw_import_records where master_flow_id is not null
          union all select data_import_id, master_flow_id, 'field_mappings' from import_field_mappings) c on c.data_import_id = p.row_id
    where p.table_name = 'data_imports'`;
  await resolveByEvidence(tx, 'data_imports');

  // proximity for imports without evidence; flows evidence gives to an import are never candidates
  // rows reaching proximity have no evidence, so every evidence row belongs to another import
  await proximity(tx, 'data_imports', windowImports, `
    m.flow_id not in (select d.master_flow_id from data_imports d where d.master_flow_id is not null)
    and m.flow_id not in (select e.flow_id from bf_evidence e where e.table_name = 'data_imports')
    and coalesce(m.flow_configuration ->> 'import_id', m.flow_configuration ->> 'data_import_id',
      m.flow_persistence_data ->> 'data_import_id', substring(m.flow_name from '^Discovery Import (.+)$')) is null`);

  // the import's master flow: existing, or linked by this plan
  await tx`create temp table bf_import_flow on commit drop as
    select d.id as data_import_id, d.master_flow_id as flow_id from data_imports d where d.master_flow_id is not null
    union all select l.row_id, l.flow_id from bf_links l where l.table_name = 'data_imports'`;
  await tx`create index on bf_import_flow (data_import_id)`;
  await tx`analyze bf_import_flow`;
  // raw records follow their import: counted per import in one scan, never listed one by one
  await tx`create temp table bf_records on commit drop as
    select r.data_import_id, f.flow_id, count(*)::int as records
    from raw_import_records r left join bf_import_flow f on f.data_import_id = r.data_import_id
    where r.master_flow_id is null and (${client}::uuid is null or r.client_account_id = ${client}::uuid)
    group by r.data_import_id, f.flow_id`;
  await tx`insert into bf_evidence
    select p.table_name, p.row_id, f.flow_id, 'import' from bf_pending p join bf_import_flow f on f.data_import_id = p.data_import_id
    where p.table_name in ('import_field_mappings', 'discovery_flows')`;
  await tx`insert into bf_evidence
    select p.table_name, p.row_id, m.flow_id, 'same_flow_id' from bf_pending p join crewai_flow_state_extensions m on m.flow_id = p.legacy_flow_id
    where p.table_name = 'discovery_flows'`;
  await resolveByEvidence(tx, 'import_field_mappings');
  await resolveByEvidence(tx, 'discovery_flows', `m.flow_type = 'discovery'`);
  // one discovery flow per master flow: a flow that already has one, or that two rows would share, is not given
  await tx`with taken as (
      select l.row_id, l.flow_id, coalesce((select d.id::text from discovery_flows d where d.master_flow_id = l.flow_id),
        (select string_agg(o.row_id::text, ', ') from bf_links o where o.table_name = 'discovery_flows' and o.flow_id = l.flow_id and o.row_id <> l.row_id)) as other
      from bf_links l where l.table_name = 'discovery_flows'),
    moved as (delete from bf_links l using taken t where l.table_name = 'discovery_flows' and l.row_id = t.row_id and t.other is not null returning t.*)
    insert into bf_unresolved select 'discovery_flows', row_id, format('master flow %s already has discovery flow %s', flow_id, other) from moved`;

  // assets: their discovery flow's master flow, existing or released by this plan; else proximity
  await tx`insert into bf_evidence
    select 'assets', p.row_id, f.flow_id, 'discovery_flow' from bf_pending p
    join (select id, master_flow_id as flow_id from discovery_flows
          union all select row_id, flow_id from bf_links where table_name = 'discovery_flows') f on f.id = p.discovery_flow_id
    where p.table_name = 'assets'`;
  await resolveByEvidence(tx, 'assets');
  await proximity(tx, 'assets', windowAssets, 'true');

  for (const table of ['import_field_mappings', 'discovery_flows']) {
    await tx`insert into bf_unresolved select p.table_name, p.row_id,
        case when p.data_import_id is null then 'no evidence: no data import, and its flow_id names no master flow'
             else format('no evidence: its data import %s has no master flow', p.data_import_id) end
      from bf_pending p where p.table_name = ${table}
        and not exists (select 1 from bf_links l where l.table_name = p.table_name and l.row_id = p.row_id)
        and not exists (select 1 from bf_unresolved u where u.table_name = p.table_name and u.row_id = p.row_id)`;
  }
  await tx`update bf_links l set quarantine_id = p.quarantine_id, client_account_id = p.client_account_id, engagement_id = p.engagement_id
    from bf_pending p where p.table_name = l.table_name and p.row_id = l.row_id`;
}

/** Rows whose evidence names exactly one flow (of their tenant, and matching `flowFilter`) are linked; several flows are a conflict. */
async function resolveByEvidence(tx: Tx, table: string, flowFilter = 'true') {
  await tx.unsafe(`insert into bf_links (table_name, row_id, flow_id, evidence)
    select e.table_name, e.row_id, min(e.flow_id::text)::uuid, string_agg(distinct e.kind, '+')
    from bf_evidence e join bf_pending p on p.table_name = e.table_name and p.row_id = e.row_id
    join crewai_flow_state_extensions m on m.flow_id = e.flow_id
    where e.table_name = $1 and m.client_account_id = p.client_account_id and m.engagement_id = p.engagement_id and ${flowFilter}
    group by e.table_name, e.row_id having count(distinct e.flow_id) = 1`, [table]);
  await tx.unsafe(`insert into bf_unresolved
    select e.table_name, e.row_id, 'conflicting evidence: flows ' || string_agg(distinct e.flow_id::text, ', ') || ' (' || string_agg(distinct e.kind, ', ') || ')'
    from bf_evidence e where e.table_name = $1 group by e.table_name, e.row_id having count(distinct e.flow_id) > 1`, [table]);
  await tx.unsafe(`insert into bf_unresolved
    select e.table_name, e.row_id, 'evidence names only flows that cannot take it (another client account or engagement, or not a discovery flow): '
      || string_agg(distinct e.flow_id::text, ', ')
    from bf_evidence e where e.table_name = $1
      and not exists (select 1 from bf_links l where l.table_name = e.table_name and l.row_id = e.row_id)
      and not exists (select 1 from bf_unresolved u where u.table_name = e.table_name and u.row_id = e.row_id)
    group by e.table_name, e.row_id`, [table]);
}

/**
 * Timestamp proximity for pending rows of `table` with no evidence at all: discovery master flows of
 * the same client account and engagement within the window; linked only when exactly one is nearest
 * and no other row of the table picks the same flow.
 */
async function proximity(tx: Tx, table: string, windowSeconds: number, candidateFilter: string) {
  // the candidate flows, indexed by tenant and time: each pending row then reads only its window
  await tx.unsafe(`create temp table bf_flows on commit drop as
    select m.flow_id, m.client_account_id, m.engagement_id, m.created_at from crewai_flow_state_extensions m
    where m.flow_type = 'discovery' and ${candidateFilter}`);
  await tx.unsafe('create index on bf_flows (client_account_id, engagement_id, created_at)');
  await tx.unsafe('analyze bf_flows');
  await tx.unsafe(`create temp table bf_near on commit drop as
    select p.row_id, f.flow_id, abs(extract(epoch from f.created_at - p.created_at))::double precision as distance
    from bf_pending p join bf_flows f
      on f.client_account_id = p.client_account_id and f.engagement_id = p.engagement_id
     and f.created_at between p.created_at - make_interval(secs => $2) and p.created_at + make_interval(secs => $2)
    where p.table_name = $1 and not exists (select 1 from bf_evidence e where e.table_name = p.table_name and e.row_id = p.row_id)`,
  [table, windowSeconds]);
  await tx.unsafe(`create temp table bf_nearest on commit drop as
    select x.row_id, x.distance, array_agg(x.flow_id::text order by x.flow_id) as flows
    from (select n.*, rank() over (partition by n.row_id order by n.distance) as rk from bf_near n) x
    where x.rk = 1 group by x.row_id, x.distance`);
  // an import's nearest flow must not be the single nearest flow of another import too
  await tx.unsafe(`insert into bf_links (table_name, row_id, flow_id, evidence, distance_seconds)
    select $1, x.row_id, x.flows[1]::uuid, 'proximity', x.distance
    from (select n.*, count(*) filter (where cardinality(n.flows) = 1) over (partition by n.flows[1]) as takers from bf_nearest n) x
    where cardinality(x.flows) = 1 and ($1 <> 'data_imports' or x.takers = 1)`, [table]);
  await tx.unsafe(`insert into bf_unresolved
    select $1, n.row_id, case when cardinality(n.flows) > 1 then format('tie: flows %s are equally near (%s s)', array_to_string(n.flows, ', '), n.distance)
      else format('contested: flow %s is also the nearest for another row', n.flows[1]) end
    from bf_nearest n where not exists (select 1 from bf_links l where l.table_name = $1 and l.row_id = n.row_id)`, [table]);
  await tx.unsafe(`insert into bf_unresolved
    select p.table_name, p.row_id, format('no candidate: no discovery flow of its client account and engagement within %s s', $2::int)
    from bf_pending p where p.table_name = $1
      and not exists (select 1 from bf_evidence e where e.table_name = p.table_name and e.row_id = p.row_id)
      and not exists (select 1 from bf_nearest n where n.row_id = p.row_id)`, [table, windowSeconds]);
  await tx.unsafe('drop table bf_flows, bf_near, bf_nearest');
}

/** Reads the plan back from the temporary tables: rows one by one, raw records per data import. */
export async function readPlan(tx: Tx): Promise<BackfillPlan> {
  const links = await tx<BackfillLink[]>`
    select table_name as "table", row_id::text as "rowId", flow_id::text as "flowId", evidence, distance_seconds as "distanceSeconds",
      quarantine_id::text as "quarantineId"
    from bf_links order by table_name, row_id`;
  const unresolved = await tx<BackfillUnresolved[]>`
    select table_name as "table", row_id::text as "rowId", reason from bf_unresolved order by table_name, row_id`;
  const recordLinks = await tx<BackfillRecordLink[]>`
    select data_import_id::text as "dataImportId", flow_id::text as "flowId", records from bf_records
    where flow_id is not null order by data_import_id`;
  const unresolvedRecords = await tx<BackfillUnresolvedRecords[]>`
    select data_import_id::text as "dataImportId", records, format('its data import %s has no master flow', data_import_id) as reason
    from bf_records where flow_id is null order by data_import_id`;
  const totals: BackfillPlan['totals'] = {};
  const bump = (t: string) => (totals[t] ??= { linked: 0, released: 0, unresolved: 0 });
  for (const l of links) bump(l.table)[l.quarantineId ? 'released' : 'linked']++;
  for (const r of recordLinks) bump('raw_import_records').linked += r.records;
  for (const u of unresolved) bump(u.table).unresolved++;
  for (const u of unresolvedRecords) bump('raw_import_records').unresolved += u.records;
  return { links: [...links], recordLinks: [...recordLinks], unresolved: [...unresolved], unresolvedRecords: [...unresolvedRecords], totals };
}

/** Rows the plan links (raw records counted one by one) and rows it leaves unresolved. */
export function planCounts(plan: Pick<BackfillPlan, 'totals'>): { linked: number; unresolved: number } {
  const all = Object.values(plan.totals);
  return { linked: all.reduce((n, t) => n + t.linked + t.released, 0), unresolved: all.reduce((n, t) => n + t.unresolved, 0) };
}
