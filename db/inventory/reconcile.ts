import { sql } from 'drizzle-orm';
import type { Tx } from '../client.ts';
import type { Tenant } from '../queries/sql.ts';
import { assets, inventoryCandidates, inventoryItemKeys, inventoryItems, rawImportRecords } from '../schema/index.ts';
import { deriveItems } from './derive.ts';
import { assetKeys, IDENTIFIER_RANK, JOIN_RANK, kindLabel } from './keys.ts';

export interface InventoryCounts {
  /** Items this drop created. */
  new: number;
  /** Observations of this drop that joined an item an earlier drop made. */
  matched: number;
  /** Items of earlier drops whose values this drop changed. */
  updated: number;
  /** Candidate matches this drop proposed. */
  candidates: number;
}

export interface ReconcileScope extends Tenant {
  dataImportId: string;
  flowId: string;
}

/**
 * One engagement's inventory changes one transaction at a time: a transaction-scoped advisory lock
 * on the engagement (two-key form, its own key space), taken first and alone, so two drops of the
 * engagement queue on it and never deadlock; the wait is bounded by the step's lock_timeout
 * (55P03, retried).
 */
export async function lockInventory(db: Tx, tenant: Tenant): Promise<void> {
  await db.execute(sql`select pg_advisory_xact_lock(hashtext('flowlink.inventory'), hashtext(${tenant.engagementId}::text))`);
}

/**
 * Reconciles the observations (assets) of one drop's rows `fromRow..toRow` not yet reconciled
 * into the engagement's inventory (docs/inventory.md), set-based, in the caller's transaction after
 * lockInventory. In passes, each a few statements over the whole range:
 * 1. every open observation is paired with the items sharing one of its keys (rank ≤ MAC), each
 *    pair judged: the strongest shared key, and whether a stronger key contradicts it;
 * 2. an observation joins its best uncontradicted item (strongest key, then the oldest item); two
 *    joining one item in the same pass must not disagree on an identifier (the later waits);
 * 3. an observation with nothing to join gets a new item, unless an observation of this drop that
 *    it would join is still open before it, or joined an item in this pass: it waits a pass and then
 *    joins that one (rows of one file that are the same machine make one item);
 * 4. the keys of what was placed are added to its item.
 * Every pass places at least the first open observation, so the passes end; a file repeating a
 * machine across rows takes two or three. Then: the assets' links, the candidate matches (a key
 * shared with another item: an IP address alone, a name contradicted by an identifier, or a
 * second item as good), and the touched items' values re-derived.
 * Replayed, the range has nothing open left: nothing is written and zeros are returned.
 */
export async function reconcileRange(db: Tx, scope: ReconcileScope, range: { fromRow: number; toRow: number }): Promise<InventoryCounts & { observations: number }> {
  const c = scope.clientAccountId;
  const e = scope.engagementId;
  await db.execute(sql`drop table if exists pg_temp.inv_obs, pg_temp.inv_obs_keys, pg_temp.inv_pairs`);
  await db.execute(sql`create temp table inv_obs (asset_id uuid primary key, row_number int not null, item_id uuid, pass int, created boolean not null default false) on commit drop`);
  await db.execute(sql`create temp table inv_obs_keys (asset_id uuid not null, kind text not null, rank int not null, value text not null) on commit drop`);
  await db.execute(sql`create temp table inv_pairs (asset_id uuid not null, item_id uuid not null, shared_rank int not null, contradicted boolean not null) on commit drop`);
  const found = await db.execute(sql`
    insert into inv_obs (asset_id, row_number)
    select a.id, r.row_number
    from ${rawImportRecords} r
    join ${assets} a on a.raw_import_record_id = r.id
    where r.data_import_id = ${scope.dataImportId} and r.row_number between ${range.fromRow} and ${range.toRow}
      and r.client_account_id = ${c} and r.engagement_id = ${e}
      and a.master_flow_id = ${scope.flowId} and a.client_account_id = ${c} and a.engagement_id = ${e}
      and a.inventory_item_id is null`);
  if (!found.count) return { new: 0, matched: 0, updated: 0, candidates: 0, observations: 0 };
  await db.execute(sql`
    insert into inv_obs_keys (asset_id, kind, rank, value)
    select o.asset_id, k.kind, k.rank, k.value
    from inv_obs o join ${assets} a on a.id = o.asset_id cross join lateral ${assetKeys('a')} k`);
  await db.execute(sql`create index on inv_obs_keys (kind, value)`);
  await db.execute(sql`create index on inv_obs_keys (asset_id)`);
  await db.execute(sql`analyze inv_obs, inv_obs_keys`);

  // a key of the observation's, of a stronger rank than the pair's shared one, that the item has only with other values
  const contradicts = (obs: string, item: string, shared: string) =>
    sql.raw(`exists (
      select 1 from inv_obs_keys o2 join inventory_item_keys k2 on k2.inventory_item_id = ${item} and k2.kind = o2.kind
      where o2.asset_id = ${obs} and o2.rank < ${shared}
        and not exists (select 1 from inventory_item_keys k3 where k3.inventory_item_id = ${item} and k3.kind = o2.kind and k3.value = o2.value))`);

  for (let pass = 1; ; pass++) {
    await db.execute(sql`truncate inv_pairs`);
    await db.execute(sql`
      insert into inv_pairs (asset_id, item_id, shared_rank, contradicted)
      select p.asset_id, p.item_id, p.shared_rank, ${contradicts('p.asset_id', 'p.item_id', 'p.shared_rank')}
      from (
        select o.asset_id, k.inventory_item_id as item_id, min(o.rank) as shared_rank
        from inv_obs ob
        join inv_obs_keys o on o.asset_id = ob.asset_id and o.rank <= ${JOIN_RANK}
        join ${inventoryItemKeys} k on k.engagement_id = ${e} and k.client_account_id = ${c} and k.kind = o.kind and k.value = o.value
        where ob.item_id is null
        group by o.asset_id, k.inventory_item_id
      ) p`);
    await db.execute(sql`
      with eligible as (
        select distinct on (p.asset_id) p.asset_id, p.item_id
        from inv_pairs p join ${inventoryItems} i on i.id = p.item_id
        where not p.contradicted
        order by p.asset_id, p.shared_rank, i.created_at, i.id
      ),
      firsts as (
        select distinct on (e.item_id) e.item_id, e.asset_id
        from eligible e join inv_obs o on o.asset_id = e.asset_id
        order by e.item_id, o.row_number, o.asset_id
      ),
      accepted as (
        select e.asset_id, e.item_id from eligible e join firsts f on f.item_id = e.item_id
        where e.asset_id = f.asset_id or not exists (
          select 1 from inv_obs_keys x join inv_obs_keys y on y.asset_id = f.asset_id and y.kind = x.kind
          where x.asset_id = e.asset_id and x.rank <= ${IDENTIFIER_RANK} and x.value <> y.value)
      )
      update inv_obs o set item_id = a.item_id, pass = ${pass} from accepted a where o.asset_id = a.asset_id`);
    await db.execute(sql`
      with open as (
        select o.asset_id, o.row_number from inv_obs o
        where o.item_id is null and not exists (select 1 from inv_pairs p where p.asset_id = o.asset_id and not p.contradicted)
      ),
      sib as (
        select x.asset_id, ky.asset_id as other, min(kx.rank) as shared_rank
        from open x
        join inv_obs_keys kx on kx.asset_id = x.asset_id and kx.rank <= ${JOIN_RANK}
        join inv_obs_keys ky on ky.kind = kx.kind and ky.value = kx.value and ky.asset_id <> x.asset_id
        join inv_obs y on y.asset_id = ky.asset_id
        where y.pass = ${pass} or (y.item_id is null and (y.row_number, y.asset_id) < (x.row_number, x.asset_id))
        group by x.asset_id, ky.asset_id
      ),
      blocked as (
        select distinct s.asset_id from sib s
        where not exists (
          select 1 from inv_obs_keys a1 join inv_obs_keys b1 on b1.asset_id = s.other and b1.kind = a1.kind
          where a1.asset_id = s.asset_id and a1.rank < s.shared_rank and a1.value <> b1.value)
      ),
      fresh as (
        select o.asset_id, gen_random_uuid() as item_id from open o
        where not exists (select 1 from blocked b where b.asset_id = o.asset_id)
      ),
      made as (
        insert into ${inventoryItems} (id, client_account_id, engagement_id, origin_data_import_id)
        select f.item_id, ${c}, ${e}, ${scope.dataImportId} from fresh f
      )
      update inv_obs o set item_id = f.item_id, pass = ${pass}, created = true from fresh f where o.asset_id = f.asset_id`);
    await db.execute(sql`
      insert into ${inventoryItemKeys} (inventory_item_id, client_account_id, engagement_id, kind, value)
      select o.item_id, ${c}, ${e}, k.kind, k.value
      from inv_obs o join inv_obs_keys k on k.asset_id = o.asset_id
      where o.pass = ${pass}
      on conflict do nothing`);
    const [open] = await db.execute<{ n: number }>(sql`select count(*)::int as n from inv_obs where item_id is null`);
    if (!open!.n) break;
  }

  await db.execute(sql`
    update ${assets} a set inventory_item_id = o.item_id
    from inv_obs o
    where a.id = o.asset_id and a.client_account_id = ${c} and a.engagement_id = ${e} and a.inventory_item_id is null`);
  const [placed] = await db.execute<{ new: number; matched: number }>(sql`
    select count(*) filter (where o.created)::int as new,
           count(*) filter (where not o.created and i.origin_data_import_id is distinct from ${scope.dataImportId})::int as matched
    from inv_obs o join ${inventoryItems} i on i.id = o.item_id`);
  const candidates = await db.execute(sql`
    with pairs as (
      select o.asset_id, o.item_id as own, k.inventory_item_id as other, min(ok.rank) as shared_rank
      from inv_obs o
      join inv_obs_keys ok on ok.asset_id = o.asset_id
      join ${inventoryItemKeys} k on k.engagement_id = ${e} and k.client_account_id = ${c} and k.kind = ok.kind and k.value = ok.value
      where k.inventory_item_id <> o.item_id
      group by o.asset_id, o.item_id, k.inventory_item_id
    ),
    judged as (
      select p.*,
        (select ok.kind from inv_obs_keys ok where ok.asset_id = p.asset_id and ok.rank = p.shared_rank limit 1) as shared_kind,
        (select min(ok.value) from inv_obs_keys ok join ${inventoryItemKeys} k on k.inventory_item_id = p.other and k.kind = ok.kind and k.value = ok.value
          where ok.asset_id = p.asset_id and ok.rank = p.shared_rank) as shared_value,
        (select o2.kind from inv_obs_keys o2 join ${inventoryItemKeys} k2 on k2.inventory_item_id = p.other and k2.kind = o2.kind
          where o2.asset_id = p.asset_id and o2.rank < p.shared_rank
            and not exists (select 1 from ${inventoryItemKeys} k3 where k3.inventory_item_id = p.other and k3.kind = o2.kind and k3.value = o2.value)
          order by o2.rank limit 1) as contradicting_kind
      from pairs p
    )
    insert into ${inventoryCandidates} (client_account_id, engagement_id, inventory_item_id, candidate_item_id, asset_id, reason)
    select distinct on (least(j.other, j.own), greatest(j.other, j.own)) ${c}, ${e}, j.other, j.own, j.asset_id,
      case
        when j.shared_kind = 'ip' then format('only the IP address %s is shared%s', j.shared_value,
          case when j.contradicting_kind is not null then format(' (the %s differs)', ${kindLabel(sql`j.contradicting_kind`)}) else '' end)
        when j.contradicting_kind is not null then
          format('%s %s matches, but the %s differs', ${kindLabel(sql`j.shared_kind`)}, j.shared_value, ${kindLabel(sql`j.contradicting_kind`)})
        else format('%s %s matches this item as well', ${kindLabel(sql`j.shared_kind`)}, j.shared_value)
      end
    from judged j
    order by least(j.other, j.own), greatest(j.other, j.own), j.shared_rank
    on conflict do nothing`);
  const updated = await deriveItems(db, scope, sql`select distinct item_id from inv_obs`);
  return {
    new: placed!.new,
    matched: placed!.matched,
    updated: updated.filter((item) => item.originDataImportId !== scope.dataImportId).length,
    candidates: candidates.count,
    observations: found.count,
  };
}
