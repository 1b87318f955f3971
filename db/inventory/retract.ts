import { operatorTransaction } from '../access.ts';
import { sql, type SQL } from 'drizzle-orm';
import type { Sql } from '../client.ts';
import { NotFoundError } from '../../workflows/step-errors.ts';
import { assets, dataImports, importFieldMappings, inventoryCandidates, inventoryItemKeys, inventoryItems, masterFlows, rawImportRecords } from '../schema/index.ts';
import type { Tenant } from '../queries/sql.ts';
import type { Tx } from '../client.ts';
import { deriveItems } from './derive.ts';
import { assetKeys } from './keys.ts';
import { lockInventory } from './reconcile.ts';

export interface RetractResult {
  dataImportId: string;
  clientAccountId: string;
  engagementId: string;
  filename: string;
  masterFlowId: string | null;
  /** What goes with the import's master flow, by the cascades. */
  removed: { rawRecords: number; assets: number; fieldMappings: number; inventoryItems: number };
  /** Items that keep observations of other imports: their values re-derived from those. */
  rederivedItems: number;
  applied: boolean;
}

class DryRun extends Error {
  constructor(readonly result: RetractResult) {
    super('dry run');
  }
}

/**
 * Retracts one import: deletes its master flow, and with it, by the existing cascades, the import,
 * its raw records, field mappings, discovery flow and assets; then the inventory items that lost
 * their last observation (their keys and candidates cascade), and re-derives the others (keys and
 * values) from the observations that remain. One transaction, serialised with reconciliation on
 * the engagement's inventory lock; `clientAccountId`, when given, must be the import's. A dry run
 * (the default) does all of it and rolls back, so its counts are exactly what --apply does.
 * Nothing of another import or tenant is touched but the re-derived items' values.
 */
export async function retractImport(client: Sql, dataImportId: string, options: { apply?: boolean; clientAccountId?: string } = {}): Promise<RetractResult> {
  try {
    // as the operator, as on AWS (the Retract Lambda logs in as flowlink_operator): across tenants by design
    return (await operatorTransaction(client, async (tx) => {
      const result = await retractIn(tx, dataImportId, options.clientAccountId);
      const applied = { ...result, applied: Boolean(options.apply) };
      if (!options.apply) throw new DryRun(applied);
      return applied;
    })) as RetractResult;
  } catch (err) {
    if (err instanceof DryRun) return err.result;
    throw err;
  }
}

async function retractIn(db: Tx, dataImportId: string, clientAccountId: string | undefined): Promise<Omit<RetractResult, 'applied'>> {
  const [imp] = await db.execute<{ client_account_id: string; engagement_id: string; filename: string; master_flow_id: string | null }>(sql`
    select client_account_id, engagement_id, filename, master_flow_id from ${dataImports}
    where id = ${dataImportId} ${clientAccountId ? sql`and client_account_id = ${clientAccountId}` : sql``}`);
  if (!imp) throw new NotFoundError(`data import ${dataImportId} does not exist${clientAccountId ? ` for client ${clientAccountId}` : ''}`);
  const tenant: Tenant = { clientAccountId: imp.client_account_id, engagementId: imp.engagement_id };
  const c = tenant.clientAccountId;
  const e = tenant.engagementId;
  await lockInventory(db, tenant);
  await db.execute(sql`select 1 from ${dataImports} where id = ${dataImportId} for update`);

  const [counts] = await db.execute<{ raw: number; assets: number; mappings: number }>(sql`
    select (select count(*)::int from ${rawImportRecords} where data_import_id = ${dataImportId} and client_account_id = ${c} and engagement_id = ${e}) as raw,
           (select count(*)::int from ${assets} where master_flow_id = ${imp.master_flow_id} and client_account_id = ${c} and engagement_id = ${e}) as assets,
           (select count(*)::int from ${importFieldMappings} where data_import_id = ${dataImportId} and client_account_id = ${c} and engagement_id = ${e}) as mappings`);
  await db.execute(sql`drop table if exists pg_temp.retract_items`);
  await db.execute(sql`
    create temp table retract_items on commit drop as
    select distinct inventory_item_id as id from ${assets}
    where master_flow_id = ${imp.master_flow_id} and client_account_id = ${c} and engagement_id = ${e} and inventory_item_id is not null`);
  await db.execute(sql`
    update ${inventoryCandidates} set asset_id = null
    where asset_id in (select id from ${assets} where master_flow_id = ${imp.master_flow_id} and client_account_id = ${c} and engagement_id = ${e})
      and client_account_id = ${c} and engagement_id = ${e}`);

  if (imp.master_flow_id) {
    await db.execute(sql`delete from ${masterFlows} where flow_id = ${imp.master_flow_id} and client_account_id = ${c} and engagement_id = ${e}`);
  }
  // an import without a master flow (stored, or failed before its flow): its records go with it
  await db.execute(sql`delete from ${dataImports} where id = ${dataImportId} and client_account_id = ${c} and engagement_id = ${e}`);

  const gone = await db.execute(sql`
    delete from ${inventoryItems} i using retract_items r
    where i.id = r.id and i.client_account_id = ${c} and i.engagement_id = ${e}
      and not exists (select 1 from ${assets} a where a.inventory_item_id = i.id)`);
  const kept = sql`select r.id from retract_items r join ${inventoryItems} i on i.id = r.id`;
  await rebuildKeys(db, tenant, kept);
  const [rederived] = await db.execute<{ n: number }>(sql`select count(*)::int as n from (${kept}) k`);
  await deriveItems(db, tenant, kept);
  return {
    dataImportId,
    clientAccountId: c,
    engagementId: e,
    filename: imp.filename,
    masterFlowId: imp.master_flow_id,
    removed: { rawRecords: counts!.raw, assets: counts!.assets, fieldMappings: counts!.mappings, inventoryItems: gone.count },
    rederivedItems: rederived!.n,
  };
}

/** The matching keys of the items `itemIds`, rebuilt from the observations they have. */
export async function rebuildKeys(db: Tx, tenant: Tenant, itemIds: SQL): Promise<void> {
  await db.execute(sql`
    delete from ${inventoryItemKeys} where inventory_item_id in (${itemIds})
      and client_account_id = ${tenant.clientAccountId} and engagement_id = ${tenant.engagementId}`);
  await db.execute(sql`
    insert into ${inventoryItemKeys} (inventory_item_id, client_account_id, engagement_id, kind, value)
    select a.inventory_item_id, a.client_account_id, a.engagement_id, k.kind, k.value
    from ${assets} a cross join lateral ${assetKeys('a')} k
    where a.inventory_item_id in (${itemIds}) and a.client_account_id = ${tenant.clientAccountId} and a.engagement_id = ${tenant.engagementId}
    on conflict do nothing`);
}
