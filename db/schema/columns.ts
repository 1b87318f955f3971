import { sql } from 'drizzle-orm';
import { timestamp, uuid } from 'drizzle-orm/pg-core';

/** Shared column builders: every business table carries the tenant pair and timestamps with time zone. */
export const id = () => uuid('id').primaryKey().default(sql`gen_random_uuid()`);
export const tenant = () => ({
  clientAccountId: uuid('client_account_id').notNull(),
  engagementId: uuid('engagement_id').notNull(),
});
export const createdAt = () => timestamp('created_at', { withTimezone: true }).notNull().defaultNow();
export const updatedAt = () => timestamp('updated_at', { withTimezone: true });

import { foreignKey, index, type AnyPgColumn } from 'drizzle-orm/pg-core';
import { tenantPolicies } from './access.ts';

/**
 * The constraints every table under a master flow carries, with the names the integrity checker
 * and the legacy adoption refer to: `<table>_master_flow_id_fkey` (ON DELETE CASCADE to flow_id),
 * `<table>_master_flow_id_idx`, the tenant indexes and the tenant's row-level security.
 */
export function underMasterFlow(table: string, t: { masterFlowId: AnyPgColumn; clientAccountId: AnyPgColumn; engagementId: AnyPgColumn }, masterFlowIdColumn: AnyPgColumn) {
  return [
    foreignKey({ name: `${table}_master_flow_id_fkey`, columns: [t.masterFlowId], foreignColumns: [masterFlowIdColumn] }).onDelete('cascade'),
    index(`${table}_master_flow_id_idx`).on(t.masterFlowId),
    index(`${table}_client_account_id_idx`).on(t.clientAccountId),
    index(`${table}_engagement_id_idx`).on(t.engagementId),
    ...tenantPolicies(t.clientAccountId, t.engagementId),
  ];
}
