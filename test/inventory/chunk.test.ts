import { describe, expect, it } from 'vitest';
import { finishReconcile, reconcileChunk } from '../../functions/reconcile-inventory/reconcile-inventory.ts';
import { importState, tenantSnapshot, useWorkflowWorld } from '../workflow/harness.ts';

const world = useWorkflowWorld();

describe('ReconcileChunk and FinishReconcile called again', () => {
  it('a chunk run again, and twice at once, adds nothing; finish returns the recorded counts; another tenant is refused', async () => {
    const tenant = await world.tenant();
    const file = ['Hostname,IP Address', 'web01,10.0.0.1', 'web01,10.0.0.1', 'db01,10.0.0.2'].join('\n');
    expect((await world.drop(tenant, 'servers.csv', file)).record.status).toBe('SUCCEEDED');
    const clean = await tenantSnapshot(world.sql, tenant);
    expect(clean.inventory_items!.rows).toBe(2);
    const state = (await importState(world.sql, tenant))!;
    const input = { clientAccountId: tenant.clientAccountId, engagementId: tenant.engagementId, dataImportId: state.id, flowId: state.master_flow_id! };
    const chunk = { ...input, fromRow: 1, chunkRows: 3, chunk: 0, chunks: 1 };
    const none = { chunk: 0, chunks: 1, rows: 0, new: 0, matched: 0, updated: 0, candidates: 0 };
    expect(await reconcileChunk(world.sql, chunk)).toEqual(none);
    expect(await Promise.all([reconcileChunk(world.sql, chunk), reconcileChunk(world.sql, chunk)])).toEqual([none, none]);
    expect(await finishReconcile(world.sql, input)).toEqual({ new: 2, matched: 0, updated: 0, candidates: 0 });
    expect(await tenantSnapshot(world.sql, tenant)).toEqual(clean);

    const other = await world.tenant();
    await expect(reconcileChunk(world.sql, { ...chunk, clientAccountId: other.clientAccountId, engagementId: other.engagementId })).rejects.toMatchObject({ name: 'NotFoundError' });
  });
});
