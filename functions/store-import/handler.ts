import middy from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { parser } from '@aws-lambda-powertools/parser/middleware';
import type { Context } from 'aws-lambda';
import { Socket } from 'node:net';
import pg from 'pg';
import { tlsFromUrl } from '../../db/tls.ts';
import { METRICS } from '../../workflows/metrics.ts';
import { resolveDatabaseAccess } from '../_shared/database.ts';
import { storeImportInput } from '../../workflows/contracts.ts';
import { classifyError } from '../../workflows/step-errors.ts';
import { loggedStep, logger, metrics } from '../_shared/powertools.ts';
import { createS3Client } from '../_shared/s3.ts';
import { invocationBounds, setCurrentBounds, withDeadline } from '../_shared/step-bounds.ts';
import { idleSafe, storeImport, type StoreImportInput, type StoreImportResult } from './store-import.ts';

// Module scope: one S3 client and one connection per container, reused across invocations.
const s3 = createS3Client();
let pool: Promise<pg.Pool> | undefined;
/** The pool's sockets: destroyed when a step passes its deadline (a black-holed connection answers nothing). */
const sockets = new Set<Socket>();
const database = () =>
  (pool ??= resolveDatabaseAccess()
    .then(({ url, password }) => ({ ...tlsFromUrl(url), password }))
    .then(({ url, ssl, password }) =>
      idleSafe(
        new pg.Pool({
          connectionString: url,
          ssl,
          ...(password ? { password } : {}), // IAM authentication: a token per new connection
          max: 1, // a Lambda handles one event at a time
          allowExitOnIdle: true, // in-process local runs end when the work does
          application_name: process.env.AWS_LAMBDA_FUNCTION_NAME ?? 'flowlink-store-import',
          stream: () => {
            const socket = new Socket();
            sockets.add(socket);
            socket.once('close', () => sockets.delete(socket));
            return socket;
          },
        }),
      ),
    )
    .catch((err) => {
      pool = undefined; // try again on the next invocation
      throw err;
    }));

/** MAX_OBJECT_BYTES (set by the CDK from infra/config/environments.ts): the largest object accepted; unset, no limit. */
export function maxObjectBytes(env: NodeJS.ProcessEnv = process.env): number | undefined {
  if (!env.MAX_OBJECT_BYTES) return undefined;
  const value = Number(env.MAX_OBJECT_BYTES);
  if (!Number.isSafeInteger(value) || value <= 0) throw new Error(`MAX_OBJECT_BYTES must be a positive whole number of bytes, not ${JSON.stringify(env.MAX_OBJECT_BYTES)}`);
  return value;
}

/** Past the deadline: the pool is dropped (the next invocation opens another) and its sockets destroyed. */
function abandonPool(): void {
  const old = pool;
  pool = undefined;
  for (const socket of sockets) socket.destroy();
  void old?.then((p) => p.end()).catch(() => {});
}

/** FLOWLINK_MAX_RECORD_BYTES: the largest CSV row read (default 8 MiB, room for a 5 MB cell). */
const maxRecordSize = Number(process.env.FLOWLINK_MAX_RECORD_BYTES) || undefined;

/** Step Functions task StoreImport: stores the dropped file as one import and its raw records. */
export const handler = middy<StoreImportInput, StoreImportResult, Error, Context>()
  .use(injectLambdaContext(logger, { resetKeys: true }))
  .use(parser({ schema: storeImportInput }))
  .handler((input, context) =>
    loggedStep('StoreImport', input, async () => {
      const bounds = invocationBounds('StoreImport', input, context);
      setCurrentBounds(bounds);
      try {
        const db = await database();
        // the threshold rides in the execution input (checked by storeImport with the other settings)
        const maxRejectedRowsPercent = input.executionInput?.maxRejectedRowsPercent as number | undefined;
        const result = await withDeadline('StoreImport', bounds, abandonPool, () =>
          storeImport({ s3, pool: db, maxRecordSize, maxObjectBytes: maxObjectBytes() }, { ...input, maxRejectedRowsPercent }),
        );
        // RowsStored feeds the dashboard's rows/s. Published only inside Lambda: local runs call this
        // handler in-process and keep their terminal free of EMF lines.
        if (!result.reused && process.env.AWS_LAMBDA_FUNCTION_NAME) {
          metrics.addMetric(METRICS.rowsStored, MetricUnit.Count, result.rowCount);
          metrics.publishStoredMetrics();
        }
        return result;
      } catch (err) {
        throw classifyError(err);
      }
    }),
  );
