import middy from '@middy/core';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { parser } from '@aws-lambda-powertools/parser/middleware';
import type { Context } from 'aws-lambda';
import { Socket } from 'node:net';
import pg from 'pg';
import * as z from 'zod';
import { tlsFromUrl } from '../../db/tls.ts';
import { resolveDatabaseUrl } from '../_shared/database.ts';
import { classifyError } from '../_shared/errors.ts';
import { createS3Client } from '../_shared/s3.ts';
import { budgetOf, setCurrentBounds, stepBounds, withDeadline } from '../_shared/step-bounds.ts';
import { idleSafe, storeImport, type StoreImportResult } from './store-import.ts';

/** The StoreImport task's input: the S3 object (as the trigger saw it) and its tenant. */
export const storeImportInput = z.object({
  bucket: z.string().min(1),
  key: z.string().min(1),
  versionId: z.string().min(1).nullish(),
  etag: z.string().min(1).nullish(),
  clientAccountId: z.uuid(),
  engagementId: z.uuid(),
  /** The execution input merged over the defaults (the definition's StoreImport Parameters): only the threshold is read. */
  limits: z.object({ maxRejectedRowsPercent: z.number().min(0).max(100) }).optional(),
});
export type StoreImportEvent = z.output<typeof storeImportInput>;

// Module scope: one S3 client and one connection per container, reused across invocations.
const s3 = createS3Client();
let pool: Promise<pg.Pool> | undefined;
/** The pool's sockets: destroyed when a step passes its deadline (a black-holed connection answers nothing). */
const sockets = new Set<Socket>();
const database = () =>
  (pool ??= resolveDatabaseUrl().then(tlsFromUrl).then(({ url, ssl }) => idleSafe(new pg.Pool({
    connectionString: url,
    ssl,
    max: 1, // a Lambda handles one event at a time
    allowExitOnIdle: true, // in-process local runs end when the work does
    application_name: process.env.AWS_LAMBDA_FUNCTION_NAME ?? 'flowlink-store-import',
    stream: () => {
      const socket = new Socket();
      sockets.add(socket);
      socket.once('close', () => sockets.delete(socket));
      return socket;
    },
  }))).catch((err) => {
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

// RowsStored feeds the dashboard's rows/s. Published only inside Lambda: local runs call this
// handler in-process and keep their terminal free of EMF lines.
/** FLOWLINK_MAX_RECORD_BYTES: the largest CSV row read (default 8 MiB, room for a 5 MB cell). */
const maxRecordSize = Number(process.env.FLOWLINK_MAX_RECORD_BYTES) || undefined;

const metrics = new Metrics({ namespace: 'Flowlink', serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? 'flowlink' });

/** Step Functions task StoreImport: stores the dropped file as one import and its raw records. */
export const handler = middy<StoreImportEvent, StoreImportResult, Error, Context>()
  .use(parser({ schema: storeImportInput }))
  .handler(async (input, context) => {
    const bounds = stepBounds(budgetOf(context));
    setCurrentBounds(bounds);
    try {
      const db = await database();
      const result = await withDeadline('StoreImport', bounds, abandonPool, () => storeImport(
        { s3, pool: db, maxRecordSize, maxObjectBytes: maxObjectBytes() },
        { ...input, maxRejectedRowsPercent: input.limits?.maxRejectedRowsPercent },
      ));
      if (!result.reused && process.env.AWS_LAMBDA_FUNCTION_NAME) {
        metrics.addMetric('RowsStored', MetricUnit.Count, result.rowCount);
        metrics.publishStoredMetrics();
      }
      return result;
    } catch (err) {
      throw classifyError(err);
    }
  });
