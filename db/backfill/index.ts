import type postgres from 'postgres';
import { insertConverted } from '../adoption/convert.ts';
import { buildPlan, planCounts, readPlan, type BackfillOptions, type BackfillPlan } from './plan.ts';

export * from './plan.ts';

export interface BackfillResult extends BackfillPlan {
  applied: boolean;
  /** backfill_runs.id of an applied run. */
  runId: string | null;
}

export class BackfillUndoError extends Error {
  override name = 'BackfillUndoError';
}

const RELEASE_ORDER = ['discovery_flows', 'import_field_mappings', 'assets'] as const;

/**
 * The plan's statements are hash joins over temporary tables whose estimates are rough: JIT
 * compiled several of them for ~0.3 s each and saved nothing at run time (dry run at 1M raw
 * records, PostgreSQL 15: 2.5 s with JIT, 1.2 s without).
 */
async function noJit(tx: postgres.TransactionSql) {
  await tx`set local jit = off`;
}

/**
 * Plans the backfill and, with `apply`, applies it in the same transaction: every link recorded in
 * backfill_changes under a new backfill_runs row, live rows updated, quarantined rows released
 * (rebuilt from legacy_archive with their new master flow, quarantine row marked released_at).
 * Without `apply` nothing is written.
 */
export async function runBackfill(sql: postgres.Sql, options: BackfillOptions & { apply?: boolean } = {}): Promise<BackfillResult> {
  return (await sql.begin(async (tx) => {
    await noJit(tx);
    await buildPlan(tx, options);
    const plan = await readPlan(tx);
    if (!options.apply || (plan.links.length === 0 && plan.recordLinks.length === 0)) return { ...plan, applied: false, runId: null };
    const { apply: _apply, ...recorded } = options;
    const [run] = await tx<{ id: string }[]>`
      insert into backfill_runs (applied_at, options, summary)
      values (now(), ${JSON.stringify(recorded)}::jsonb, ${JSON.stringify({ totals: plan.totals, unresolved: planCounts(plan).unresolved })}::jsonb)
      returning id`;
    const runId = run!.id;
    await tx`analyze bf_links`;
    await tx`insert into backfill_changes (run_id, table_name, row_id, client_account_id, engagement_id, old_master_flow_id, new_master_flow_id, evidence, distance_seconds)
      select ${runId}, l.table_name, l.row_id, l.client_account_id, l.engagement_id, null, l.flow_id,
        l.evidence || case when l.quarantine_id is not null then ' (released from quarantine ' || l.quarantine_id || ')' else '' end, l.distance_seconds
      from bf_links l`;
    // raw records before their import: the link guard checks an import's records when it is linked.
    // Driven by the import-level map, so the records are visited in heap order; audited per import
    // (row_id the data import, row_ids exactly the records this UPDATE changed, from its RETURNING):
    // one audit row per record cost as much as a third of the update itself
    const client = options.clientAccountId ?? null;
    // the per-import arrays of a million records (~50 MB) aggregate in memory instead of spilling
    await tx`set local work_mem = '64MB'`;
    await tx`with linked as (
        update raw_import_records r set master_flow_id = f.flow_id from bf_import_flow f
        where f.data_import_id = r.data_import_id and r.master_flow_id is null
          and (${client}::uuid is null or r.client_account_id = ${client}::uuid)
        returning r.id, r.data_import_id, r.master_flow_id, r.client_account_id, r.engagement_id)
      insert into backfill_changes (run_id, table_name, row_id, row_ids, client_account_id, engagement_id, old_master_flow_id, new_master_flow_id, evidence)
      select ${runId}, 'raw_import_records', k.data_import_id, array_agg(k.id), k.client_account_id, k.engagement_id, null, k.master_flow_id, 'import'
      from linked k group by k.data_import_id, k.master_flow_id, k.client_account_id, k.engagement_id`;
    await tx`reset work_mem`;
    await tx`update data_imports d set master_flow_id = l.flow_id, updated_at = now() from bf_links l
      where l.table_name = 'data_imports' and l.row_id = d.id and d.master_flow_id is null`;
    const releasing = new Set(plan.links.filter((l) => l.quarantineId).map((l) => l.table));
    for (const table of RELEASE_ORDER.filter((t) => releasing.has(t))) {
      // only adoption quarantines rows as unlinked, so their legacy_archive source exists
      await tx.unsafe(insertConverted(table, {
        master: 'rel.flow_id',
        join: `join pg_temp.bf_links rel on rel.table_name = '${table}' and rel.row_id = a.id and rel.quarantine_id is not null`,
        where: 'true',
      }));
    }
    await tx`update quarantined_rows q set released_at = now() from bf_links l where l.quarantine_id = q.id`;
    return { ...plan, applied: true, runId };
  })) as BackfillResult;
}

/**
 * Restores what run `runId` changed, in one transaction: released rows go back to quarantine
 * (deleted from the live table, released_at cleared), linked rows get their previous master flow
 * back. Refuses when the run is unknown or already undone, or when a row changed since.
 */
export async function undoBackfill(sql: postgres.Sql, runId: string): Promise<{ restored: number; requarantined: number }> {
  return (await sql.begin(async (tx) => {
    await noJit(tx);
    // the audited values come back exactly, including raw records of a linked import that had no
    // master flow before the run (adopted that way): raw_import_records_link_kept lets this one transaction through
    await tx`select set_config('flowlink.restoring_backfill', 'on', true)`;
    const [run] = await tx<{ undone_at: string | null }[]>`select undone_at from backfill_runs where id = ${runId} for update`;
    if (!run) throw new BackfillUndoError(`no backfill run ${runId}`);
    if (run.undone_at) throw new BackfillUndoError(`backfill run ${runId} was already undone at ${run.undone_at}`);
    let requarantined = 0;
    for (const table of [...RELEASE_ORDER].reverse()) {
      const rows = await tx.unsafe(`delete from public.${table} t using backfill_changes c
        where c.run_id = $1 and c.table_name = '${table}' and c.row_id = t.id and c.evidence like '%(released from quarantine %'
        returning t.id`, [runId]);
      requarantined += rows.length;
    }
    await tx`update quarantined_rows q set released_at = null from backfill_changes c
      where c.run_id = ${runId} and c.evidence like ${'%(released from quarantine ' + '%'}
        and q.id = substring(c.evidence from '\\(released from quarantine ([0-9a-f-]+)\\)')::uuid`;
    // what the run changed, one row per row changed: audited one row each, or (raw records) one row
    // per data import with the records in row_ids (null for data_imports, and for runs audited before
    // row_ids existed). Materialised and analysed so that a million records join their table by hash
    // in one pass (estimated from the arrays, the planner chose a million index probes: 2-3x slower)
    await tx`create temp table bf_undo on commit drop as
      select c.table_name, c.row_id as id, c.old_master_flow_id, c.new_master_flow_id from backfill_changes c
        where c.run_id = ${runId} and c.table_name in ('data_imports', 'raw_import_records') and c.row_ids is null
      union all
      select c.table_name, u.id, c.old_master_flow_id, c.new_master_flow_id from backfill_changes c cross join unnest(c.row_ids) u(id)
        where c.run_id = ${runId} and c.table_name in ('data_imports', 'raw_import_records')`;
    await tx`analyze bf_undo`;
    let restored = 0;
    for (const table of ['data_imports', 'raw_import_records']) {
      const changed = await tx.unsafe(`select count(*)::int as n from bf_undo c join public.${table} t on t.id = c.id
        where c.table_name = '${table}' and t.master_flow_id is distinct from c.new_master_flow_id`);
      if (changed[0]!.n > 0) throw new BackfillUndoError(`${changed[0]!.n} ${table} rows of run ${runId} were changed since; undo them by hand`);
      const rows = await tx.unsafe(`update public.${table} t set master_flow_id = c.old_master_flow_id from bf_undo c
        where c.table_name = '${table}' and c.id = t.id returning t.id`);
      restored += rows.length;
    }
    await tx`update backfill_runs set undone_at = now() where id = ${runId}`;
    return { restored, requarantined };
  })) as { restored: number; requarantined: number };
}
