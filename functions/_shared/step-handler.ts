import middy from '@middy/core';
import { parser } from '@aws-lambda-powertools/parser/middleware';
import type { Context } from 'aws-lambda';
import type { z } from 'zod';
import type { DbHandle } from '../../db/client.ts';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { taskOf, type LambdaId } from '../../workflows/steps.ts';
import { closeLambdaDatabase, lambdaDatabase } from './database.ts';
import { classifyError } from '../../workflows/step-errors.ts';
import { loggedStep, logger } from './powertools.ts';
import { invocationBounds, setConnectionLossHandler, setCurrentBounds, withDeadline } from './step-bounds.ts';

/**
 * The thin adapter every workflow step Lambda shares: parse the state input with the step's zod
 * schema, run the core with the container's database within the step's deadline (see
 * step-bounds.ts), and re-label infrastructure failures as TransientError so the state machine's
 * Retry can tell them from bad input. Each invocation logs one line of outcome (powertools.ts).
 */
export function stepHandler<S extends z.ZodType, O>(lambda: LambdaId, schema: S, run: (db: DbHandle, input: z.output<S>) => Promise<O>) {
  return middy<z.output<S>, O, Error, Context>()
    .use(injectLambdaContext(logger, { resetKeys: true }))
    .use(parser({ schema }))
    .handler((input, context) =>
      loggedStep(taskOf(lambda, input)?.state ?? lambda, input, async () => {
        const bounds = invocationBounds(lambda, input, context);
        setCurrentBounds(bounds);
        setConnectionLossHandler(() => closeLambdaDatabase({ timeout: 0 }));
        try {
          const db = await lambdaDatabase();
          return await withDeadline(
            context?.functionName ?? 'step',
            bounds,
            () => closeLambdaDatabase({ timeout: 0 }),
            () => run(db, input),
          );
        } catch (err) {
          throw classifyError(err);
        }
      }),
    );
}
