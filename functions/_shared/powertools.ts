import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { METRICS } from '../../workflows/metrics.ts';

/** Every Lambda's service name: POWERTOOLS_SERVICE_NAME (set by the CDK), 'flowlink' by default. */
export const serviceName = process.env.POWERTOOLS_SERVICE_NAME || METRICS.serviceName;

/**
 * The one Logger of every Lambda, configured once so all log alike. Outside Lambda (the local
 * runner and the CLI call the handlers in-process) it is silent unless POWERTOOLS_LOG_LEVEL says
 * otherwise, so a terminal is not filled with JSON.
 */
export const logger = new Logger({
  serviceName,
  logLevel: process.env.POWERTOOLS_LOG_LEVEL ? undefined : process.env.AWS_LAMBDA_FUNCTION_NAME ? 'INFO' : 'SILENT',
});

/** The one Metrics of every Lambda, in the namespace the alarms read. */
export const metrics = new Metrics({ namespace: process.env.POWERTOOLS_METRICS_NAMESPACE ?? METRICS.namespace, serviceName });

type Ids = { execution?: unknown; dataImportId?: unknown; flowId?: unknown };

/**
 * The keys every line of a step's invocation carries, when its input has them: the execution name
 * and the import and master-flow ids (at the top, or where MarkFailed and the report keep them).
 */
export function stepKeys(input: unknown): Record<string, string> {
  const i = (input ?? {}) as Ids & { import?: Ids; flow?: Ids; state?: Ids & { import?: Ids; flow?: Ids } };
  const found = {
    execution: i.execution,
    dataImportId: i.dataImportId ?? i.import?.dataImportId ?? i.state?.import?.dataImportId,
    flowId: i.flowId ?? i.flow?.flowId ?? i.state?.flow?.flowId,
  };
  return Object.fromEntries(Object.entries(found).filter((e): e is [string, string] => typeof e[1] === 'string'));
}

/**
 * Runs one step invocation with its keys on every log line, and logs its outcome in one
 * structured line: step, outcome (succeeded or failed, with the error's name), duration.
 */
export async function loggedStep<T>(step: string, input: unknown, work: () => Promise<T>): Promise<T> {
  const keys = stepKeys(input);
  logger.appendKeys(keys);
  const startedAt = Date.now();
  try {
    const result = await work();
    logger.info('step succeeded', { step, outcome: 'succeeded', durationMs: Date.now() - startedAt });
    return result;
  } catch (err) {
    const error = { name: (err as Error)?.name, message: (err as Error)?.message };
    // a TransientError is retried by the state machine: a warning until the retries run out
    (error.name === 'TransientError' ? logger.warn : logger.error).call(logger, 'step failed', { step, outcome: 'failed', durationMs: Date.now() - startedAt, error });
    throw err;
  } finally {
    logger.removeKeys(Object.keys(keys));
  }
}
