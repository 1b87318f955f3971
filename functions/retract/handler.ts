import { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { parser } from '@aws-lambda-powertools/parser/middleware';
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import * as z from 'zod';
import { retractImport } from '../../db/inventory/retract.ts';
import { lambdaDatabase } from '../_shared/database.ts';

const logger = new Logger({ serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? 'flowlink' });

/** Manual invocation: `{ "dataImportId": "<uuid>" }` is a dry run; add `"apply": true` to retract. */
export const retractInput = z.strictObject({
  dataImportId: z.uuid(),
  clientAccountId: z.uuid().optional(),
  apply: z.boolean().optional(),
});

/** Retracts one import (db/inventory/retract.ts): the same core as `flowlink retract`. */
export const handler = middy<z.output<typeof retractInput>, unknown, Error, Context>()
  .use(injectLambdaContext(logger, { resetKeys: true }))
  .use(parser({ schema: retractInput }))
  .handler(async (input) => {
    const { sql } = await lambdaDatabase();
    const result = await retractImport(sql, input.dataImportId, { apply: input.apply, clientAccountId: input.clientAccountId });
    logger.info('retract done', { result });
    return result;
  });
