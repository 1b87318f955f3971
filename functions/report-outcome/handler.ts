import type { S3Client } from '@aws-sdk/client-s3';
import { reportOutcomeInput } from '../../workflows/contracts.ts';
import { createS3Client } from '../_shared/s3.ts';
import { stepHandler } from '../_shared/step-handler.ts';
import { reportOutcome } from './report-outcome.ts';

// one client per container, built on first use (after a local run has set S3_ENDPOINT)
let s3: S3Client | undefined;

/**
 * Step Functions tasks ReportSucceeded and ReportFailed: writes the outcome report beside the drop
 * and returns the summary the next state puts on EventBridge. S3 and database failures come back
 * as TransientError, which the states retry.
 */
export const handler = stepHandler('ReportOutcome', reportOutcomeInput, ({ db }, input) => reportOutcome({ db, s3: (s3 ??= createS3Client()) }, input));
