import { pgEnum } from 'drizzle-orm/pg-core';

export const flowType = pgEnum('flow_type', ['discovery', 'assessment', 'planning', 'execution']);
export const flowStatus = pgEnum('flow_status', ['pending', 'running', 'completed', 'failed', 'cancelled']);
/**
 * pending → stored (raw rows written, no master flow yet) → linked → processing → completed, or
 * completed_with_errors (some rows rejected or some values unreadable, within the threshold), or failed.
 * From `linked` on, the database requires master_flow_id (data_imports_master_flow_required).
 */
export const importStatus = pgEnum('import_status', ['pending', 'stored', 'linked', 'processing', 'completed', 'failed', 'completed_with_errors']);
export const assetType = pgEnum('asset_type', ['server', 'database', 'application', 'network', 'storage']);
export const matchType = pgEnum('match_type', ['exact', 'synonym', 'fuzzy', 'unmapped', 'manual']);
/** A possible inventory match: pending until a person confirms (merges) or rejects it. */
export const candidateStatus = pgEnum('inventory_candidate_status', ['pending', 'confirmed', 'rejected']);
