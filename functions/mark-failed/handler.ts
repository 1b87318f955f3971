import { markFailedInput } from '../../workflows/contracts.ts';
import { stepHandler } from '../_shared/step-handler.ts';
import { markFailed } from './mark-failed.ts';

/** Step Functions task MarkFailed: the failure path every step's Catch leads to. */
export const handler = stepHandler('MarkFailed', markFailedInput, ({ sql }, input) => markFailed(sql, input));
