import { sql, type SQL } from 'drizzle-orm';
import type { Tx } from '../client.ts';
import { assets, dataImports, discoveryFlows, inventoryItems, inventoryReconciliations } from '../schema/index.ts';
import type { CheckResult, IntegrityScope } from './types.ts';

const ITEM_KEY = 'assets_inventory_item_fkey';

/**
 * The engagement inventory's guarantees (docs/inventory.md), within the scope:
 * - `unreconciled.assets` (critical): an asset of a drop whose reconciliation completed that belongs
 *   to no inventory item; (warning) one of a completed discovery never reconciled (a drop older than
 *   the inventory, or adopted);
 * - `cross_tenant.inventory_items`: an asset linked to an item of another tenant. The composite key
 *   assets_inventory_item_fkey refuses it; while it is validated and enforced (and the check is not deep) the check is proven by
 *   it, otherwise counted;
 * - `orphan.inventory_items` (critical): an item without an observation (retract and merge remove
 *   those in the same transaction).
 * Exactly one item per asset holds by construction (one column). Each check is one aggregate with
 * sample ids only when it fails.
 */
export async function runInventoryChecks(db: Tx, scope: IntegrityScope, sampleLimit: number, deep = false): Promise<CheckResult[]> {
  const [present] = await db.execute<{ ok: boolean; proven: boolean }>(sql`
    select to_regclass('public.inventory_items') is not null and to_regclass('public.inventory_reconciliations') is not null as ok,
      exists (select 1 from pg_constraint k where k.conname = ${ITEM_KEY} and k.convalidated
              and not exists (select 1 from pg_trigger g where g.tgconstraint = k.oid and g.tgenabled not in ('O', 'A'))) as proven`);
  if (!present?.ok) return [];
  // a deep check trusts no constraint
  const proven = present.proven && !deep;
  const a = assets;
  const within = (alias: string): SQL => {
    const filters: SQL[] = [sql`true`];
    if (scope.clientAccountId) filters.push(sql`${sql.raw(alias)}.client_account_id = ${scope.clientAccountId}`);
    if (scope.engagementId) filters.push(sql`${sql.raw(alias)}.engagement_id = ${scope.engagementId}`);
    return sql.join(filters, sql` and `);
  };
  const flow = scope.flowId ? sql`and a.master_flow_id = ${scope.flowId}` : sql``;
  const reconciled = sql`
    from ${a} a join ${dataImports} d on d.master_flow_id = a.master_flow_id
    join ${inventoryReconciliations} r on r.data_import_id = d.id and r.completed_at is not null
    where a.inventory_item_id is null and ${within('a')} ${flow}`;
  const never = sql`
    from ${a} a join ${discoveryFlows} f on f.id = a.discovery_flow_id and f.status = 'completed'
    where a.inventory_item_id is null and ${within('a')} ${flow}
      and not exists (select 1 from ${dataImports} d join ${inventoryReconciliations} r on r.data_import_id = d.id where d.master_flow_id = a.master_flow_id)`;
  const crossTenant = sql`
    from ${a} a join ${inventoryItems} i on i.id = a.inventory_item_id
    where (i.client_account_id <> a.client_account_id or i.engagement_id <> a.engagement_id) and ${within('a')} ${flow}`;
  const itemScope = scope.flowId ? sql`and i.engagement_id in (select engagement_id from ${dataImports} where master_flow_id = ${scope.flowId})` : sql``;
  const orphans = sql`
    from ${inventoryItems} i
    where ${within('i')} ${itemScope} and not exists (select 1 from ${a} a where a.inventory_item_id = i.id)`;

  const defs: Array<{ id: string; severity: CheckResult['severity']; table: string; from: SQL | null; idOf: string; description: string; provenBy?: string }> = [
    {
      id: 'unreconciled.assets',
      severity: 'critical',
      table: 'assets',
      from: reconciled,
      idOf: 'a.id',
      description: 'assets of a drop whose inventory reconciliation completed that belong to no inventory item',
    },
    {
      id: 'unreconciled_legacy.assets',
      severity: 'warning',
      table: 'assets',
      from: never,
      idOf: 'a.id',
      description:
        'assets of a completed discovery whose drop was never reconciled into the inventory (older than the inventory, or adopted): ' +
        'they are in no inventory item. `flowlink inventory reconcile --client <id> --engagement <id>` reconciles them',
    },
    {
      id: 'cross_tenant.inventory_items',
      severity: 'critical',
      table: 'assets',
      from: proven ? null : crossTenant,
      idOf: 'a.id',
      description: 'assets linked to an inventory item of another client or engagement',
      ...(proven ? { provenBy: ITEM_KEY } : {}),
    },
    { id: 'orphan.inventory_items', severity: 'critical', table: 'inventory_items', from: orphans, idOf: 'i.id', description: 'inventory items without an observation (no asset links to them)' },
  ];
  const checks: CheckResult[] = [];
  for (const d of defs) {
    const [row] = d.from ? await db.execute<{ n: number }>(sql`select count(*)::int as n ${d.from}`) : [{ n: 0 }];
    const count = row!.n;
    const sampleIds = count && d.from && sampleLimit ? (await db.execute<{ id: string }>(sql`select ${sql.raw(d.idOf)}::text as id ${d.from} order by 1 limit ${sampleLimit}`)).map((r) => r.id) : [];
    const check: CheckResult = { id: d.id, severity: d.severity, table: d.table, count, sampleIds, description: d.description, kind: 'data' };
    if (d.provenBy) check.provenBy = d.provenBy;
    checks.push(check);
  }
  return checks;
}
