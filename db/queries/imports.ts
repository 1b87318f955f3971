import { NotFoundError, TenantError } from '../../functions/_shared/errors.ts';
import type { Sql } from '../client.ts';

/**
 * Anything that runs a parameterised query: a postgres.js client or transaction (Drizzle-wrapped
 * or not), or a node-postgres Pool/Client (what StoreImport's COPY uses). Queries here use `$n`
 * placeholders and pass jsonb as text cast to jsonb, which is stored right through both drivers
 * (Drizzle replaces postgres.js's jsonb serializer, so objects are never passed as parameters).
 */
export type Queryable = Sql | { query(text: string, params?: unknown[]): Promise<{ rows: unknown[] }> };

async function run<T>(db: Queryable, text: string, params: unknown[]): Promise<T[]> {
  if (typeof db === 'function') return (await db.unsafe(text, params as never[])) as unknown as T[];
  return (await db.query(text, params)).rows as T[];
}

/** One S3 object version: the ETag stands in for the version where the bucket is not versioned. */
export interface S3ObjectIdentity {
  bucket: string;
  key: string;
  versionId?: string | null;
  etag?: string | null;
}

export interface Tenant {
  clientAccountId: string;
  engagementId: string;
}

/** Which import failed: by id, or by its S3 object (which also creates the row if the import never got one). */
export type FailedImportTarget =
  | ({ dataImportId: string; flowId?: string | null } & Partial<Tenant>)
  | (S3ObjectIdentity & Tenant & { flowId?: string | null });

export interface ImportFailure {
  /** The error's name (InvalidImportError, TransientError, ...): what the workflow's Catch saw. */
  errorName: string;
  message: string;
  /** Where: file, line, byte, row, field, and anything else worth keeping. */
  details?: Record<string, unknown>;
}

/** The last segment of an S3 key: the file name. */
export const fileNameOf = (key: string): string => key.split('/').filter(Boolean).pop() ?? key;

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
export async function markImportFailed(
  db: Queryable,
  target: FailedImportTarget,
  failure: ImportFailure,
): Promise<{ dataImportId: string; flowId: string | null; marked: boolean }> {
  const details = JSON.stringify({ ...failure.details, errorName: failure.errorName });
  const message = failure.message || failure.errorName;
  // the master flow of the marked import (or the one named), in the same statement
  const flowUpdate = (m: string, d: string, f: string) => `
    flow as (
      update crewai_flow_state_extensions f
      set flow_status = 'failed', error_message = ${m}, error_details = ${d}::text::jsonb, updated_at = now()
      from marked i
      where f.flow_id = coalesce(i.master_flow_id, ${f}::uuid)
        and f.client_account_id = i.client_account_id and f.engagement_id = i.engagement_id
        and f.flow_status not in (${FINAL_FLOW})
      returning f.flow_id
    )
    select i.id as "dataImportId", coalesce((select flow_id from flow), i.master_flow_id) as "flowId", true as marked from marked i`;

  if ('dataImportId' in target) {
    const sql = `
      with marked as (
        update data_imports
        set status = 'failed', error_message = $1,
            -- merged: the failure state adds { step, cause } to what StoreImport recorded (file, line, byte)
            error_details = coalesce(error_details, '{}'::jsonb) || $2::text::jsonb, updated_at = now()
        where id = $3 and ($4::uuid is null or client_account_id = $4) and ($5::uuid is null or engagement_id = $5)
          and status not in (${FINAL_IMPORT})
        returning id, master_flow_id, client_account_id, engagement_id
      ),
      ${flowUpdate('$1', '$2', '$6')}`;
    const [row] = await run<{ dataImportId: string; flowId: string | null; marked: boolean }>(db, sql, [
      message, details, target.dataImportId, target.clientAccountId ?? null, target.engagementId ?? null, target.flowId ?? null,
    ]);
    if (row) return row;
    const [final] = await run<{ dataImportId: string; flowId: string | null }>(db,
      `select id as "dataImportId", master_flow_id as "flowId" from data_imports
       where id = $1 and ($2::uuid is null or client_account_id = $2) and ($3::uuid is null or engagement_id = $3)`,
      [target.dataImportId, target.clientAccountId ?? null, target.engagementId ?? null]);
    if (!final) throw new NotFoundError(`data import ${target.dataImportId} not found for this tenant`);
    return { ...final, marked: false };
  }

  if (!target.versionId && !target.etag) throw new Error(`markImportFailed: s3://${target.bucket}/${target.key} needs a versionId or an etag to identify the object`);
  const filename = fileNameOf(target.key);
  const sql = `
    with marked as (
      insert into data_imports (client_account_id, engagement_id, import_name, filename, s3_bucket, s3_key, s3_version_id, s3_etag,
                                status, error_message, error_details)
      values ($1, $2, $3, $3, $4, $5, $6, $7, 'failed', $8, $9::text::jsonb)
      on conflict (s3_bucket, s3_key, (coalesce(s3_version_id, s3_etag))) do update
        set status = 'failed', error_message = excluded.error_message,
            error_details = coalesce(data_imports.error_details, '{}'::jsonb) || excluded.error_details, updated_at = now()
        where data_imports.client_account_id = excluded.client_account_id and data_imports.engagement_id = excluded.engagement_id
          and data_imports.status not in (${FINAL_IMPORT})
      returning id, master_flow_id, client_account_id, engagement_id
    ),
    ${flowUpdate('$8', '$9', '$10')}`;
  const [row] = await run<{ dataImportId: string; flowId: string | null; marked: boolean }>(db, sql, [
    target.clientAccountId, target.engagementId, filename, target.bucket, target.key, target.versionId ?? null, target.etag ?? null,
    message, details, target.flowId ?? null,
  ]).catch((err) => {
    throw isUnknownTenant(err) ? new TenantError(`engagement ${target.engagementId} of client ${target.clientAccountId} does not exist`) : err;
  });
  if (row) return row;
  const [final] = await run<{ dataImportId: string; flowId: string | null; mine: boolean }>(db,
    `select id as "dataImportId", master_flow_id as "flowId", (client_account_id = $4 and engagement_id = $5) as mine from data_imports
     where s3_bucket = $1 and s3_key = $2 and coalesce(s3_version_id, s3_etag) = $3`,
    [target.bucket, target.key, target.versionId ?? target.etag, target.clientAccountId, target.engagementId]);
  if (!final?.mine) throw new TenantError(`s3://${target.bucket}/${target.key} was imported for another tenant`);
  return { dataImportId: final.dataImportId, flowId: final.flowId, marked: false };
}

/** Import statuses no failure may leave: a completed import stays completed. */
const FINAL_IMPORT = `'completed'`;
/** Master flow statuses no failure may leave. */
export const FINAL_FLOW = `'completed', 'cancelled'`;

/** A foreign-key violation on the tenant pair of data_imports (pg names it `constraint`, postgres.js `constraint_name`). */
export function isUnknownTenant(err: unknown): boolean {
  const e = err as { code?: string; constraint?: string; constraint_name?: string };
  return e?.code === '23503' && (e.constraint ?? e.constraint_name) === 'data_imports_engagement_fkey';
}
