import { sql } from 'drizzle-orm';
import { boolean, check, doublePrecision, foreignKey, index, integer, jsonb, pgTable, text, timestamp, uuid } from 'drizzle-orm/pg-core';
import { tenantPolicies } from './access.ts';
import { id } from './columns.ts';

/** One row per integrity run: the health history of this database. */
export const integrityRuns = pgTable(
  'integrity_runs',
  {
    id: id(),
    checkedAt: timestamp('checked_at', { withTimezone: true }).notNull().defaultNow(),
    scope: jsonb('scope').$type<Record<string, unknown>>().notNull().default(sql`'{}'::jsonb`),
    ok: boolean('ok').notNull(),
    healthScore: doublePrecision('health_score').notNull(),
    criticalCount: integer('critical_count').notNull(),
    durationMs: integer('duration_ms').notNull(),
    summary: jsonb('summary').notNull(),
  },
  (t) => [index('integrity_runs_checked_at_idx').on(t.checkedAt), check('integrity_runs_health_score_range', sql`${t.healthScore} >= 0 and ${t.healthScore} <= 100`)],
);

/** A backfill run: the plan it applied, and whether it was undone. */
export const backfillRuns = pgTable('backfill_runs', {
  id: id(),
  startedAt: timestamp('started_at', { withTimezone: true }).notNull().defaultNow(),
  appliedAt: timestamp('applied_at', { withTimezone: true }),
  undoneAt: timestamp('undone_at', { withTimezone: true }),
  options: jsonb('options').notNull().default(sql`'{}'::jsonb`),
  summary: jsonb('summary').notNull().default(sql`'{}'::jsonb`),
});

/**
 * Audit of every value a backfill changed, so `--undo <run-id>` can restore it. One row per row
 * changed, except raw_import_records: one row per data import (and tenant) whose records a run
 * linked, `row_id` that data import and `row_ids` exactly the records changed.
 */
export const backfillChanges = pgTable(
  'backfill_changes',
  {
    id: id(),
    runId: uuid('run_id').notNull(),
    tableName: text('table_name').notNull(),
    rowId: uuid('row_id').notNull(),
    rowIds: uuid('row_ids').array(),
    clientAccountId: uuid('client_account_id'),
    engagementId: uuid('engagement_id'),
    oldMasterFlowId: uuid('old_master_flow_id'),
    newMasterFlowId: uuid('new_master_flow_id').notNull(),
    evidence: text('evidence').notNull(),
    distanceSeconds: doublePrecision('distance_seconds'),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    foreignKey({ name: 'backfill_changes_run_id_fkey', columns: [t.runId], foreignColumns: [backfillRuns.id] }).onDelete('cascade'),
    index('backfill_changes_run_id_idx').on(t.runId),
    index('backfill_changes_row_idx').on(t.tableName, t.rowId),
    ...tenantPolicies(t.clientAccountId, t.engagementId),
  ],
);

/** Rows that could neither satisfy the constraints nor be repaired: kept whole, with the reason. */
export const quarantinedRows = pgTable(
  'quarantined_rows',
  {
    id: id(),
    sourceTable: text('source_table').notNull(),
    rowId: text('row_id').notNull(),
    clientAccountId: uuid('client_account_id'),
    engagementId: uuid('engagement_id'),
    reason: text('reason').notNull(),
    originalRow: jsonb('original_row').notNull(),
    quarantinedAt: timestamp('quarantined_at', { withTimezone: true }).notNull().defaultNow(),
    releasedAt: timestamp('released_at', { withTimezone: true }),
  },
  (t) => [index('quarantined_rows_source_idx').on(t.sourceTable, t.rowId), index('quarantined_rows_client_account_id_idx').on(t.clientAccountId), ...tenantPolicies(t.clientAccountId, t.engagementId)],
);
