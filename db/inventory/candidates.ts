import { sql } from 'drizzle-orm';
import { orm, type Sql } from '../client.ts';
import { NotFoundError } from '../../workflows/step-errors.ts';
import { assets, inventoryCandidates, inventoryItemKeys, inventoryItems } from '../schema/index.ts';
import type { Tenant } from '../queries/sql.ts';
import { deriveItems } from './derive.ts';
import { lockInventory } from './reconcile.ts';

export class CandidateDecidedError extends Error {
  override name = 'CandidateDecidedError';
}

export interface Decision {
  candidateId: string;
  status: 'confirmed' | 'rejected';
  /** The item both are now (confirm), or the two kept apart (reject). */
  inventoryItemId: string;
  candidateItemId: string;
}

/**
 * A person's decision on a candidate match, within its tenant. Reject: the pair stays apart, and
 * reconciliation never proposes it again (one row per pair). Confirm: the later item is merged
 * into the earlier one (its observations and keys move, it is deleted, the earlier re-derived),
 * so later drops of the machine join the one item. Deciding again the same way answers the same;
 * the other way is refused.
 */
export async function decideCandidate(client: Sql, tenant: Tenant, candidateId: string, status: 'confirmed' | 'rejected', decidedBy: string | null = null): Promise<Decision> {
  return client.begin(async (tx) => {
    const db = orm(tx);
    await lockInventory(db, tenant);
    const c = tenant.clientAccountId;
    const e = tenant.engagementId;
    const [cand] = await db.execute<{ inventory_item_id: string; candidate_item_id: string; status: string }>(sql`
      select inventory_item_id, candidate_item_id, status::text from ${inventoryCandidates}
      where id = ${candidateId} and client_account_id = ${c} and engagement_id = ${e} for update`);
    if (!cand) throw new NotFoundError(`candidate ${candidateId} does not exist for client ${c} / engagement ${e}`);
    const decision = { candidateId, status, inventoryItemId: cand.inventory_item_id, candidateItemId: cand.candidate_item_id };
    if (cand.status === status) return decision;
    if (cand.status !== 'pending') throw new CandidateDecidedError(`candidate ${candidateId} was already ${cand.status}`);
    await db.execute(sql`
      update ${inventoryCandidates} set status = ${status}, decided_at = now(), decided_by = ${decidedBy}, updated_at = now()
      where id = ${candidateId} and client_account_id = ${c} and engagement_id = ${e}`);
    if (status === 'rejected') return decision;
    const keep = cand.inventory_item_id;
    const drop = cand.candidate_item_id;
    await db.execute(sql`update ${assets} set inventory_item_id = ${keep} where inventory_item_id = ${drop} and client_account_id = ${c} and engagement_id = ${e}`);
    await db.execute(sql`
      insert into ${inventoryItemKeys} (inventory_item_id, client_account_id, engagement_id, kind, value)
      select ${keep}, client_account_id, engagement_id, kind, value from ${inventoryItemKeys}
      where inventory_item_id = ${drop} and client_account_id = ${c} and engagement_id = ${e}
      on conflict do nothing`);
    // the merged item's other candidates go with it (its keys, now the earlier item's, raise them again if they still hold)
    await db.execute(sql`delete from ${inventoryItems} where id = ${drop} and client_account_id = ${c} and engagement_id = ${e}`);
    await deriveItems(db, tenant, sql`select ${keep}::uuid`);
    return decision;
  }) as Promise<Decision>;
}
