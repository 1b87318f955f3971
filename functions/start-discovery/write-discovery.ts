/**
 * The set-based writes of discovery: one statement per batch of assets, one for all the field
 * mappings. Values travel as one JSON document per statement (jsonb_to_recordset), sent as text and
 * cast in SQL so the statement behaves the same on a Drizzle-wrapped and a plain postgres.js client.
 */
import type { Sql } from '../../db/client.ts';
import type { AssetValues } from '../_shared/inventory/to-asset.ts';
import type { FieldMapping } from '../_shared/inventory/types.ts';

export interface Scope {
  clientAccountId: string;
  engagementId: string;
  dataImportId: string;
  flowId: string;
  discoveryFlowId: string;
}

const asJson = (value: unknown) => JSON.stringify(value);

/**
 * Upserts the field mappings of an import under its master flow, keyed (data_import_id,
 * source_field). A mapping a user defined is never overwritten.
 */
export async function upsertFieldMappings(tx: Sql, scope: Scope, mappings: FieldMapping[]): Promise<number> {
  const rows = mappings.map((m) => ({
    source_field: m.sourceField,
    target_field: m.targetField,
    match_type: m.matchType,
    confidence: m.confidence,
    transformation_rules: { rule: m.rule, ...(m.unit ? { unit: m.unit } : {}), ...(m.target && m.target !== m.targetField ? { input: m.target } : {}) },
  }));
  const result = await tx`
    insert into import_field_mappings
      (data_import_id, client_account_id, engagement_id, master_flow_id, source_field, target_field, match_type, confidence,
       transformation_rules, status)
    select ${scope.dataImportId}, ${scope.clientAccountId}, ${scope.engagementId}, ${scope.flowId}, r.source_field, r.target_field,
           r.match_type::match_type, r.confidence, r.transformation_rules, 'applied'
    from jsonb_to_recordset(${asJson(rows)}::text::jsonb)
      as r(source_field text, target_field text, match_type text, confidence double precision, transformation_rules jsonb)
    on conflict (data_import_id, source_field) do update set
      target_field = excluded.target_field, match_type = excluded.match_type, confidence = excluded.confidence,
      transformation_rules = excluded.transformation_rules, status = excluded.status, master_flow_id = excluded.master_flow_id,
      updated_at = now()
    where not import_field_mappings.is_user_defined`;
  return result.count;
}

export interface AssetRow extends AssetValues {
  raw_import_record_id: string;
}

/**
 * Inserts or updates the assets of one batch, one per raw record (assets_raw_import_record_id_key):
 * a re-run rewrites the same rows and keeps their first discovery time.
 */
export async function upsertAssets(tx: Sql, scope: Scope, rows: AssetRow[], meta: { filename: string; sourceSystem: string }): Promise<number> {
  if (!rows.length) return 0;
  const result = await tx`
    insert into assets (
      client_account_id, engagement_id, master_flow_id, discovery_flow_id, raw_import_record_id,
      name, asset_name, hostname, fqdn, ip_address, ip_addresses, mac_address, operating_system, os_version,
      cpu_cores, memory_gb, storage_gb, asset_type, asset_type_reason, environment, datacenter, location,
      business_owner, technical_owner, department, application_name, criticality, description, custom_attributes,
      source_filename, discovery_source, discovery_method, discovery_timestamp, imported_at, status)
    select ${scope.clientAccountId}, ${scope.engagementId}, ${scope.flowId}, ${scope.discoveryFlowId}, r.raw_import_record_id,
      r.name, r.name, r.hostname, r.fqdn, r.ip_address, r.ip_addresses, r.mac_address, r.operating_system, r.os_version,
      r.cpu_cores, r.memory_gb, r.storage_gb, r.asset_type::asset_type, r.asset_type_reason, r.environment, r.datacenter, r.location,
      r.business_owner, r.technical_owner, r.department, r.application_name, r.criticality, r.description, r.custom_attributes,
      ${meta.filename}, ${meta.sourceSystem}, 'file_import', now(), now(), 'discovered'
    from jsonb_to_recordset(${asJson(rows)}::text::jsonb) as r(
      raw_import_record_id uuid, name text, hostname text, fqdn text, ip_address text, ip_addresses jsonb, mac_address text,
      operating_system text, os_version text, cpu_cores integer, memory_gb double precision, storage_gb double precision,
      asset_type text, asset_type_reason text, environment text, datacenter text, location text, business_owner text,
      technical_owner text, department text, application_name text, criticality text, description text, custom_attributes jsonb)
    on conflict (raw_import_record_id) do update set
      master_flow_id = excluded.master_flow_id, discovery_flow_id = excluded.discovery_flow_id,
      name = excluded.name, asset_name = excluded.asset_name, hostname = excluded.hostname, fqdn = excluded.fqdn,
      ip_address = excluded.ip_address, ip_addresses = excluded.ip_addresses, mac_address = excluded.mac_address,
      operating_system = excluded.operating_system, os_version = excluded.os_version, cpu_cores = excluded.cpu_cores,
      memory_gb = excluded.memory_gb, storage_gb = excluded.storage_gb, asset_type = excluded.asset_type,
      asset_type_reason = excluded.asset_type_reason, environment = excluded.environment, datacenter = excluded.datacenter,
      location = excluded.location, business_owner = excluded.business_owner, technical_owner = excluded.technical_owner,
      department = excluded.department, application_name = excluded.application_name, criticality = excluded.criticality,
      description = excluded.description, custom_attributes = excluded.custom_attributes,
      source_filename = excluded.source_filename, discovery_source = excluded.discovery_source,
      discovery_method = excluded.discovery_method, status = excluded.status, updated_at = now()`;
  return result.count;
}

/**
 * Records why raw records gave no asset (processing_notes, is_valid false, validation_errors.skip:
 * the reason's code, which FinishDiscovery counts) and removes an asset a
 * previous run may have made from them.
 */
export async function markSkipped(tx: Sql, scope: Scope, skipped: Array<{ id: string; reason: string; code: string }>): Promise<void> {
  if (!skipped.length) return;
  const doc = asJson(skipped);
  await tx`
    update raw_import_records r set processing_notes = 'skipped: ' || s.reason, is_valid = false, is_processed = true,
      validation_errors = jsonb_build_object('skip', s.code)
    from jsonb_to_recordset(${doc}::text::jsonb) as s(id uuid, reason text, code text)
    where r.id = s.id and r.data_import_id = ${scope.dataImportId}
      and r.client_account_id = ${scope.clientAccountId} and r.engagement_id = ${scope.engagementId}`;
  await tx`
    delete from assets a using jsonb_to_recordset(${doc}::text::jsonb) as s(id uuid, reason text)
    where a.raw_import_record_id = s.id and a.discovery_flow_id = ${scope.discoveryFlowId}`;
}
