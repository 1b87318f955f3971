import { doublePrecision, integer, pgTable, text, timestamp, uuid } from 'drizzle-orm/pg-core';

/**
 * The backfill's work tables: temporary, created by the plan in its own transaction (ON COMMIT
 * DROP), never migrated (db/schema/ is what drizzle-kit reads; these are not in it). Declared here
 * so the plan's statements name their columns, and its read-back is typed, like any table's.
 */
export const bfPending = pgTable('bf_pending', {
  tableName: text('table_name').notNull(),
  rowId: uuid('row_id').notNull(),
  clientAccountId: uuid('client_account_id'),
  engagementId: uuid('engagement_id'),
  createdAt: timestamp('created_at', { withTimezone: true }),
  dataImportId: uuid('data_import_id'),
  discoveryFlowId: uuid('discovery_flow_id'),
  legacyFlowId: uuid('legacy_flow_id'),
  quarantineId: uuid('quarantine_id'),
});

export const bfEvidence = pgTable('bf_evidence', {
  tableName: text('table_name').notNull(),
  rowId: uuid('row_id').notNull(),
  flowId: uuid('flow_id').notNull(),
  kind: text('kind').notNull(),
});

export const bfLinks = pgTable('bf_links', {
  tableName: text('table_name').notNull(),
  rowId: uuid('row_id').notNull(),
  flowId: uuid('flow_id').notNull(),
  evidence: text('evidence').notNull(),
  distanceSeconds: doublePrecision('distance_seconds'),
  quarantineId: uuid('quarantine_id'),
  clientAccountId: uuid('client_account_id'),
  engagementId: uuid('engagement_id'),
});

export const bfUnresolved = pgTable('bf_unresolved', {
  tableName: text('table_name').notNull(),
  rowId: uuid('row_id').notNull(),
  reason: text('reason').notNull(),
});

/** Each data import's master flow: existing, or linked by this plan. */
export const bfImportFlow = pgTable('bf_import_flow', {
  dataImportId: uuid('data_import_id'),
  flowId: uuid('flow_id'),
});

/** Raw records without a master flow, counted per data import, with their import's flow or none. */
export const bfRecords = pgTable('bf_records', {
  dataImportId: uuid('data_import_id'),
  flowId: uuid('flow_id'),
  records: integer('records'),
});
