import { and, eq, sql } from 'drizzle-orm';
import { orm, unwrapped, type Sql } from '../../db/client.ts';
import { lockInventory, reconcileRange, type InventoryCounts } from '../../db/inventory/reconcile.ts';
import { inTenant } from '../../db/queries/sql.ts';
import { assets, dataImports, inventoryReconciliations } from '../../db/schema/index.ts';
import { IntegrityViolationError, NotFoundError } from '../../workflows/step-errors.ts';
import { stepTransaction } from '../_shared/step-bounds.ts';

export interface ReconcileInput {
  clientAccountId: string;
  engagementId: string;
  dataImportId: string;
  flowId: string;
}

export interface ReconcileChunkInput extends ReconcileInput {
  fromRow: number;
  chunkRows: number;
  chunk: number;
  chunks: number;
}

type Client = Parameters<typeof orm>[0];

/** The engagement's inventory locked, the import checked to be the tenant's and linked to the flow, its counts row ensured. */
async function open(client: Client, input: ReconcileInput) {
  const tx = orm(client);
  await lockInventory(tx, input);
  const [imp] = await unwrapped(
    tx
      .select({ masterFlowId: dataImports.masterFlowId })
      .from(dataImports)
      .where(and(eq(dataImports.id, input.dataImportId), inTenant(dataImports, input))),
  );
  if (!imp || imp.masterFlowId !== input.flowId) {
    throw new NotFoundError(`data import ${input.dataImportId} is not linked to master flow ${input.flowId} for client ${input.clientAccountId} / engagement ${input.engagementId}`);
  }
  const r = inventoryReconciliations;
  await unwrapped(tx.insert(r).values({ dataImportId: input.dataImportId, clientAccountId: input.clientAccountId, engagementId: input.engagementId }).onConflictDoNothing());
  return tx;
}

/**
 * ReconcileChunk (each chunk of the ReconcileInventory Map, one at a time): the chunk's new
 * observations matched into the engagement's inventory (db/inventory/reconcile.ts), and the
 * counts added to the drop's, in one transaction serialised per engagement. A chunk run again
 * finds its observations reconciled and adds nothing.
 */
export async function reconcileChunk(client: Sql, input: ReconcileChunkInput) {
  const counts = await stepTransaction(client, 'ReconcileChunk', `${input.dataImportId}#${input.chunk}`, input, async (txClient) => {
    const tx = await open(txClient, input);
    const { observations, ...counts } = await reconcileRange(tx, input, { fromRow: input.fromRow, toRow: input.fromRow + input.chunkRows - 1 });
    // a replayed chunk has nothing left to reconcile: it writes nothing, not even a timestamp
    if (!observations) return { rows: 0, ...counts };
    const r = inventoryReconciliations;
    await unwrapped(
      tx
        .update(r)
        .set({
          newItems: sql`${r.newItems} + ${counts.new}`,
          matched: sql`${r.matched} + ${counts.matched}`,
          updated: sql`${r.updated} + ${counts.updated}`,
          candidates: sql`${r.candidates} + ${counts.candidates}`,
          updatedAt: sql`now()`,
        })
        .where(and(eq(r.dataImportId, input.dataImportId), inTenant(r, input))),
    );
    return { rows: observations, ...counts };
  });
  return { chunk: input.chunk, chunks: input.chunks, ...counts };
}

/**
 * FinishReconcile: proves every asset of the drop belongs to an item, completes the drop's
 * reconciliation and returns its counts (as recorded: a replay returns the same).
 */
export async function finishReconcile(client: Sql, input: ReconcileInput): Promise<InventoryCounts> {
  return stepTransaction(client, 'FinishReconcile', input.dataImportId, input, async (txClient) => {
    const tx = await open(txClient, input);
    const [unlinked] = await unwrapped(
      tx
        .select({ n: sql<number>`count(*)::int` })
        .from(assets)
        .where(and(eq(assets.masterFlowId, input.flowId), inTenant(assets, input), sql`${assets.inventoryItemId} is null`)),
    );
    if (unlinked!.n) {
      throw new IntegrityViolationError(`${unlinked!.n} asset(s) of data import ${input.dataImportId} belong to no inventory item after every chunk was reconciled`);
    }
    const r = inventoryReconciliations;
    const [row] = await unwrapped(
      tx
        .update(r)
        .set({ completedAt: sql`coalesce(${r.completedAt}, now())` })
        .where(and(eq(r.dataImportId, input.dataImportId), inTenant(r, input)))
        .returning({ new: r.newItems, matched: r.matched, updated: r.updated, candidates: r.candidates }),
    );
    return row!;
  });
}
