import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { parser } from '@aws-lambda-powertools/parser/middleware';
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import * as z from 'zod';
import { lambdaDatabase } from '../_shared/database.ts';
import { logger } from '../_shared/powertools.ts';
import { runBackfillFunction } from './backfill.ts';

/** Manual invocation: `{}` is a dry run; `{ "apply": true }`; `{ "undoRunId": "<uuid>" }`. */
export const backfillInput = z
  .strictObject({
    apply: z.boolean().optional(),
    undoRunId: z.uuid().optional(),
    clientAccountId: z.uuid().optional(),
    windowImportsSeconds: z.number().positive().optional(),
    windowAssetsSeconds: z.number().positive().optional(),
  })
  .refine((i) => !(i.apply && i.undoRunId), { message: 'apply and undoRunId cannot be combined' });

/** Backfill of unlinked rows (dry run unless `apply`); see db/backfill. */
export const handler = middy<z.output<typeof backfillInput>, unknown, Error, Context>()
  .use(injectLambdaContext(logger, { resetKeys: true }))
  .use(parser({ schema: backfillInput }))
  .handler(async (input) => {
    const { sql } = await lambdaDatabase();
    const result = await runBackfillFunction(sql, input);
    logger.info('backfill done', { result: { ...result, links: undefined, recordLinks: undefined, unresolved: undefined, unresolvedRecords: undefined } });
    return result;
  });
