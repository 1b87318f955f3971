import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { type Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import { parser } from '@aws-lambda-powertools/parser/middleware';
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import * as z from 'zod';
import { lambdaDatabase } from '../_shared/database.ts';
import { logger, metrics } from '../_shared/powertools.ts';
import { runScheduledIntegrityCheck, type MetricsPort } from './integrity-check.ts';

/** The scheduler's payload: nothing (the daily check), `{ deep: true }` (the weekly one), or an override of the stuck-flow age. */
const inputSchema = z.preprocess(
  (event) => (event && typeof event === 'object' ? event : {}),
  z.looseObject({ staleRunningAfterMinutes: z.number().nonnegative().optional(), deep: z.boolean().optional() }),
);

/** Powertools Metrics behind the core's port. */
export const powertoolsMetrics = (target: Metrics): MetricsPort => ({
  addMetric: (name, unit, value) => target.addMetric(name, MetricUnit[unit], value),
});

const staleFromEnv = process.env.STALE_RUNNING_AFTER_MINUTES ? Number(process.env.STALE_RUNNING_AFTER_MINUTES) : undefined;

/** Scheduled (EventBridge Scheduler) full integrity check; see integrity-check.ts. */
export const handler = middy<z.output<typeof inputSchema>, unknown, Error, Context>()
  .use(injectLambdaContext(logger, { resetKeys: true }))
  .use(logMetrics(metrics))
  .use(parser({ schema: inputSchema }))
  .handler(async (input) => {
    const { sql } = await lambdaDatabase();
    return runScheduledIntegrityCheck({ sql, metrics: powertoolsMetrics(metrics), logger }, { staleRunningAfterMinutes: input.staleRunningAfterMinutes ?? staleFromEnv, deep: input.deep });
  });
