import type * as z from 'zod';
import type { finishDiscoveryInput } from '../../workflows/contracts.ts';
import type { DecimalMark } from '../_shared/inventory/numbers.ts';

/** The ids every discovery action works on: the contract's input without its action. */
export type DiscoveryInput = Omit<z.infer<typeof finishDiscoveryInput>, 'action'>;

export interface DiscoveryOptions {
  /** Raw records read and written per statement (keyset pages over row_number). */
  batchSize?: number;
}

export interface DecimalDecision {
  mark: DecimalMark;
  decidedBy: 'column' | 'file' | 'default';
  /** Cells of the column that prove a decimal comma / a decimal point. */
  evidence: { comma: number; point: number };
}
