import { reconcileInventoryInput } from '../../workflows/contracts.ts';
import { stepHandler } from '../_shared/step-handler.ts';
import { finishReconcile, reconcileChunk } from './reconcile-inventory.ts';

/** Step Functions tasks ReconcileChunk (each chunk of the ReconcileInventory Map) and FinishReconcile, told apart by `action`. */
export const handler = stepHandler('ReconcileInventory', reconcileInventoryInput, ({ sql }, input): Promise<unknown> => {
  switch (input.action) {
    case 'chunk':
      return reconcileChunk(sql, input);
    case 'finish':
      return finishReconcile(sql, input);
  }
});
