import type postgres from 'postgres';
import { insertConverted } from '../adoption/convert.ts';
import { buildPlan, readPlan, type BackfillOptions, type BackfillPlan } from './plan.ts';

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
 * Plans the backfill and, with `apply`, applies it in the same transaction: every link recorded in
 * backfill_changes under a new backfill_runs row, live rows updated, quarantined rows released
 * (rebuilt from legacy_archive with their new master flow, quarantine row marked released_at).
 * Without `apply` nothing is written.
 */
export async function runBackfill(sql: postgres.Sql, options: BackfillOptions & { apply?: boolean } = {}): Promise<BackfillResult> {
  return (await sql.begin(async (tx) => {
    await buildPlan(tx, options);
    const plan = await readPlan(tx);
    if (!options.apply || plan.links.length === 0) return { ...plan, applied: false, runId: null };
    const { apply: _apply, ...recorded } = options;
    const [run] = await tx<{ id: string }[]>`
      insert into backfill_runs (applied_at, options, summary)
      values (now(), ${JSON.stringify(recorded)}::jsonb, ${JSON.stringify({ totals: plan.totals, unresolved: plan.unresolved.length })}::jsonb)
      returning id`;
    const runId = run!.id;
    await tx`analyze bf_links`;
    await tx`insert into backfill_changes (run_id, table_name, row_id, client_account_id, engagement_id, old_master_flow_id, new_master_flow_id, evidence, distance_seconds)
      select ${runId}, l.table_name, l.row_id, l.client_account_id, l.engagement_id, null, l.flow_id,
        l.evidence || case when l.quarantine_id is not null then ' (released from quarantine ' || l.quarantine_id || ')' else '' end, l.distance_seconds
      from bf_links l`;
    // raw records before their import: the link guard checks an import's records when it is linked
    // the same rows as the plan's raw links, driven by the import-level map so the records are
    // visited in heap order (joining the per-row links visits them in hash order: several times slower)
    const client = options.clientAccountId ?? null;
    await tx`update raw_import_records r set master_flow_id = f.flow_id from bf_import_flow f
      where f.data_import_id = r.data_import_id and r.master_flow_id is null
        and (${client}::uuid is null or r.client_account_id = ${client}::uuid)`;
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
    let restored = 0;
    for (const table of ['data_imports', 'raw_import_records']) {
      const changed = await tx.unsafe(`select count(*)::int as n from backfill_changes c join public.${table} t on t.id = c.row_id
        where c.run_id = $1 and c.table_name = '${table}' and t.master_flow_id is distinct from c.new_master_flow_id`, [runId]);
      if (changed[0]!.n > 0) throw new BackfillUndoError(`${changed[0]!.n} ${table} rows of run ${runId} were changed since; undo them by hand`);
      const rows = await tx.unsafe(`update public.${table} t set master_flow_id = c.old_master_flow_id from backfill_changes c
        where c.run_id = $1 and c.table_name = '${table}' and c.row_id = t.id returning t.id`, [runId]);
      restored += rows.length;
    }
    await tx`update backfill_runs set undone_at = now() where id = ${runId}`;
    return { restored, requarantined };
  })) as { restored: number; requarantined: number };
}
