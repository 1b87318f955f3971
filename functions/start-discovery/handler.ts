import { startDiscoveryInput } from '../../workflows/contracts.ts';
import { stepHandler } from '../_shared/step-handler.ts';
import { startDiscovery } from './start-discovery.ts';

/** Step Functions task StartDiscovery. */
export const handler = stepHandler(startDiscoveryInput, ({ sql }, input) => startDiscovery(sql, input));
