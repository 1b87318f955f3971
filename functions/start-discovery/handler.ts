import { startDiscoveryInput } from '../../workflows/contracts.ts';
import { stepHandler } from '../_shared/step-handler.ts';
import { discoverChunk, finishDiscovery, planDiscovery } from './start-discovery.ts';

/** Step Functions tasks PlanDiscovery, DiscoverChunk (each chunk of the StartDiscovery Map) and FinishDiscovery, told apart by `action`. */
export const handler = stepHandler('StartDiscovery', startDiscoveryInput, ({ sql }, input): Promise<unknown> => {
  switch (input.action) {
    case 'plan':
      return planDiscovery(sql, input);
    case 'chunk':
      return discoverChunk(sql, input);
    case 'finish':
      return finishDiscovery(sql, input);
  }
});
