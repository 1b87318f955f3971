import { validateIntegrityInput } from '../../workflows/contracts.ts';
import { stepHandler } from '../_shared/step-handler.ts';
import { validateIntegrity } from './validate-integrity.ts';

/** Step Functions task ValidateIntegrity. */
export const handler = stepHandler('ValidateIntegrity', validateIntegrityInput, ({ sql }, input) => validateIntegrity(sql, input));
