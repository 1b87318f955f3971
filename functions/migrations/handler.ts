import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { parser } from '@aws-lambda-powertools/parser/middleware';
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import * as z from 'zod';
import { resolveDatabaseUrl } from '../_shared/database.ts';
import { logger } from '../_shared/powertools.ts';
import { runMigrationsFunction } from './migrations.ts';

/** The CDK trigger's event (anything, usually empty) or a manual `{ "adoptLegacy": true }`. */
export const migrationsInput = z.preprocess((event) => (event && typeof event === 'object' ? event : {}), z.looseObject({ adoptLegacy: z.boolean().optional() }));

/** Runs pending migrations (and legacy adoption on request); returns a typed summary. */
export const handler = middy<z.output<typeof migrationsInput>, unknown, Error, Context>()
  .use(injectLambdaContext(logger, { resetKeys: true }))
  .use(parser({ schema: migrationsInput }))
  .handler(async (input) => {
    const url = await resolveDatabaseUrl();
    // the bundle carries db/migrations beside the code (infra/constructs/migrations-trigger.ts)
    const summary = await runMigrationsFunction(url, input, { log: (message) => logger.info(message), folder: process.env.MIGRATIONS_FOLDER });
    logger.info('migrations done', { summary });
    return summary;
  });
