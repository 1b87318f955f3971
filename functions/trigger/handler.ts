import { SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { parser } from '@aws-lambda-powertools/parser/middleware';
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { lambdaDatabase } from '../_shared/database.ts';
import { logger } from '../_shared/powertools.ts';
import { classifyError, InvalidImportError, TenantError } from '../../workflows/step-errors.ts';
import { GetObjectCommand } from '@aws-sdk/client-s3';
import { createS3Client } from '../_shared/s3.ts';
import { routeCreatedObject } from './route.ts';
import { createdObjects, s3EventSchema, type S3Event, type S3ObjectRef } from './s3-event.ts';
import { chunkingFromEnv, type SfnLike, type StartedImport } from './trigger.ts';

const client = new SFNClient({});
const sfn: SfnLike = { startExecution: (input) => client.send(new StartExecutionCommand(input)) };
const s3 = createS3Client();
const readObject = async (ref: S3ObjectRef) => {
  const out = await s3.send(new GetObjectCommand({ Bucket: ref.bucket, Key: ref.key, ...(ref.versionId ? { VersionId: ref.versionId } : {}) }));
  return out.Body!.transformToString();
};

/**
 * S3 "Object Created" (EventBridge) or an S3 notification → one import execution per object
 * version, or, under mappings/, the consultant's mapping corrections set (route.ts). Refused keys,
 * tenants and mapping files are logged and dropped: retrying cannot make them valid.
 */
export const handler = middy<S3Event, { started: StartedImport[]; refused: string[] }, Error, Context>()
  .use(injectLambdaContext(logger, { resetKeys: true }))
  .use(parser({ schema: s3EventSchema }))
  .handler(async (event) => {
    const stateMachineArn = process.env.STATE_MACHINE_ARN;
    if (!stateMachineArn) throw new Error('STATE_MACHINE_ARN is not set');
    const { sql } = await lambdaDatabase();
    const started: StartedImport[] = [];
    const refused: string[] = [];
    for (const ref of createdObjects(event)) {
      try {
        const routed = await routeCreatedObject({ sql, sfn, stateMachineArn, chunking: chunkingFromEnv(), readObject }, ref);
        if (routed.kind === 'mapping') {
          logger.info('mapping corrections set', { key: ref.key, corrections: routed.corrections.length });
          continue;
        }
        const result = routed.started;
        logger.info(result.alreadyStarted ? 'import already started' : 'import started', { key: ref.key, execution: result.executionName });
        started.push(result);
      } catch (err) {
        if (err instanceof InvalidImportError || err instanceof TenantError) {
          logger.warn(err.message, { bucket: ref.bucket, key: ref.key });
          refused.push(err.message);
        } else {
          throw classifyError(err);
        }
      }
    }
    return { started, refused };
  });
