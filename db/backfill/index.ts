import { and, eq, getTableName, isNull, like, sql } from 'drizzle-orm';
import { alias } from 'drizzle-orm/pg-core';
import { insertConverted } from '../adoption/convert.ts';
import { inTransaction, type Db, type Sql, type Tx } from '../client.ts';
import { column, columnList } from '../queries/sql.ts';
import { assets, backfillChanges, backfillRuns, dataImports, discoveryFlows, importFieldMappings, quarantinedRows, rawImportRecords } from '../schema/index.ts';
import { bfImportFlow, bfLinks } from './work-tables.ts';
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

/** Released in this order (a discovery flow before its assets), requarantined in the reverse. */
const RELEASE_ORDER = [discoveryFlows, importFieldMappings, assets] as const;
/** The tables whose links the audit restores: a data import's master flow, and its raw records'. */
const LINKED = [dataImports, rawImportRecords] as const;

/**
 * The plan's statements are hash joins over temporary tables whose estimates are rough: JIT
 * compiled several of them for ~0.3 s each and saved nothing at run time (dry run at 1M raw
 * records, PostgreSQL 15: 2.5 s with JIT, 1.2 s without).
 */
async function noJit(tx: Tx) {
  await tx.execute(sql`set local jit = off`);
}

/**
 * Plans the backfill and, with `apply`, applies it in the same transaction: every link recorded in
 * backfill_changes under a new backfill_runs row, live rows updated, quarantined rows released
 * (rebuilt from legacy_archive with their new master flow, quarantine row marked released_at).
 * Without `apply` nothing is written.
 */
export async function runBackfill(client: Sql | Db | Tx, options: BackfillOptions & { apply?: boolean } = {}): Promise<BackfillResult> {
  return inTransaction(client, async (tx) => {
    await noJit(tx);
    await buildPlan(tx, options);
    const plan = await readPlan(tx);
    if (!options.apply || (plan.links.length === 0 && plan.recordLinks.length === 0)) return { ...plan, applied: false, runId: null };
    const { apply: _apply, ...recorded } = options;
    const [run] = await tx
      .insert(backfillRuns)
      .values({ appliedAt: sql`now()`, options: recorded, summary: { totals: plan.totals, unresolved: planCounts(plan).unresolved } })
      .returning({ id: backfillRuns.id });
    const runId = run!.id;
    const c = backfillChanges;
    await tx.execute(sql`analyze ${bfLinks}`);
    await tx.execute(sql`insert into ${c} (${columnList(c.runId, c.tableName, c.rowId, c.clientAccountId, c.engagementId, c.oldMasterFlowId, c.newMasterFlowId, c.evidence, c.distanceSeconds)})
      select ${runId}, l.table_name, l.row_id, l.client_account_id, l.engagement_id, null, l.flow_id,
        l.evidence || case when l.quarantine_id is not null then ' (released from quarantine ' || l.quarantine_id || ')' else '' end, l.distance_seconds
      from ${bfLinks} l`);
    // raw records before their import: the link guard checks an import's records when it is linked.
    // Driven by the import-level map, so the records are visited in heap order; audited per import
    // (row_id the data import, row_ids exactly the records this UPDATE changed, from its RETURNING):
    // one audit row per record cost as much as a third of the update itself
    const clientAccountId = options.clientAccountId ?? null;
    const r = alias(rawImportRecords, 'r');
    // the per-import arrays of a million records (~50 MB) aggregate in memory instead of spilling
    await tx.execute(sql`set local work_mem = '64MB'`);
    await tx.execute(sql`with linked as (
        update ${rawImportRecords} ${r} set ${column(r.masterFlowId)} = f.flow_id from ${bfImportFlow} f
        where f.data_import_id = ${r.dataImportId} and ${r.masterFlowId} is null
          and (${clientAccountId}::uuid is null or ${r.clientAccountId} = ${clientAccountId}::uuid)
        returning ${r.id} as id, ${r.dataImportId} as data_import_id, ${r.masterFlowId} as master_flow_id,
          ${r.clientAccountId} as client_account_id, ${r.engagementId} as engagement_id)
      insert into ${c} (${columnList(c.runId, c.tableName, c.rowId, c.rowIds, c.clientAccountId, c.engagementId, c.oldMasterFlowId, c.newMasterFlowId, c.evidence)})
      select ${runId}, ${getTableName(rawImportRecords)}, k.data_import_id, array_agg(k.id), k.client_account_id, k.engagement_id, null, k.master_flow_id, 'import'
      from linked k group by k.data_import_id, k.master_flow_id, k.client_account_id, k.engagement_id`);
    await tx.execute(sql`reset work_mem`);
    await tx
      .update(dataImports)
      .set({ masterFlowId: sql`l.flow_id`, updatedAt: sql`now()` })
      .from(sql`${bfLinks} l`)
      .where(and(eq(sql`l.table_name`, getTableName(dataImports)), eq(sql`l.row_id`, dataImports.id), isNull(dataImports.masterFlowId)));
    const releasing = new Set(plan.links.filter((l) => l.quarantineId).map((l) => l.table));
    for (const table of RELEASE_ORDER.map(getTableName).filter((t) => releasing.has(t))) {
      // only adoption quarantines rows as unlinked, so their legacy_archive source exists; its statements are adoption's own SQL
      await tx.execute(
        sql.raw(
          insertConverted(table as 'assets', {
            master: 'rel.flow_id',
            join: `join pg_temp.bf_links rel on rel.table_name = '${table}' and rel.row_id = a.id and rel.quarantine_id is not null`,
            where: 'true',
          }),
        ),
      );
    }
    await tx.update(quarantinedRows).set({ releasedAt: sql`now()` }).from(sql`${bfLinks} l`).where(eq(sql`l.quarantine_id`, quarantinedRows.id));
    return { ...plan, applied: true, runId };
  });
}

/**
 * Restores what run `runId` changed, in one transaction: released rows go back to quarantine
 * (deleted from the live table, released_at cleared), linked rows get their previous master flow
 * back. Refuses when the run is unknown or already undone, or when a row changed since.
 */
export async function undoBackfill(client: Sql | Db | Tx, runId: string): Promise<{ restored: number; requarantined: number }> {
  return inTransaction(client, async (tx) => {
    await noJit(tx);
    // the audited values come back exactly, including raw records of a linked import that had no
    // master flow before the run (adopted that way): raw_import_records_link_kept lets this one transaction through
    await tx.execute(sql`select set_config('flowlink.restoring_backfill', 'on', true)`);
    const [run] = await tx.select({ undoneAt: backfillRuns.undoneAt }).from(backfillRuns).where(eq(backfillRuns.id, runId)).for('update');
    if (!run) throw new BackfillUndoError(`no backfill run ${runId}`);
    if (run.undoneAt) throw new BackfillUndoError(`backfill run ${runId} was already undone at ${run.undoneAt.toISOString()}`);
    const c = backfillChanges;
    const released = and(eq(c.runId, runId), like(c.evidence, '%(released from quarantine %'));
    let requarantined = 0;
    for (const table of [...RELEASE_ORDER].reverse()) {
      const rows = await tx
        .delete(table)
        .where(
          and(
            eq(
              table.id,
              sql`any(array(${tx
                .select({ rowId: c.rowId })
                .from(c)
                .where(and(released, eq(c.tableName, getTableName(table))))}))`,
            ),
          ),
        )
        .returning({ id: table.id });
      requarantined += rows.length;
    }
    await tx
      .update(quarantinedRows)
      .set({ releasedAt: null })
      .from(c)
      .where(and(released, eq(quarantinedRows.id, sql`substring(${c.evidence} from '\\(released from quarantine ([0-9a-f-]+)\\)')::uuid`)));
    // what the run changed, one row per row changed: audited one row each, or (raw records) one row
    // per data import with the records in row_ids (null for data_imports, and for runs audited before
    // row_ids existed). Materialised and analysed so that a million records join their table by hash
    // in one pass (estimated from the arrays, the planner chose a million index probes: 2-3x slower)
    const linkedTables = sql.param(LINKED.map(getTableName));
    await tx.execute(sql`create temp table bf_undo on commit drop as
      select ${c.tableName} as table_name, ${c.rowId} as id, ${c.oldMasterFlowId} as old_master_flow_id, ${c.newMasterFlowId} as new_master_flow_id
        from ${c} where ${c.runId} = ${runId} and ${c.tableName} = any(${linkedTables}::text[]) and ${c.rowIds} is null
      union all
      select ${c.tableName}, u.id, ${c.oldMasterFlowId}, ${c.newMasterFlowId} from ${c} cross join unnest(${c.rowIds}) u(id)
        where ${c.runId} = ${runId} and ${c.tableName} = any(${linkedTables}::text[])`);
    await tx.execute(sql`analyze bf_undo`);
    let restored = 0;
    for (const table of LINKED) {
      const name = getTableName(table);
      const [changed] = await tx
        .select({ n: sql<number>`count(*)::int` })
        .from(sql`bf_undo c`)
        .innerJoin(table, eq(table.id, sql`c.id`))
        .where(and(eq(sql`c.table_name`, name), sql`${table.masterFlowId} is distinct from c.new_master_flow_id`));
      if (changed!.n > 0) throw new BackfillUndoError(`${changed!.n} ${name} rows of run ${runId} were changed since; undo them by hand`);
      const rows = await tx
        .update(table)
        .set({ masterFlowId: sql`c.old_master_flow_id` })
        .from(sql`bf_undo c`)
        .where(and(eq(sql`c.table_name`, name), eq(sql`c.id`, table.id)))
        .returning({ id: table.id });
      restored += rows.length;
    }
    await tx.update(backfillRuns).set({ undoneAt: sql`now()` }).where(eq(backfillRuns.id, runId));
    return { restored, requarantined };
  });
}
