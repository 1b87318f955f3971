import { describe, expect, it } from 'vitest';
import { runIntegrityCheck } from '../../db/integrity/index.ts';
import { createTenant } from '../support/fixtures.ts';
import { useWorkflowWorld } from '../workflow/harness.ts';

const world = useWorkflowWorld();
const FILE = ['Hostname,IP Address', 'web01,10.0.0.1', 'db01,10.0.0.2'].join('\n');

const check = (report: Awaited<ReturnType<typeof runIntegrityCheck>>, id: string) => report.checks.find((c) => c.id === id)!;

describe('integrity covers the inventory', () => {
  it('every reconciled asset belongs to an item of its own tenant, and no item is without an observation', async () => {
    const tenant = await world.tenant();
    expect((await world.drop(tenant, 'servers.csv', FILE)).record.status).toBe('SUCCEEDED');
    const scope = { clientAccountId: tenant.clientAccountId, engagementId: tenant.engagementId };
    const clean = await runIntegrityCheck(world.sql, scope);
    for (const id of ['unreconciled.assets', 'unreconciled_legacy.assets', 'cross_tenant.inventory_items', 'orphan.inventory_items']) {
      expect(check(clean, id).count, id).toBe(0);
    }
    expect(check(clean, 'cross_tenant.inventory_items').provenBy).toBe('assets_inventory_item_fkey');
    expect(clean.ok).toBe(true);

    // the database refuses an asset linked to another tenant's item
    const other = await createTenant(world.sql);
    const [foreign] = await world.sql<{ id: string }[]>`
      insert into inventory_items (client_account_id, engagement_id) values (${other.clientAccountId}, ${other.engagementId}) returning id`;
    await expect(world.sql`update assets set inventory_item_id = ${foreign!.id} where client_account_id = ${tenant.clientAccountId}`).rejects.toMatchObject({
      constraint_name: 'assets_inventory_item_fkey',
    });

    // an asset taken out of its item, and the item it leaves empty
    const [asset] = await world.sql<{ id: string; inventory_item_id: string }[]>`
      update assets set inventory_item_id = null
      where id = (select id from assets where client_account_id = ${tenant.clientAccountId} and hostname = 'web01') returning id, inventory_item_id`;
    const [item] = await world.sql<{ id: string }[]>`
      select i.id from inventory_items i where i.client_account_id = ${tenant.clientAccountId} and i.hostname = 'web01'`;
    const broken = await runIntegrityCheck(world.sql, scope);
    expect(check(broken, 'unreconciled.assets')).toMatchObject({ severity: 'critical', count: 1, sampleIds: [asset!.id] });
    expect(check(broken, 'orphan.inventory_items')).toMatchObject({ severity: 'critical', count: 1, sampleIds: [item!.id] });
    expect(broken.ok).toBe(false);
    // the other tenant's empty item is outside this scope
    const otherScope = await runIntegrityCheck(world.sql, { clientAccountId: other.clientAccountId });
    expect(check(otherScope, 'orphan.inventory_items')).toMatchObject({ count: 1, sampleIds: [foreign!.id] });
  });
});

describe('drops older than the inventory', () => {
  it('are reported as never reconciled, and `inventory reconcile` brings them in, oldest first', async () => {
    const tenant = await world.tenant();
    await world.drop(tenant, 'old.csv', ['Hostname,IP Address,RAM (GB)', 'web01,10.0.0.1,8'].join('\n'));
    await world.drop(tenant, 'newer.csv', ['Hostname,IP Address,RAM (GB)', 'WEB01,10.0.0.1,16'].join('\n'));
    // as a database migrated from before the inventory has them: no item, no reconciliation
    await world.sql`update assets set inventory_item_id = null where client_account_id = ${tenant.clientAccountId}`;
    await world.sql`delete from inventory_items where client_account_id = ${tenant.clientAccountId}`;
    await world.sql`delete from inventory_reconciliations where client_account_id = ${tenant.clientAccountId}`;
    const scope = { clientAccountId: tenant.clientAccountId, engagementId: tenant.engagementId };
    const before = await runIntegrityCheck(world.sql, scope);
    expect(check(before, 'unreconciled_legacy.assets')).toMatchObject({ severity: 'warning', count: 2 });
    expect(check(before, 'unreconciled.assets').count).toBe(0);

    const { reconcileBacklog } = await import('../../functions/reconcile-inventory/backlog.ts');
    const done = await reconcileBacklog(world.sql, tenant);
    expect(done.map((d) => [d.filename, d.inventory])).toEqual([
      ['old.csv', { new: 1, matched: 0, updated: 0, candidates: 0 }],
      ['newer.csv', { new: 0, matched: 1, updated: 1, candidates: 0 }],
    ]);
    expect(await reconcileBacklog(world.sql, tenant)).toEqual([]);
    const after = await runIntegrityCheck(world.sql, scope);
    expect(check(after, 'unreconciled_legacy.assets').count).toBe(0);
    const [item] = await world.sql<{ hostname: string; memory_gb: number }[]>`
      select hostname, memory_gb from inventory_items where client_account_id = ${tenant.clientAccountId}`;
    expect(item).toEqual({ hostname: 'WEB01', memory_gb: 16 });
  });
});
