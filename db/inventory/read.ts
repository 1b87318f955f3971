import { sql } from 'drizzle-orm';
import type { Tx } from '../client.ts';
import type { Tenant } from '../queries/sql.ts';
import { assets, dataImports, inventoryCandidates, inventoryItems, rawImportRecords } from '../schema/index.ts';

export interface InventorySource {
  dataImportId: string;
  filename: string;
  rowNumber: number | null;
  assetId: string;
}

export interface InventoryItemView {
  id: string;
  hostname: string | null;
  fqdn: string | null;
  ipAddresses: string[];
  macAddresses: string[];
  operatingSystem: string | null;
  osVersion: string | null;
  cpuCores: number | null;
  memoryGb: number | null;
  storageGb: number | null;
  assetType: string | null;
  environment: string | null;
  /** Per field, the asset its value came from. */
  provenance: Record<string, string>;
  /** Per source system: whether the latest completed drop of that source saw the machine (false: kept, not seen since). */
  seenInLatest: Record<string, boolean>;
  sources: InventorySource[];
}

export interface CandidateView {
  id: string;
  status: string;
  reason: string;
  inventoryItemId: string;
  inventoryItemHostname: string | null;
  candidateItemId: string;
  candidateItemHostname: string | null;
  assetId: string | null;
}

/**
 * The engagement's inventory as people read it: every item with its values, provenance and
 * sources (the file rows that are its observations), and the candidate matches (`pending` only,
 * unless `allCandidates`). Set-based: one statement for the items, one for the candidates.
 */
export async function readInventory(db: Tx, tenant: Tenant, options: { allCandidates?: boolean } = {}): Promise<{ items: InventoryItemView[]; candidates: CandidateView[] }> {
  const c = tenant.clientAccountId;
  const e = tenant.engagementId;
  const items = await db.execute<Record<string, unknown>>(sql`
    with latest as (
      select distinct on (coalesce(source_system, 'unknown')) coalesce(source_system, 'unknown') as source, id
      from ${dataImports} where client_account_id = ${c} and engagement_id = ${e} and status = 'completed'
      order by coalesce(source_system, 'unknown'), created_at desc, id
    ),
    src as (
      select a.inventory_item_id as item_id,
        jsonb_agg(jsonb_build_object('dataImportId', d.id, 'filename', d.filename, 'rowNumber', r.row_number, 'assetId', a.id)
          order by d.created_at, r.row_number) as sources
      from ${assets} a
      join ${dataImports} d on d.master_flow_id = a.master_flow_id and d.client_account_id = a.client_account_id and d.engagement_id = a.engagement_id
      left join ${rawImportRecords} r on r.id = a.raw_import_record_id
      where a.client_account_id = ${c} and a.engagement_id = ${e} and a.inventory_item_id is not null
      group by a.inventory_item_id
    )
    select i.id, i.hostname, i.fqdn, coalesce(i.ip_addresses, '[]'::jsonb) as "ipAddresses", coalesce(i.mac_addresses, '[]'::jsonb) as "macAddresses",
      i.operating_system as "operatingSystem", i.os_version as "osVersion", i.cpu_cores as "cpuCores", i.memory_gb as "memoryGb",
      i.storage_gb as "storageGb", i.asset_type::text as "assetType", i.environment, i.provenance,
      coalesce((select jsonb_object_agg(s.key, (s.value->>'dataImportId') = l.id::text) from jsonb_each(i.last_seen) s join latest l on l.source = s.key), '{}'::jsonb) as "seenInLatest",
      coalesce(src.sources, '[]'::jsonb) as sources
    from ${inventoryItems} i left join src on src.item_id = i.id
    where i.client_account_id = ${c} and i.engagement_id = ${e}
    order by lower(coalesce(i.hostname, i.fqdn, '')), i.created_at, i.id`);
  const candidates = await db.execute<Record<string, unknown>>(sql`
    select k.id, k.status::text as status, k.reason, k.inventory_item_id as "inventoryItemId", a.hostname as "inventoryItemHostname",
      k.candidate_item_id as "candidateItemId", b.hostname as "candidateItemHostname", k.asset_id as "assetId"
    from ${inventoryCandidates} k
    join ${inventoryItems} a on a.id = k.inventory_item_id
    join ${inventoryItems} b on b.id = k.candidate_item_id
    where k.client_account_id = ${c} and k.engagement_id = ${e} ${options.allCandidates ? sql`` : sql`and k.status = 'pending'`}
    order by k.created_at, k.id`);
  return { items: [...items] as unknown as InventoryItemView[], candidates: [...candidates] as unknown as CandidateView[] };
}

/** The drop's inventory counts, once its reconciliation completed. */
export async function inventoryCountsOf(db: Tx, tenant: Tenant, dataImportId: string) {
  const [row] = await db.execute<{ new: number; matched: number; updated: number; candidates: number }>(sql`
    select new_items as new, matched, updated, candidates from inventory_reconciliations
    where data_import_id = ${dataImportId} and client_account_id = ${tenant.clientAccountId} and engagement_id = ${tenant.engagementId}
      and completed_at is not null`);
  return row ?? null;
}
