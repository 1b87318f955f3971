import type { Sql } from '../../db/client.ts';
import type { InventoryCounts } from '../../db/inventory/reconcile.ts';
import type { Tenant } from '../../db/queries/sql.ts';
import { finishReconcile, reconcileChunk } from './reconcile-inventory.ts';

export interface BacklogResult {
  dataImportId: string;
  filename: string;
  inventory: InventoryCounts;
}

/**
 * Reconciles the drops of an engagement whose discovery completed but whose reconciliation never
 * did (drops older than the inventory, adopted ones, or one whose workflow failed in between),
 * oldest first, with the workflow's own steps: chunk by chunk, then finish. Idempotent.
 */
export async function reconcileBacklog(sql: Sql, tenant: Tenant, chunkRows = 50_000): Promise<BacklogResult[]> {
  const backlog = await sql<{ id: string; master_flow_id: string; filename: string; rows: number }[]>`
    select d.id, d.master_flow_id, d.filename,
      coalesce((select max(r.row_number) from raw_import_records r where r.data_import_id = d.id), 0)::int as rows
    from data_imports d
    join discovery_flows f on f.master_flow_id = d.master_flow_id and f.client_account_id = d.client_account_id
      and f.engagement_id = d.engagement_id and f.status = 'completed'
    where d.client_account_id = ${tenant.clientAccountId} and d.engagement_id = ${tenant.engagementId}
      and not exists (select 1 from inventory_reconciliations r where r.data_import_id = d.id and r.completed_at is not null)
    order by d.created_at, d.id`;
  const done: BacklogResult[] = [];
  for (const imp of backlog) {
    const input = { clientAccountId: tenant.clientAccountId, engagementId: tenant.engagementId, dataImportId: imp.id, flowId: imp.master_flow_id };
    const chunks = Math.max(1, Math.ceil(imp.rows / chunkRows));
    for (let chunk = 0; chunk < chunks; chunk++) await reconcileChunk(sql, { ...input, fromRow: 1 + chunk * chunkRows, chunkRows, chunk, chunks });
    done.push({ dataImportId: imp.id, filename: imp.filename, inventory: await finishReconcile(sql, input) });
  }
  return done;
}
