import middy from '@middy/core';
import { parser } from '@aws-lambda-powertools/parser/middleware';
import type { Context } from 'aws-lambda';
import type { z } from 'zod';
import type { DbHandle } from '../../db/client.ts';
import type { LambdaId } from '../../workflows/steps.ts';
import { closeLambdaDatabase, lambdaDatabase } from './database.ts';
import { classifyError } from './errors.ts';
import { invocationBounds, setConnectionLossHandler, setCurrentBounds, withDeadline } from './step-bounds.ts';

/**
 * The thin adapter every workflow step Lambda shares: parse the state input with the step's zod
 * schema, run the core with the container's database within the step's deadline (see
 * step-bounds.ts), and re-label infrastructure failures as TransientError so the state machine's
 * Retry can tell them from bad input.
 */
export function stepHandler<S extends z.ZodType, O>(lambda: LambdaId, schema: S, run: (db: DbHandle, input: z.output<S>) => Promise<O>) {
  return middy<z.output<S>, O, Error, Context>()
    .use(parser({ schema }))
    .handler(async (input, context) => {
      const bounds = invocationBounds(lambda, input, context);
      setCurrentBounds(bounds);
      setConnectionLossHandler(() => closeLambdaDatabase({ timeout: 0 }));
      try {
        const db = await lambdaDatabase();
        return await withDeadline(context?.functionName ?? 'step', bounds, () => closeLambdaDatabase({ timeout: 0 }), () => run(db, input));
      } catch (err) {
        throw classifyError(err);
      }
    });
}
