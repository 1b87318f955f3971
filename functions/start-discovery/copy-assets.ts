/**
 * The first discovery of a row range writes its assets with COPY: the same columns and values as
 * upsertAssets' INSERT … ON CONFLICT, without PostgreSQL parsing every page as one JSON document
 * first (the profile's largest server-side cost after the keys' checks). COPY cannot say ON
 * CONFLICT, so it is only used where no asset of the range exists yet, under the range's lock; a
 * range discovered again takes the upsert.
 */
import { and, between, eq, getTableName } from 'drizzle-orm';
import type { PgColumn } from 'drizzle-orm/pg-core';
import { RESTORE_ROLE_SQL, TAKE_LOADER_SQL } from '../../db/access.ts';
import type { TransactionSql } from 'postgres';
import type { Sql, Tx } from '../../db/client.ts';
import { inTenant } from '../../db/queries/sql.ts';
import { assets, rawImportRecords } from '../../db/schema/index.ts';
import postgres from 'postgres';
import { TransientError } from '../../workflows/step-errors.ts';
import type { Scope, AssetRow } from './write-discovery.ts';

type Value = string | number | boolean | null | undefined | object;

/** A value in COPY's text format: \N for null, JSON for jsonb, the four escapes of text. */
function field(value: Value): string {
  if (value === null || value === undefined) return '\\N';
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : '\\N';
  const s = typeof value === 'object' ? JSON.stringify(value) : String(value);
  return /[\\\t\n\r]/.test(s) ? s.replace(/[\\\t\n\r]/g, (c) => ESCAPES[c]!) : s;
}
const ESCAPES: Record<string, string> = { '\\': '\\\\', '\t': '\\t', '\n': '\\n', '\r': '\\r' };

const a = assets;
/** Per asset: the column and the value it takes (as upsertAssets' INSERT … SELECT writes them). */
const ROW: Array<[PgColumn, (r: AssetRow) => Value]> = [
  [a.rawImportRecordId, (r) => r.raw_import_record_id],
  [a.name, (r) => r.name],
  [a.assetName, (r) => r.name],
  [a.hostname, (r) => r.hostname],
  [a.fqdn, (r) => r.fqdn],
  [a.ipAddress, (r) => r.ip_address],
  [a.ipAddresses, (r) => r.ip_addresses],
  [a.macAddress, (r) => r.mac_address],
  [a.operatingSystem, (r) => r.operating_system],
  [a.osVersion, (r) => r.os_version],
  [a.cpuCores, (r) => r.cpu_cores],
  [a.memoryGb, (r) => r.memory_gb],
  [a.storageGb, (r) => r.storage_gb],
  [a.assetType, (r) => r.asset_type],
  [a.assetTypeReason, (r) => r.asset_type_reason],
  [a.environment, (r) => r.environment],
  [a.datacenter, (r) => r.datacenter],
  [a.location, (r) => r.location],
  [a.businessOwner, (r) => r.business_owner],
  [a.technicalOwner, (r) => r.technical_owner],
  [a.department, (r) => r.department],
  [a.applicationName, (r) => r.application_name],
  [a.criticality, (r) => r.criticality],
  [a.description, (r) => r.description],
  [a.vmUuid, (r) => r.vm_uuid],
  [a.biosUuid, (r) => r.bios_uuid],
  [a.serialNumber, (r) => r.serial_number],
  [a.cloudInstanceId, (r) => r.cloud_instance_id],
  [a.cmdbSysId, (r) => r.cmdb_sys_id],
  [a.customAttributes, (r) => r.custom_attributes],
];
/** The same for every asset of the range. */
const CONSTANT: PgColumn[] = [
  a.clientAccountId,
  a.engagementId,
  a.masterFlowId,
  a.discoveryFlowId,
  a.sourceFilename,
  a.discoverySource,
  a.discoveryMethod,
  a.discoveryTimestamp,
  a.importedAt,
  a.status,
];
const COPY_ASSETS = `copy ${getTableName(a)} (${[...CONSTANT, ...ROW.map(([c]) => c)].map((c) => c.name).join(', ')}) from stdin`;

export interface CopyMeta {
  filename: string;
  sourceSystem: string;
  /** The transaction's now(), as text: what the INSERT's now() writes. */
  now: string;
}

/**
 * A page of new assets in COPY's text format, or null when a value would make the server refuse
 * the COPY (an integer out of range): that page is upserted, and the server names the value.
 */
export function encodeAssets(scope: Scope, rows: AssetRow[], meta: CopyMeta): string | null {
  const prefix = [scope.clientAccountId, scope.engagementId, scope.flowId, scope.discoveryFlowId, meta.filename, meta.sourceSystem, 'file_import', meta.now, meta.now, 'discovered']
    .map(field)
    .join('\t');
  let text = '';
  for (const r of rows) {
    if (r.cpu_cores !== null && !(Number.isInteger(r.cpu_cores) && Math.abs(r.cpu_cores) <= 2 ** 31 - 1)) return null;
    text += prefix;
    for (const [, value] of ROW) text += `\t${field(value(r))}`;
    text += '\n';
  }
  return text;
}

/**
 * Inserts a page of new assets (encodeAssets' text) with COPY, in the caller's transaction; `sent`
 * is called once the rows are on the wire. The caller holds the range's lock and saw no asset in
 * it, so the server has no reason to refuse; if it does (a run over an overlapping range of
 * another chunk size got there first), the attempt fails with TransientError and its retry, which
 * then finds assets in the range, upserts them.
 *
 * postgres.js (3.4) never settles a COPY that the server refuses after its last row arrived (the
 * stream's end waits for a CommandComplete that never comes), so the outcome is read from the
 * statement after it, which fails when the COPY did (the transaction is then aborted). The
 * server's own message is lost with it.
 */
export async function copyAssets(tx: Sql | TransactionSql, scope: Scope, text: string, sent: () => void = () => {}): Promise<void> {
  if (!text) return;
  // as the loader (COPY FROM refuses row-level security), sent ahead of the COPY on the same connection
  const taken = tx.unsafe<Array<{ previous: string }>>(TAKE_LOADER_SQL);
  taken.catch(() => {}); // its failure fails the COPY after it, read below
  const stream = await tx.unsafe(COPY_ASSETS).writable();
  let ended = false;
  let failure: unknown;
  stream.on('error', (err) => {
    failure = err;
  }); // refused while still writing, or the connection lost
  // postgres.js accepts the next statement once the Writable has called its final (CopyDone sent)
  const finalSent = new Promise<void>((resolve) => {
    const final = stream._final!.bind(stream);
    stream._final = (callback) => {
      ended = true;
      final(callback);
      resolve();
    };
    stream.once('close', resolve);
  });
  stream.end(text);
  await finalSent;
  try {
    // a stream that closed before its end: nothing more is sent on that connection
    if (!ended) throw failure ?? new Error('the COPY of assets ended before its data was sent');
    const [{ previous }] = await taken;
    // the transaction's own role again, queued before anything the caller sends next
    const restored = tx.unsafe(RESTORE_ROLE_SQL, [previous]);
    sent(); // the rows are on the wire: the caller may go on while the server inserts them
    await restored;
  } catch (err) {
    if (!(err instanceof postgres.PostgresError)) throw err;
    throw new TransientError(
      `discovery of data import ${scope.dataImportId}: the server refused the COPY of a page of assets ` +
        `(${err.code === '25P02' ? 'the driver does not report its reason' : err.message}); retried, the range's existing assets are upserted`,
    );
  }
}

/** Serialises the runs of one row range of an import (a first run COPYs, which cannot say ON CONFLICT). */
export async function lockRange(tx: Sql | TransactionSql, scope: Scope, range: { fromRow: number; toRow: number }): Promise<void> {
  await tx`select pg_advisory_xact_lock(hashtextextended(${`discover:${scope.dataImportId}:${range.fromRow}:${range.toRow}`}, 0))`;
}

/** Whether any raw record of the range already has an asset (then its writes are upserts). */
export async function rangeHasAssets(tx: Tx, scope: Scope, range: { fromRow: number; toRow: number }): Promise<boolean> {
  const r = rawImportRecords;
  const found = await tx
    .select({ id: a.id })
    .from(r)
    .innerJoin(a, eq(a.rawImportRecordId, r.id))
    .where(and(eq(r.dataImportId, scope.dataImportId), between(r.rowNumber, range.fromRow, range.toRow), inTenant(r, scope)))
    .limit(1);
  return found.length > 0;
}
