import { createMasterFlowInput } from '../../workflows/contracts.ts';
import { stepHandler } from '../_shared/step-handler.ts';
import { createMasterFlow } from './create-master-flow.ts';

/** Step Functions task CreateMasterFlow. */
export const handler = stepHandler('CreateMasterFlow', createMasterFlowInput, ({ sql }, input) => createMasterFlow(sql, input));
