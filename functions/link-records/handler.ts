import { linkRecordsInput } from '../../workflows/contracts.ts';
import { stepHandler } from '../_shared/step-handler.ts';
import { linkRecords } from './link-records.ts';

/** Step Functions task LinkRecords. */
export const handler = stepHandler(linkRecordsInput, ({ sql }, input) => linkRecords(sql, input));
