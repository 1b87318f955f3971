import { GetObjectCommand, HeadObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { and, eq, exists, inArray, sql } from 'drizzle-orm';
import pg from 'pg';
import type * as z from 'zod';
import { asLoader, ROLES, SCOPE_SQL, scopeParams } from '../../db/access.ts';
import { driverError, type AnyDb } from '../../db/client.ts';
import { tlsFromUrl } from '../../db/tls.ts';
import { fileNameOf, isUnknownTenant, markImportFailed, sameObjectVersion } from '../../db/queries/imports.ts';
import { dataImports, rawImportRecords } from '../../db/schema/index.ts';
import { settingsProblem, type storeImportInput, type storeImportOutput } from '../../workflows/contracts.ts';
import { keyBelongsTo } from '../../workflows/import-key.ts';
import { InvalidExecutionInputError, InvalidImportError, NotFoundError, TenantError, TooManyRejectedRowsError } from '../../workflows/step-errors.ts';
import { attemptName, currentBounds, FENCE_SQL, fenceParams } from '../_shared/step-bounds.ts';
import { copyRawRecords } from './copy-rows.ts';
import { openTable } from './formats/index.ts';
import { DEFAULT_MAX_REJECTED_ROWS_PERCENT } from './formats/rejected.ts';
import { MeasuredBytes } from './object-bytes.ts';
import { pgOrm, tenantTransactionOnPool } from './pg.ts';

/**
 * The database: a node-postgres Pool (the Lambda keeps one per container; COPY needs `pg`), or a
 * URL for which a pool is opened for this call and closed after it.
 */
export type StoreImportDeps = {
  s3: S3Client;
  /** The largest CSV row read, in bytes (a quote never closed stops there); default 8 MiB. */
  maxRecordSize?: number;
  /** The longest cell kept, in characters; a row with a longer one is rejected (default 6 MiB). */
  maxCellChars?: number;
  /** A larger object is refused before a byte of it is read (the Lambda's /tmp and time are sized for this). */
  maxObjectBytes?: number;
} & ({ pool: pg.Pool } | { databaseUrl: string });

export type StoreImportInput = z.infer<typeof storeImportInput> & {
  /** More rejected rows than this share fails the import once its rows are stored (default DEFAULT_MAX_REJECTED_ROWS_PERCENT). */
  maxRejectedRowsPercent?: number | undefined;
};
export type StoreImportResult = z.infer<typeof storeImportOutput>;

export { DEFAULT_MAX_REJECTED_ROWS_PERCENT };

interface ObjectVersion {
  bucket: string;
  key: string;
  versionId: string | null;
  etag: string;
  size: number;
  contentType: string | null;
}

const formatBytes = (n: number) => (n >= 1024 ** 2 ? `${(n / 1024 ** 2).toFixed(1)} MiB (${n} bytes)` : `${n} bytes`);

const unquote = (etag: string) => etag.replace(/^"|"$/g, '');

/**
 * StoreImport: one dropped S3 object → one `data_imports` row (status `stored`) and one
 * `raw_import_records` row per data row, in one transaction.
 *
 * Primary course:
 * 1. HeadObject: the object's identity (bucket, key, VersionId or, unversioned, the ETag), size, type.
 * 2. Take a transaction-scoped advisory lock on that identity, so concurrent calls for the same
 *    object run one after the other; the second then finds the first one's import.
 * 3. An import of this identity with raw records (or past `failed`) → return it, `reused: true`.
 * 4. An object larger than `maxObjectBytes` is refused (InvalidImportError) before it is read.
 * 5. Otherwise insert the import (or take over the failed one of an earlier attempt), stream the
 *    object through the format reader into COPY, and record total_records, failed_records (the
 *    rows rejected: stored with their reason, see formats/rejected.ts), size, SHA-256, MIME
 *    type and import_config (format, encoding, delimiter, headers, renames).
 *
 * Idempotency key: data_imports_s3_object_key (bucket, key, coalesce(version, ETag)).
 * Bad content (InvalidImportError): the transaction rolls back (no raw record stays), the import
 * is recorded `failed` with the error's file/line/byte, and the error is rethrown.
 */
export async function storeImport(deps: StoreImportDeps, input: StoreImportInput): Promise<StoreImportResult> {
  // an execution started by hand is not checked by anyone before this first step
  const problem = input.executionInput ? settingsProblem(input.executionInput) : null;
  if (problem) throw new InvalidExecutionInputError(`execution input of s3://${input.bucket}/${input.key}: ${problem}`);
  if ('pool' in deps) return withinThreshold(await storeWithPool(deps, deps.pool, input), input);
  const { url, ssl } = tlsFromUrl(deps.databaseUrl);
  const pool = idleSafe(new pg.Pool({ connectionString: url, ssl, max: 2, application_name: 'flowlink-store-import' }));
  try {
    return withinThreshold(await storeWithPool(deps, pool, input), input);
  } finally {
    await pool.end();
  }
}

/**
 * The threshold, judged on what is stored (so a replay, which finds the import stored, judges the
 * same): more than maxRejectedRowsPercent of the rows rejected fails the import after storing.
 */
function withinThreshold(result: StoreImportResult, input: StoreImportInput): StoreImportResult {
  const limit = input.maxRejectedRowsPercent ?? DEFAULT_MAX_REJECTED_ROWS_PERCENT;
  const { rowCount, rejectedCount } = result;
  if (rowCount > 0 && rejectedCount * 100 > limit * rowCount) {
    const percent = Math.round((rejectedCount / rowCount) * 1000) / 10;
    throw new TooManyRejectedRowsError(
      `${fileNameOf(input.key)}: ${rejectedCount} of ${rowCount} rows (${percent} %) were rejected, more than the ${limit} % allowed; ` + 'every rejected row is in the errors file',
      { file: fileNameOf(input.key), rows: rowCount, rejected: rejectedCount, maxRejectedRowsPercent: limit, dataImportId: result.dataImportId },
    );
  }
  return result;
}

/**
 * A pool that survives the server closing an idle connection (failover, proxy idle timeout, a
 * dropped database): node-postgres reports that as an 'error' event, fatal to the process when
 * nobody listens. The pool has already discarded the connection; the next query opens another.
 */
export function idleSafe(pool: pg.Pool): pg.Pool {
  pool.on('error', () => {});
  return pool;
}

/**
 * The key's `imports/<client_account_id>/<engagement_id>/` prefix must name the input's tenant.
 * The trigger checks it too; an execution started by hand with an edited input must not import
 * one tenant's file into another.
 */
export function checkKeyTenant(input: StoreImportInput): void {
  if (!keyBelongsTo(input.key, input)) {
    throw new TenantError(`s3://${input.bucket}/${input.key} is not under imports/${input.clientAccountId}/${input.engagementId}/: ` + 'the key does not belong to this client and engagement');
  }
}

/**
 * The import of the object version the input names (its VersionId, else its ETag), when it is
 * already stored or further: a replay finds it without asking S3, so an object overwritten, deleted
 * or expired since then does not fail (and never marks failed) an import that was done with it.
 */
async function findStoredImport(pool: pg.Pool, input: StoreImportInput): Promise<StoreImportResult | undefined> {
  const version = { versionId: input.versionId ?? null, etag: input.etag ? unquote(input.etag) : null };
  if (!version.versionId && !version.etag) return undefined;
  const d = dataImports;
  const [found] = await tenantTransactionOnPool(pool, input, (db) =>
    db
      .select({ id: d.id, totalRecords: d.totalRecords, failedRecords: d.failedRecords, clientAccountId: d.clientAccountId, engagementId: d.engagementId })
      .from(d)
      // the tenant's, as row-level security admits (the key names its tenant: checkKeyTenant)
      .where(
        and(eq(d.s3Bucket, input.bucket), eq(d.s3Key, input.key), sameObjectVersion(version, 'exact'), inArray(d.status, ['stored', 'linked', 'processing', 'completed', 'completed_with_errors'])),
      ),
  );
  if (!found) return undefined;
  if (found.clientAccountId !== input.clientAccountId || found.engagementId !== input.engagementId) {
    throw new TenantError(`s3://${input.bucket}/${input.key} was imported for another client or engagement (data import ${found.id})`);
  }
  return { dataImportId: found.id, rowCount: found.totalRecords ?? 0, rejectedCount: found.failedRecords ?? 0, reused: true };
}

async function storeWithPool({ s3, maxRecordSize, maxCellChars, maxObjectBytes }: StoreImportDeps, pool: pg.Pool, input: StoreImportInput): Promise<StoreImportResult> {
  checkKeyTenant(input);
  const stored = await findStoredImport(pool, input);
  if (stored) return stored;
  const object = await headObject(s3, input);
  const file = fileNameOf(input.key);
  const tenant = { clientAccountId: input.clientAccountId, engagementId: input.engagementId };
  // one connection: Drizzle over it for every statement, the COPY on it too, all in its one transaction
  const client = await pool.connect();
  const db = pgOrm(client);
  // A connection lost while checked out is also an 'error' event on the client: unheard, it would
  // end the process. The query in flight (the COPY) fails with it anyway.
  const lost = () => {};
  client.on('error', lost);
  let released = false;
  let body: (AsyncIterable<Uint8Array> & { destroy?: () => void }) | undefined;
  let table: Awaited<ReturnType<typeof openTable>> | undefined;
  const lockKey = JSON.stringify(['data_imports', object.bucket, object.key, object.versionId ?? object.etag]);
  try {
    await db.execute(sql`begin`);
    // the step's bounds and fence (functions/_shared/step-bounds.ts): session settings, plain SQL
    await client.query(FENCE_SQL, fenceParams(currentBounds(), attemptName('StoreImport', lockKey), tenant));
    await lockObject(db, lockKey);
    const existing = await findImport(db, object);
    if (existing && (existing.clientAccountId !== tenant.clientAccountId || existing.engagementId !== tenant.engagementId)) {
      throw new TenantError(`s3://${object.bucket}/${object.key} was imported for another client or engagement (data import ${existing.id})`);
    }
    if (existing && (existing.hasRecords || !['failed', 'pending'].includes(existing.status))) {
      await db.execute(sql`commit`);
      return { dataImportId: existing.id, rowCount: existing.totalRecords ?? 0, rejectedCount: existing.failedRecords ?? 0, reused: true };
    }
    const dataImportId = existing?.id ?? (await insertImport(db, object, file, tenant));
    if (maxObjectBytes !== undefined && object.size > maxObjectBytes) {
      throw new InvalidImportError(`${file}: the object is ${formatBytes(object.size)}, more than the ${formatBytes(maxObjectBytes)} StoreImport accepts (MAX_OBJECT_BYTES); split the file`, {
        size: object.size,
        maxObjectBytes,
      });
    }

    body = await getObject(s3, object);
    const bytes = new MeasuredBytes(body);
    table = await openTable(bytes, { file, maxRecordSize, maxCellChars });
    const opened = table;
    const { rows: rowCount, rejected: rejectedCount } = await asLoader(
      (s, p) => client.query(s, p).then((r) => r.rows),
      () => copyRawRecords(client, opened.rows, { dataImportId, ...tenant, file }, () => opened.line),
    );
    if (!bytes.done || bytes.size !== object.size) {
      throw new Error(`s3://${object.bucket}/${object.key}: read ${bytes.size} of ${object.size} bytes`);
    }
    const importConfig = {
      format: table.format,
      encoding: table.encoding,
      delimiter: table.delimiter ?? null,
      sheet: table.sheet ?? null,
      headers: table.headers,
      headerRenames: table.headerRenames,
      ...table.details,
      contentHash: 'sha256',
      s3ContentType: object.contentType,
    };
    await db
      .update(dataImports)
      .set({
        status: 'stored',
        totalRecords: rowCount,
        failedRecords: rejectedCount,
        fileSize: bytes.size,
        fileHash: bytes.sha256(),
        mimeType: table.mimeType,
        importConfig,
        sourceSheet: table.sheet ?? null,
        errorMessage: null,
        errorDetails: null,
        updatedAt: sql`now()`,
      })
      .where(and(eq(dataImports.id, dataImportId), inArray(dataImports.status, ['pending', 'failed'])));
    await db.execute(sql`commit`);
    return { dataImportId, rowCount, rejectedCount, reused: false };
  } catch (caught) {
    const err = driverError(caught);
    body?.destroy?.(); // a reader that stopped early leaves the socket open otherwise
    const broken = await db.execute(sql`rollback`).then(
      () => false,
      () => true,
    );
    if (broken) client.release(true); // discarded now: a pool of max 1 (the Lambda's) has no other connection
    released = broken;
    if (err instanceof InvalidImportError) {
      // under the object's lock again: a concurrent call for the same object either sees this failed
      // import, or has finished with it; never inserts beside it (a duplicate key instead of this error)
      const target = { bucket: object.bucket, key: object.key, versionId: object.versionId, etag: object.etag, ...tenant };
      const failure = { errorName: err.name, message: err.message, details: { file, ...err.details, reason: err.reason } };
      if (broken) {
        await tenantTransactionOnPool(pool, tenant, (fresh) => markImportFailed(fresh, target, failure));
      } else {
        await db.execute(sql`begin`);
        await client.query(SCOPE_SQL, scopeParams(tenant, ROLES.app));
        await lockObject(db, lockKey);
        await markImportFailed(db, target, failure).finally(() => db.execute(sql`commit`));
      }
    }
    throw err;
  } finally {
    client.off('error', lost);
    if (!released) client.release();
    await table?.close?.(); // the workbook's spool file, on every path (also when no row was read)
  }
}

/** Concurrent calls for one S3 object version run one after the other (transaction-scoped advisory lock). */
async function lockObject(db: AnyDb, lockKey: string): Promise<void> {
  await db.execute(sql`select pg_advisory_xact_lock(hashtextextended(${lockKey}, 0))`);
}

/** The import of this object version, whoever's it is, and whether it has raw records already. */
async function findImport(db: AnyDb, object: ObjectVersion) {
  const [row] = await db
    .select({
      id: dataImports.id,
      status: dataImports.status,
      totalRecords: dataImports.totalRecords,
      failedRecords: dataImports.failedRecords,
      clientAccountId: dataImports.clientAccountId,
      engagementId: dataImports.engagementId,
      // a nested query: its columns stay qualified (a single-table select names its own columns bare)
      hasRecords: sql<boolean>`${exists(db.select({ one: sql`1` }).from(rawImportRecords).where(eq(rawImportRecords.dataImportId, dataImports.id)))}`,
    })
    .from(dataImports)
    .where(and(eq(dataImports.s3Bucket, object.bucket), eq(dataImports.s3Key, object.key), sameObjectVersion(object, 'exact')));
  return row;
}

async function insertImport(db: AnyDb, object: ObjectVersion, file: string, tenant: { clientAccountId: string; engagementId: string }): Promise<string> {
  try {
    const [row] = await db
      .insert(dataImports)
      .values({
        ...tenant,
        importName: file,
        filename: file,
        fileSize: object.size,
        s3Bucket: object.bucket,
        s3Key: object.key,
        s3VersionId: object.versionId,
        s3Etag: object.etag,
        status: 'pending',
      })
      .returning({ id: dataImports.id });
    return row!.id;
  } catch (caught) {
    const err = driverError(caught);
    if (isUnknownTenant(err)) throw new TenantError(`engagement ${tenant.engagementId} of client ${tenant.clientAccountId} does not exist`);
    // row-level security hides another tenant's import of this object; its key still refuses a second one
    if ((err as { constraint_name?: string; constraint?: string }).constraint === 'data_imports_s3_object_key') {
      throw new TenantError(`s3://${object.bucket}/${object.key} was imported for another client or engagement`);
    }
    throw err;
  }
}

async function headObject(s3: S3Client, input: StoreImportInput): Promise<ObjectVersion> {
  const where = `s3://${input.bucket}/${input.key}${input.versionId ? ` (version ${input.versionId})` : ''}`;
  let head;
  try {
    head = await s3.send(new HeadObjectCommand({ Bucket: input.bucket, Key: input.key, VersionId: input.versionId ?? undefined }));
  } catch (err) {
    if ((err as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode === 404) throw new NotFoundError(`${where} does not exist`);
    throw err;
  }
  const etag = unquote(head.ETag ?? '');
  if (!etag) throw new Error(`${where}: S3 returned no ETag`);
  if (input.etag && !input.versionId && unquote(input.etag) !== etag) {
    // Unversioned bucket, object overwritten since the event: that content is gone; the new one has its own event.
    throw new NotFoundError(`${where} has changed since the event (ETag ${unquote(input.etag)}, now ${etag})`);
  }
  return {
    bucket: input.bucket,
    key: input.key,
    versionId: head.VersionId ?? input.versionId ?? null,
    etag,
    size: head.ContentLength ?? 0,
    contentType: head.ContentType ?? null,
  };
}

/** The object's bytes as a Node stream, pinned to the version (or ETag) that HeadObject saw. */
async function getObject(s3: S3Client, object: ObjectVersion): Promise<AsyncIterable<Uint8Array> & { destroy?: () => void }> {
  let out;
  try {
    out = await s3.send(
      new GetObjectCommand({
        Bucket: object.bucket,
        Key: object.key,
        ...(object.versionId ? { VersionId: object.versionId } : { IfMatch: `"${object.etag}"` }),
      }),
    );
  } catch (err) {
    const status = (err as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
    if (status === 412 || status === 404) throw new NotFoundError(`s3://${object.bucket}/${object.key} changed or disappeared while it was being imported`);
    throw err;
  }
  const body = out.Body as (AsyncIterable<Uint8Array> & { destroy?: () => void }) | undefined;
  if (!body) throw new Error(`s3://${object.bucket}/${object.key}: GetObject returned no body`);
  return body;
}
