import { linkRecordsInput } from '../../workflows/contracts.ts';
import { stepHandler } from '../_shared/step-handler.ts';
import { finishLink, linkChunk } from './link-records.ts';

/** Step Functions tasks LinkChunk (each chunk of the LinkRecords Map) and FinishLink, told apart by `action`. */
export const handler = stepHandler('LinkRecords', linkRecordsInput, ({ sql }, input): Promise<unknown> => (input.action === 'chunk' ? linkChunk(sql, input) : finishLink(sql, input)));
