/**
 * The set-based writes of discovery: one statement per batch of assets, one for all the field
 * mappings. Values travel as one JSON document per statement (jsonb_to_recordset, whose record
 * fields are this file's own names), sent as text and cast in SQL; the tables and columns written
 * are the schema's. INSERT … SELECT over a recordset with a partial column list is beyond the
 * query builder (its insert().select() wants every column), hence Drizzle's `sql` with schema
 * references.
 */
import { and, between, eq, sql, type SQL } from 'drizzle-orm';
import type { PgColumn } from 'drizzle-orm/pg-core';
import type { Tx } from '../../db/client.ts';
import { column, columnList, inTenant, jsonbParam, setExcluded } from '../../db/queries/sql.ts';
import { assets, importFieldMappings, rawImportRecords } from '../../db/schema/index.ts';
import type { AssetValues } from '../_shared/inventory/to-asset.ts';
import type { FieldMapping } from '../_shared/inventory/types.ts';
import type { DiscoveryInput } from './types.ts';

/** The discovery flow's ids: what every write is scoped by. */
export type Scope = DiscoveryInput;

/** INSERT … SELECT: the table's columns and, in the same order, what each takes. */
function insertSelect(values: Array<[PgColumn, SQL]>) {
  return {
    columns: columnList(...values.map(([c]) => c)),
    select: sql.join(
      values.map(([, v]) => v),
      sql`, `,
    ),
  };
}

/**
 * Upserts the field mappings of an import under its master flow, keyed (data_import_id,
 * source_field). A mapping a user defined is never overwritten.
 */
export async function upsertFieldMappings(tx: Tx, scope: Scope, mappings: FieldMapping[]): Promise<number> {
  const rows = mappings.map((m) => ({
    source_field: m.sourceField,
    target_field: m.targetField,
    match_type: m.matchType,
    confidence: m.confidence,
    transformation_rules: {
      rule: m.rule,
      ...(m.unit ? { unit: m.unit } : {}),
      ...(m.unitColumn ? { unit_column: m.unitColumn } : {}),
      ...(m.target && m.target !== m.targetField ? { input: m.target } : {}),
    },
  }));
  const f = importFieldMappings;
  const { columns, select } = insertSelect([
    [f.dataImportId, sql`${scope.dataImportId}`],
    [f.clientAccountId, sql`${scope.clientAccountId}`],
    [f.engagementId, sql`${scope.engagementId}`],
    [f.masterFlowId, sql`${scope.flowId}`],
    [f.sourceField, sql`r.source_field`],
    [f.targetField, sql`r.target_field`],
    [f.matchType, sql`r.match_type::match_type`],
    [f.confidence, sql`r.confidence`],
    [f.transformationRules, sql`r.transformation_rules`],
    [f.status, sql`'applied'`],
  ]);
  const result = await tx.execute(sql`
    insert into ${f} (${columns})
    select ${select}
    from jsonb_to_recordset(${jsonbParam(rows)})
      as r(source_field text, target_field text, match_type text, confidence double precision, transformation_rules jsonb)
    on conflict (${columnList(f.dataImportId, f.sourceField)}) do update set
      ${setExcluded(f.targetField, f.matchType, f.confidence, f.transformationRules, f.status, f.masterFlowId)},
      ${column(f.updatedAt)} = now()
    where not ${f.isUserDefined}`);
  return result.count;
}

export interface AssetRow extends AssetValues {
  raw_import_record_id: string;
}

/**
 * Inserts or updates the assets of one batch, one per raw record (assets_raw_import_record_id_key):
 * a re-run rewrites the same rows and keeps their first discovery time.
 */
export async function upsertAssets(tx: Tx, scope: Scope, rows: AssetRow[], meta: { filename: string; sourceSystem: string }): Promise<number> {
  if (!rows.length) return 0;
  const a = assets;
  const { columns, select } = insertSelect([
    [a.clientAccountId, sql`${scope.clientAccountId}`],
    [a.engagementId, sql`${scope.engagementId}`],
    [a.masterFlowId, sql`${scope.flowId}`],
    [a.discoveryFlowId, sql`${scope.discoveryFlowId}`],
    [a.rawImportRecordId, sql`r.raw_import_record_id`],
    [a.name, sql`r.name`],
    [a.assetName, sql`r.name`],
    [a.hostname, sql`r.hostname`],
    [a.fqdn, sql`r.fqdn`],
    [a.ipAddress, sql`r.ip_address`],
    [a.ipAddresses, sql`r.ip_addresses`],
    [a.macAddress, sql`r.mac_address`],
    [a.operatingSystem, sql`r.operating_system`],
    [a.osVersion, sql`r.os_version`],
    [a.cpuCores, sql`r.cpu_cores`],
    [a.memoryGb, sql`r.memory_gb`],
    [a.storageGb, sql`r.storage_gb`],
    [a.assetType, sql`r.asset_type::asset_type`],
    [a.assetTypeReason, sql`r.asset_type_reason`],
    [a.environment, sql`r.environment`],
    [a.datacenter, sql`r.datacenter`],
    [a.location, sql`r.location`],
    [a.businessOwner, sql`r.business_owner`],
    [a.technicalOwner, sql`r.technical_owner`],
    [a.department, sql`r.department`],
    [a.applicationName, sql`r.application_name`],
    [a.criticality, sql`r.criticality`],
    [a.description, sql`r.description`],
    [a.vmUuid, sql`r.vm_uuid`],
    [a.biosUuid, sql`r.bios_uuid`],
    [a.serialNumber, sql`r.serial_number`],
    [a.cloudInstanceId, sql`r.cloud_instance_id`],
    [a.cmdbSysId, sql`r.cmdb_sys_id`],
    [a.customAttributes, sql`r.custom_attributes`],
    [a.sourceFilename, sql`${meta.filename}`],
    [a.discoverySource, sql`${meta.sourceSystem}`],
    [a.discoveryMethod, sql`'file_import'`],
    [a.discoveryTimestamp, sql`now()`],
    [a.importedAt, sql`now()`],
    [a.status, sql`'discovered'`],
  ]);
  const result = await tx.execute(sql`
    insert into ${a} (${columns})
    select ${select}
    from jsonb_to_recordset(${jsonbParam(rows)}) as r(
      raw_import_record_id uuid, name text, hostname text, fqdn text, ip_address text, ip_addresses jsonb, mac_address text,
      operating_system text, os_version text, cpu_cores integer, memory_gb double precision, storage_gb double precision,
      asset_type text, asset_type_reason text, environment text, datacenter text, location text, business_owner text,
      technical_owner text, department text, application_name text, criticality text, description text,
      vm_uuid text, bios_uuid text, serial_number text, cloud_instance_id text, cmdb_sys_id text, custom_attributes jsonb)
    on conflict (${columnList(a.rawImportRecordId)}) do update set
      ${setExcluded(
        a.masterFlowId,
        a.discoveryFlowId,
        a.name,
        a.assetName,
        a.hostname,
        a.fqdn,
        a.ipAddress,
        a.ipAddresses,
        a.macAddress,
        a.operatingSystem,
        a.osVersion,
        a.cpuCores,
        a.memoryGb,
        a.storageGb,
        a.assetType,
        a.assetTypeReason,
        a.environment,
        a.datacenter,
        a.location,
        a.businessOwner,
        a.technicalOwner,
        a.department,
        a.applicationName,
        a.criticality,
        a.description,
        a.vmUuid,
        a.biosUuid,
        a.serialNumber,
        a.cloudInstanceId,
        a.cmdbSysId,
        a.customAttributes,
        a.sourceFilename,
        a.discoverySource,
        a.discoveryMethod,
        a.status,
      )},
      ${column(a.updatedAt)} = now()`);
  return result.count;
}

/**
 * Records why raw records gave no asset (processing_notes, is_valid false, validation_errors.skip:
 * the reason's code, which FinishDiscovery counts). `rows` is the page's row_number range: it bounds
 * the scan on (data_import_id, row_number) whatever the plan, also before the import's rows have
 * statistics (then the import's key looks cheaper than the records' own, and would read all its rows).
 */
export async function markSkipped(tx: Tx, scope: Scope, skipped: Array<{ id: string; reason: string; code: string }>, rows: { fromRow: number; toRow: number }): Promise<void> {
  if (!skipped.length) return;
  const r = rawImportRecords;
  const s = sql`jsonb_to_recordset(${jsonbParam(skipped)}) as s(id uuid, reason text, code text)`;
  await tx
    .update(r)
    .set({ processingNotes: sql`'skipped: ' || s.reason`, isValid: false, isProcessed: true, validationErrors: sql`jsonb_build_object('skip', s.code)` })
    .from(s)
    .where(and(eq(r.id, sql`s.id`), eq(r.dataImportId, scope.dataImportId), between(r.rowNumber, rows.fromRow, rows.toRow), inTenant(r, scope)));
}

/**
 * Removes the assets an earlier run of this discovery flow (of this tenant) made from raw records
 * now skipped. They are found by the raw record key alone, in a CTE the planner keeps apart, and
 * only then kept to the flow and tenant: given the flow's condition as well, statistics taken before
 * the flow's assets existed make the flow's index look cheapest, and it reads every asset of the
 * flow for a page's few skips.
 */
export async function removeSkippedAssets(tx: Tx, scope: Scope, skipped: Array<{ id: string }>): Promise<void> {
  if (!skipped.length) return;
  const a = assets;
  await tx.execute(sql`
    with found as materialized (
      select ${a.id} as id, ${a.discoveryFlowId} as discovery_flow_id, ${a.clientAccountId} as client_account_id, ${a.engagementId} as engagement_id
      from ${a}
      where ${a.rawImportRecordId} = any(array(select jsonb_array_elements_text(${jsonbParam(skipped.map((r) => r.id))})::uuid)))
    delete from ${a} using found
    where ${a.id} = found.id and found.discovery_flow_id = ${scope.discoveryFlowId}
      and found.client_account_id = ${scope.clientAccountId} and found.engagement_id = ${scope.engagementId}`);
}
