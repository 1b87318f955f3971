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
    await expect(world.sql`update assets set inventory_item_id = ${foreign!.id} where client_account_id = ${tenant.clientAccountId}`)
      .rejects.toMatchObject({ constraint_name: 'assets_inventory_item_fkey' });

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
