import { sql } from 'drizzle-orm';
import { check, doublePrecision, foreignKey, index, integer, jsonb, pgTable, primaryKey, text, timestamp, unique, uniqueIndex, uuid } from 'drizzle-orm/pg-core';
import { tenantPolicies } from './access.ts';
import { createdAt, id, tenant, updatedAt } from './columns.ts';
import { assetType, candidateStatus } from './enums.ts';
import { dataImports } from './discovery.ts';
import { engagements } from './tenancy.ts';

/**
 * The engagement's inventory: one record per real machine (or device) across every drop. Assets
 * stay one per raw record under their master flow (the observations, the evidence); an item is the
 * conclusion drawn from them (assets.inventory_item_id). Its values are re-derived from its
 * observations (db/inventory/derive.ts): each field from the most recent drop with a value,
 * `provenance` naming the asset it came from, `last_seen` the latest drop of each source system.
 */
export const inventoryItems = pgTable(
  'inventory_items',
  {
    id: id(),
    ...tenant(),
    hostname: text('hostname'),
    fqdn: text('fqdn'),
    ipAddresses: jsonb('ip_addresses').$type<string[]>(),
    macAddresses: jsonb('mac_addresses').$type<string[]>(),
    operatingSystem: text('operating_system'),
    osVersion: text('os_version'),
    cpuCores: integer('cpu_cores'),
    memoryGb: doublePrecision('memory_gb'),
    storageGb: doublePrecision('storage_gb'),
    assetType: assetType('asset_type'),
    environment: text('environment'),
    vmUuid: text('vm_uuid'),
    biosUuid: text('bios_uuid'),
    serialNumber: text('serial_number'),
    cloudInstanceId: text('cloud_instance_id'),
    cmdbSysId: text('cmdb_sys_id'),
    /** Per field, the asset (observation) its value came from: `{ "hostname": "<asset id>", … }`. */
    provenance: jsonb('provenance').$type<Record<string, string>>().notNull().default(sql`'{}'::jsonb`),
    /** Per source system, the latest drop that saw the item: `{ "rvtools_vinfo": { "dataImportId": "<id>" } }`. */
    lastSeen: jsonb('last_seen').$type<Record<string, { dataImportId: string }>>().notNull().default(sql`'{}'::jsonb`),
    /** The drop whose reconciliation created the item (counts "new" once per drop); informational, no key. */
    originDataImportId: uuid('origin_data_import_id'),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    foreignKey({
      name: 'inventory_items_engagement_fkey',
      columns: [t.engagementId, t.clientAccountId],
      foreignColumns: [engagements.id, engagements.clientAccountId],
    }).onDelete('cascade'),
    // target of the tenant-carrying keys of assets, keys and candidates: an item only within its own tenant
    unique('inventory_items_tenant_key').on(t.id, t.clientAccountId, t.engagementId),
    index('inventory_items_engagement_id_idx').on(t.engagementId, t.clientAccountId),
    index('inventory_items_client_account_id_idx').on(t.clientAccountId),
    ...tenantPolicies(t.clientAccountId, t.engagementId),
  ],
);

/**
 * Every matching key any observation of an item carried (kind: vm_uuid, bios_uuid, serial_number,
 * cloud_instance_id, cmdb_sys_id, fqdn, host, mac, ip), normalised: what a new observation is matched
 * against (db/inventory/keys.ts). Rebuilt from the observations when an item loses some (retract).
 */
export const inventoryItemKeys = pgTable(
  'inventory_item_keys',
  {
    inventoryItemId: uuid('inventory_item_id').notNull(),
    ...tenant(),
    kind: text('kind').notNull(),
    value: text('value').notNull(),
  },
  (t) => [
    primaryKey({ name: 'inventory_item_keys_pkey', columns: [t.inventoryItemId, t.kind, t.value] }),
    foreignKey({
      name: 'inventory_item_keys_item_fkey',
      columns: [t.inventoryItemId, t.clientAccountId, t.engagementId],
      foreignColumns: [inventoryItems.id, inventoryItems.clientAccountId, inventoryItems.engagementId],
    }).onDelete('cascade'),
    index('inventory_item_keys_lookup_idx').on(t.engagementId, t.kind, t.value),
    index('inventory_item_keys_client_account_id_idx').on(t.clientAccountId),
    ...tenantPolicies(t.clientAccountId, t.engagementId),
  ],
);

/**
 * A possible match reconciliation would not make on its own (an IP address alone, or a name whose
 * stable identifiers disagree): two items a person confirms (merged) or rejects (kept apart). The
 * decision stays: the same pair is never proposed again. One row per unordered pair.
 */
export const inventoryCandidates = pgTable(
  'inventory_candidates',
  {
    id: id(),
    ...tenant(),
    /** The item that was there first. */
    inventoryItemId: uuid('inventory_item_id').notNull(),
    /** The item the new observation went to (its own, or a new one). */
    candidateItemId: uuid('candidate_item_id').notNull(),
    /** The observation that raised it. */
    assetId: uuid('asset_id'),
    reason: text('reason').notNull(),
    status: candidateStatus('status').notNull().default('pending'),
    decidedAt: timestamp('decided_at', { withTimezone: true }),
    decidedBy: text('decided_by'),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    foreignKey({
      name: 'inventory_candidates_item_fkey',
      columns: [t.inventoryItemId, t.clientAccountId, t.engagementId],
      foreignColumns: [inventoryItems.id, inventoryItems.clientAccountId, inventoryItems.engagementId],
    }).onDelete('cascade'),
    foreignKey({
      name: 'inventory_candidates_candidate_item_fkey',
      columns: [t.candidateItemId, t.clientAccountId, t.engagementId],
      foreignColumns: [inventoryItems.id, inventoryItems.clientAccountId, inventoryItems.engagementId],
    }).onDelete('cascade'),
    uniqueIndex('inventory_candidates_pair_key').on(sql`least(${t.inventoryItemId}, ${t.candidateItemId})`, sql`greatest(${t.inventoryItemId}, ${t.candidateItemId})`),
    index('inventory_candidates_candidate_item_id_idx').on(t.candidateItemId),
    index('inventory_candidates_engagement_id_idx').on(t.engagementId, t.clientAccountId, t.status),
    index('inventory_candidates_client_account_id_idx').on(t.clientAccountId),
    check('inventory_candidates_two_items', sql`${t.inventoryItemId} <> ${t.candidateItemId}`),
    ...tenantPolicies(t.clientAccountId, t.engagementId),
  ],
);

/**
 * One drop's reconciliation: its counts, added to by each chunk in the chunk's own transaction (a
 * chunk replayed finds nothing left to reconcile and adds nothing), completed by FinishReconcile.
 */
export const inventoryReconciliations = pgTable(
  'inventory_reconciliations',
  {
    dataImportId: uuid('data_import_id').primaryKey(),
    ...tenant(),
    newItems: integer('new_items').notNull().default(0),
    matched: integer('matched').notNull().default(0),
    updated: integer('updated').notNull().default(0),
    candidates: integer('candidates').notNull().default(0),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
    completedAt: timestamp('completed_at', { withTimezone: true }),
  },
  (t) => [
    foreignKey({
      name: 'inventory_reconciliations_engagement_fkey',
      columns: [t.engagementId, t.clientAccountId],
      foreignColumns: [engagements.id, engagements.clientAccountId],
    }).onDelete('cascade'),
    foreignKey({ name: 'inventory_reconciliations_data_import_id_fkey', columns: [t.dataImportId], foreignColumns: [dataImports.id] }).onDelete('cascade'),
    index('inventory_reconciliations_engagement_id_idx').on(t.engagementId, t.clientAccountId),
    ...tenantPolicies(t.clientAccountId, t.engagementId),
  ],
);
