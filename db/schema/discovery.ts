import { sql } from 'drizzle-orm';
import { bigint, boolean, check, doublePrecision, foreignKey, index, integer, jsonb, pgTable, text, timestamp, unique, uniqueIndex, uuid } from 'drizzle-orm/pg-core';
import { tenantPolicies } from './access.ts';
import { createdAt, id, tenant, underMasterFlow, updatedAt } from './columns.ts';
import { flowStatus, importStatus, matchType } from './enums.ts';
import { masterFlows } from './master-flows.ts';
import { engagements, users } from './tenancy.ts';

/** One dropped file. Exists before its master flow (status pending/stored/failed); linked from then on. */
export const dataImports = pgTable(
  'data_imports',
  {
    id: id(),
    ...tenant(),
    masterFlowId: uuid('master_flow_id'),
    importName: text('import_name').notNull(),
    importType: text('import_type').notNull().default('inventory'),
    description: text('description'),
    filename: text('filename').notNull(),
    fileSize: bigint('file_size', { mode: 'number' }),
    mimeType: text('mime_type'),
    sourceSystem: text('source_system'),
    sourceSheet: text('source_sheet'),
    fileHash: text('file_hash'),
    importConfig: jsonb('import_config').$type<Record<string, unknown>>(),
    s3Bucket: text('s3_bucket'),
    s3Key: text('s3_key'),
    s3VersionId: text('s3_version_id'),
    s3Etag: text('s3_etag'),
    status: importStatus('status').notNull().default('pending'),
    progressPercentage: doublePrecision('progress_percentage').notNull().default(0),
    totalRecords: integer('total_records'),
    processedRecords: integer('processed_records'),
    failedRecords: integer('failed_records'),
    errorMessage: text('error_message'),
    errorDetails: jsonb('error_details'),
    importedBy: uuid('imported_by'),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
    completedAt: timestamp('completed_at', { withTimezone: true }),
  },
  (t) => [
    ...underMasterFlow('data_imports', t, masterFlows.flowId),
    foreignKey({
      name: 'data_imports_engagement_fkey',
      columns: [t.engagementId, t.clientAccountId],
      foreignColumns: [engagements.id, engagements.clientAccountId],
    }).onDelete('cascade'),
    foreignKey({ name: 'data_imports_imported_by_fkey', columns: [t.importedBy], foreignColumns: [users.id] }).onDelete('set null'),
    // The database decides when a link becomes mandatory: from `linked` on, never without a master flow.
    check('data_imports_master_flow_required', sql`${t.status} in ('pending', 'stored', 'failed') or ${t.masterFlowId} is not null`),
    check('data_imports_failed_has_error', sql`${t.status} <> 'failed' or ${t.errorMessage} is not null`),
    // One import per S3 object version (the ETag stands in where the bucket is not versioned).
    uniqueIndex('data_imports_s3_object_key').on(t.s3Bucket, t.s3Key, sql`coalesce(${t.s3VersionId}, ${t.s3Etag})`),
  ],
);

/** One row per data row of the file, 1-based. */
export const rawImportRecords = pgTable(
  'raw_import_records',
  {
    id: id(),
    dataImportId: uuid('data_import_id').notNull(),
    ...tenant(),
    masterFlowId: uuid('master_flow_id'),
    rowNumber: integer('row_number').notNull(),
    /** The file line the row starts on (a workbook's sheet row number); null where the format has no lines (a JSON array). */
    lineNumber: integer('line_number'),
    rawData: jsonb('raw_data').$type<Record<string, unknown>>().notNull(),
    cleansedData: jsonb('cleansed_data'),
    validationErrors: jsonb('validation_errors'),
    processingNotes: text('processing_notes'),
    isProcessed: boolean('is_processed').notNull().default(false),
    isValid: boolean('is_valid'),
    createdAt: createdAt(),
    processedAt: timestamp('processed_at', { withTimezone: true }),
  },
  (t) => [
    ...underMasterFlow('raw_import_records', t, masterFlows.flowId),
    foreignKey({ name: 'raw_import_records_data_import_id_fkey', columns: [t.dataImportId], foreignColumns: [dataImports.id] }).onDelete('cascade'),
    unique('raw_import_records_data_import_id_row_number_key').on(t.dataImportId, t.rowNumber),
    check('raw_import_records_row_number_positive', sql`${t.rowNumber} >= 1`),
  ],
);

/** The discovery phase of a master flow: exactly one per master flow. */
export const discoveryFlows = pgTable(
  'discovery_flows',
  {
    id: id(),
    ...tenant(),
    masterFlowId: uuid('master_flow_id').notNull(),
    dataImportId: uuid('data_import_id'),
    userId: text('user_id'),
    flowName: text('flow_name').notNull(),
    status: flowStatus('status').notNull().default('pending'),
    progressPercentage: doublePrecision('progress_percentage').notNull().default(0),
    dataValidationCompleted: boolean('data_validation_completed').notNull().default(false),
    fieldMappingCompleted: boolean('field_mapping_completed').notNull().default(false),
    dataCleansingCompleted: boolean('data_cleansing_completed').notNull().default(false),
    assetInventoryCompleted: boolean('asset_inventory_completed').notNull().default(false),
    dependencyAnalysisCompleted: boolean('dependency_analysis_completed').notNull().default(false),
    techDebtAssessmentCompleted: boolean('tech_debt_assessment_completed').notNull().default(false),
    currentPhase: text('current_phase'),
    phasesCompleted: jsonb('phases_completed').$type<string[]>().notNull().default(sql`'[]'::jsonb`),
    crewOutputs: jsonb('crew_outputs').$type<Record<string, unknown>>().notNull().default(sql`'{}'::jsonb`),
    fieldMappings: jsonb('field_mappings'),
    discoveredAssets: jsonb('discovered_assets'),
    crewaiStateData: jsonb('crewai_state_data').$type<Record<string, unknown>>().notNull().default(sql`'{}'::jsonb`),
    errorMessage: text('error_message'),
    errorPhase: text('error_phase'),
    errorDetails: jsonb('error_details'),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
    completedAt: timestamp('completed_at', { withTimezone: true }),
  },
  (t) => [
    ...underMasterFlow('discovery_flows', t, masterFlows.flowId),
    unique('discovery_flows_master_flow_id_key').on(t.masterFlowId),
    foreignKey({ name: 'discovery_flows_data_import_id_fkey', columns: [t.dataImportId], foreignColumns: [dataImports.id] }).onDelete('set null'),
    index('discovery_flows_data_import_id_idx').on(t.dataImportId),
    check('discovery_flows_phases_completed_array', sql`jsonb_typeof(${t.phasesCompleted}) = 'array'`),
  ],
);

/** Column → asset field decisions of one import, with how sure we are and why. */
export const importFieldMappings = pgTable(
  'import_field_mappings',
  {
    id: id(),
    dataImportId: uuid('data_import_id').notNull(),
    ...tenant(),
    masterFlowId: uuid('master_flow_id').notNull(),
    sourceField: text('source_field').notNull(),
    targetField: text('target_field').notNull(),
    matchType: matchType('match_type').notNull(),
    confidence: doublePrecision('confidence').notNull(),
    transformationRules: jsonb('transformation_rules'),
    isUserDefined: boolean('is_user_defined').notNull().default(false),
    status: text('status').notNull().default('suggested'),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    ...underMasterFlow('import_field_mappings', t, masterFlows.flowId),
    foreignKey({ name: 'import_field_mappings_data_import_id_fkey', columns: [t.dataImportId], foreignColumns: [dataImports.id] }).onDelete('cascade'),
    unique('import_field_mappings_data_import_id_source_field_key').on(t.dataImportId, t.sourceField),
    check('import_field_mappings_confidence_range', sql`${t.confidence} >= 0 and ${t.confidence} <= 1`),
  ],
);

/**
 * A consultant's correction of a column's mapping, for every later drop of the engagement whose
 * header set (header-set.ts: a hash of the normalised header list) is the same. Applied by
 * PlanDiscovery when it first plans an import; a replay keeps the corrections its import was
 * planned with (recorded in crew_outputs.field_mapping.corrections). A table rather than a file in
 * S3: PlanDiscovery reads it in the transaction that writes the mappings, scoped by tenant like
 * every other query, and the CLI writes it the same way locally and on AWS.
 */
export const mappingCorrections = pgTable(
  'mapping_corrections',
  {
    id: id(),
    ...tenant(),
    headerSetId: text('header_set_id').notNull(),
    sourceField: text('source_field').notNull(),
    /** An asset field (or mapping input such as cpu_sockets), or custom_attributes.<key>. */
    targetField: text('target_field').notNull(),
    /** The size unit of the column's values (B, KB, MB, GB, TB), when it holds sizes. */
    unit: text('unit'),
    setBy: text('set_by'),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    foreignKey({
      name: 'mapping_corrections_engagement_fkey',
      columns: [t.engagementId, t.clientAccountId],
      foreignColumns: [engagements.id, engagements.clientAccountId],
    }).onDelete('cascade'),
    unique('mapping_corrections_tenant_header_set_source_field_key').on(t.clientAccountId, t.engagementId, t.headerSetId, t.sourceField),
    check('mapping_corrections_unit', sql`${t.unit} is null or ${t.unit} in ('B', 'KB', 'MB', 'GB', 'TB')`),
    ...tenantPolicies(t.clientAccountId, t.engagementId),
  ],
);
