import { and, eq, notInArray, sql, type SQL } from 'drizzle-orm';
import { NotFoundError, TenantError } from '../../workflows/step-errors.ts';
import { unwrapped, type AnyDb, type Tx } from '../client.ts';
import { dataImports, masterFlows } from '../schema/index.ts';
import { columnList, inTenant, jsonbParam, type Tenant } from './sql.ts';

export type { Tenant } from './sql.ts';

/** One S3 object version: the ETag stands in for the version where the bucket is not versioned. */
export interface S3ObjectIdentity {
  bucket: string;
  key: string;
  versionId?: string | null;
  etag?: string | null;
}

/** Which import failed: by id, or by its S3 object (which also creates the row if the import never got one). */
export type FailedImportTarget = ({ dataImportId: string; flowId?: string | null } & Partial<Tenant>) | (S3ObjectIdentity & Tenant & { flowId?: string | null });

export interface ImportFailure {
  /** The error's name (InvalidImportError, TransientError, ...): what the workflow's Catch saw. */
  errorName: string;
  message: string;
  /** Where: file, line, byte, row, field, and anything else worth keeping. */
  details?: Record<string, unknown>;
}

/**
 * The import row of one S3 object version: by its version id, or on an unversioned bucket its ETag.
 * `exact` compares as the unique key data_imports_s3_object_key does (and can use it), for an
 * identity this system wrote (ETags stored bare); otherwise S3's quotes around an ETag are ignored
 * on both sides (a row adopted from the legacy database, an execution started by hand).
 */
export function sameObjectVersion(object: { versionId?: string | null; etag?: string | null }, match: 'exact' | 'ignoring quotes' = 'ignoring quotes'): SQL {
  const stored = sql`coalesce(${dataImports.s3VersionId}, ${dataImports.s3Etag})`;
  if (match === 'exact') return sql`${stored} = ${object.versionId ?? object.etag}`;
  return sql`trim(both '"' from ${stored}) = trim(both '"' from coalesce(${object.versionId ?? null}::text, ${object.etag ?? null}::text))`;
}

/** The last segment of an S3 key: the file name. */
export const fileNameOf = (key: string): string => key.split('/').filter(Boolean).pop() ?? key;

/** The import row a step works on, locked FOR UPDATE: concurrent runs for one import serialise on it. */
export async function lockImport(tx: Tx, tenant: Tenant, dataImportId: string) {
  const [row] = await tx
    .select({
      filename: dataImports.filename,
      masterFlowId: dataImports.masterFlowId,
      totalRecords: dataImports.totalRecords,
      s3Bucket: dataImports.s3Bucket,
      s3Key: dataImports.s3Key,
    })
    .from(dataImports)
    .where(and(eq(dataImports.id, dataImportId), inTenant(dataImports, tenant)))
    .for('update');
  return row;
}

/** The tenant's import of one S3 object version (ETags compared without their quotes). */
export async function findImportOfObject(tx: Tx, tenant: Tenant, object: { bucket: string; key: string; versionId: string | null; etag: string | null }) {
  const [row] = await tx
    .select({ id: dataImports.id })
    .from(dataImports)
    .where(and(eq(dataImports.s3Bucket, object.bucket), eq(dataImports.s3Key, object.key), sameObjectVersion(object), inTenant(dataImports, tenant)));
  return row;
}

/**
 * Records that an import failed: status `failed`, `error_message`, and `error_details`
 * `{ errorName, file, line?, byte?, row?, field?, ... }`; and, when the import has a master flow
 * (or `flowId` names one, e.g. created but not linked yet), marks that flow failed the same way.
 * One statement, so both change together.
 *
 * By S3 identity it upserts on `data_imports_s3_object_key`, so a file that failed before any row
 * existed still leaves one failed import; the raw records are not touched. Idempotent: calling it
 * again with the same failure leaves the same rows. Scoped to the tenant: an import of another
 * tenant is a TenantError, an unknown id a NotFoundError.
 *
 * Never backwards: a `completed` import, a `completed` or `cancelled` master flow are left exactly
 * as they are (a failing replay of a finished execution must not demote it); the result then says
 * `marked: false`.
 */
export async function markImportFailed(db: AnyDb, target: FailedImportTarget, failure: ImportFailure): Promise<{ dataImportId: string; flowId: string | null; marked: boolean }> {
  const details = { ...failure.details, errorName: failure.errorName };
  const message = failure.message || failure.errorName;
  // merged: the failure state adds { step, cause } to what StoreImport recorded (file, line, byte)
  const mergedDetails = sql`coalesce(${dataImports.errorDetails}, '{}'::jsonb) || ${jsonbParam(details)}`;

  if ('dataImportId' in target) {
    const marked = db.$with('marked').as(
      db
        .update(dataImports)
        .set({ status: 'failed', errorMessage: message, errorDetails: mergedDetails, updatedAt: sql`now()` })
        .where(
          and(
            eq(dataImports.id, target.dataImportId),
            target.clientAccountId ? eq(dataImports.clientAccountId, target.clientAccountId) : undefined,
            target.engagementId ? eq(dataImports.engagementId, target.engagementId) : undefined,
            notInArray(dataImports.status, FINAL_IMPORT),
          ),
        )
        .returning(markedFields),
    );
    const [row] = await unwrapped(withFlowMarked(db, marked, message, details, target.flowId ?? null));
    if (row) return row;
    const [final] = await db
      .select({ dataImportId: dataImports.id, flowId: dataImports.masterFlowId })
      .from(dataImports)
      .where(
        and(
          eq(dataImports.id, target.dataImportId),
          target.clientAccountId ? eq(dataImports.clientAccountId, target.clientAccountId) : undefined,
          target.engagementId ? eq(dataImports.engagementId, target.engagementId) : undefined,
        ),
      );
    if (!final) throw new NotFoundError(`data import ${target.dataImportId} not found for this tenant`);
    return { ...final, marked: false };
  }

  if (!target.versionId && !target.etag) throw new Error(`markImportFailed: s3://${target.bucket}/${target.key} needs a versionId or an etag to identify the object`);
  const filename = fileNameOf(target.key);
  const d = dataImports;
  // ON CONFLICT on the expression index data_imports_s3_object_key: a target the builder cannot name
  const marked = db.$with('marked', markedFields).as(sql`
    insert into ${d} (${columnList(d.clientAccountId, d.engagementId, d.importName, d.filename, d.s3Bucket, d.s3Key, d.s3VersionId, d.s3Etag, d.status, d.errorMessage, d.errorDetails)})
    values (${target.clientAccountId}, ${target.engagementId}, ${filename}, ${filename}, ${target.bucket}, ${target.key},
            ${target.versionId ?? null}, ${target.etag ?? null}, 'failed', ${message}, ${jsonbParam(details)})
    on conflict (${columnList(d.s3Bucket, d.s3Key)}, (coalesce(${columnList(d.s3VersionId)}, ${columnList(d.s3Etag)}))) do update
      set ${columnList(d.status)} = 'failed', ${columnList(d.errorMessage)} = excluded.${columnList(d.errorMessage)},
          ${columnList(d.errorDetails)} = coalesce(${d.errorDetails}, '{}'::jsonb) || excluded.${columnList(d.errorDetails)}, ${columnList(d.updatedAt)} = now()
      where ${d.clientAccountId} = excluded.${columnList(d.clientAccountId)} and ${d.engagementId} = excluded.${columnList(d.engagementId)}
        and ${d.status} not in ('completed', 'completed_with_errors')
    returning ${columnList(d.id, d.masterFlowId, d.clientAccountId, d.engagementId)}`);
  const [row] = await unwrapped(withFlowMarked(db, marked, message, details, target.flowId ?? null)).catch((err) => {
    throw isUnknownTenant(err) ? new TenantError(`engagement ${target.engagementId} of client ${target.clientAccountId} does not exist`) : err;
  });
  if (row) return row;
  const [final] = await db
    .select({
      dataImportId: dataImports.id,
      flowId: dataImports.masterFlowId,
      mine: sql<boolean>`${dataImports.clientAccountId} = ${target.clientAccountId} and ${dataImports.engagementId} = ${target.engagementId}`,
    })
    .from(dataImports)
    .where(and(eq(dataImports.s3Bucket, target.bucket), eq(dataImports.s3Key, target.key), sameObjectVersion(target, 'exact')));
  if (!final?.mine) throw new TenantError(`s3://${target.bucket}/${target.key} was imported for another tenant`);
  return { dataImportId: final.dataImportId, flowId: final.flowId, marked: false };
}

const markedFields = {
  id: dataImports.id,
  masterFlowId: dataImports.masterFlowId,
  clientAccountId: dataImports.clientAccountId,
  engagementId: dataImports.engagementId,
};

/** The master flow of the marked import (or the one named) marked failed in the same statement. */
function withFlowMarked(
  db: AnyDb,
  marked: ReturnType<ReturnType<AnyDb['$with']>['as']> & {
    id: typeof dataImports.id;
    masterFlowId: typeof dataImports.masterFlowId;
    clientAccountId: typeof dataImports.clientAccountId;
    engagementId: typeof dataImports.engagementId;
  },
  message: string,
  details: Record<string, unknown>,
  flowId: string | null,
) {
  const flow = db.$with('flow').as(
    db
      .update(masterFlows)
      .set({ flowStatus: 'failed', errorMessage: message, errorDetails: jsonbParam(details), updatedAt: sql`now()` })
      .from(marked)
      .where(
        and(
          eq(masterFlows.flowId, sql`coalesce(${marked.masterFlowId}, ${flowId}::uuid)`),
          eq(masterFlows.clientAccountId, marked.clientAccountId),
          eq(masterFlows.engagementId, marked.engagementId),
          notInArray(masterFlows.flowStatus, FINAL_FLOW),
        ),
      )
      .returning({ flowId: masterFlows.flowId }),
  );
  return db
    .with(marked, flow)
    .select({ dataImportId: marked.id, flowId: sql<string | null>`coalesce((select ${flow.flowId} from ${flow}), ${marked.masterFlowId})`, marked: sql<boolean>`true` })
    .from(marked);
}

/** Import statuses no failure may leave: a completed import stays completed. */
const FINAL_IMPORT: (typeof dataImports.$inferSelect.status)[] = ['completed', 'completed_with_errors'];
/** Master flow statuses no failure may leave. */
const FINAL_FLOW: (typeof masterFlows.$inferSelect.flowStatus)[] = ['completed', 'cancelled'];

/** A foreign-key violation on the tenant pair of data_imports (pg names it `constraint`, postgres.js `constraint_name`). */
export function isUnknownTenant(err: unknown): boolean {
  const c = err as { code?: string; constraint?: string; constraint_name?: string };
  return c?.code === '23503' && (c.constraint ?? c.constraint_name) === dataImportsEngagementFkey;
}

const dataImportsEngagementFkey = 'data_imports_engagement_fkey';
