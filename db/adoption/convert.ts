import { ASSET_TYPE, FLOW_STATUS, FLOW_STATUS_DEFAULT, FLOW_TYPES, IMPORT_STATUS, IMPORT_STATUS_DEFAULT, MATCH_TYPE, MATCH_TYPE_DEFAULT, caseOf } from './mappings.ts';

/** Legacy tables that have a place in our schema, parents first. */
export const ADOPTED_TABLES = [
  'client_accounts',
  'engagements',
  'users',
  'crewai_flow_state_extensions',
  'data_imports',
  'raw_import_records',
  'discovery_flows',
  'import_field_mappings',
  'assets',
] as const;
export type AdoptedTable = (typeof ADOPTED_TABLES)[number];

/** Quarantine reasons starting with this are rows that only lack a master flow: backfill may release them. */
export const UNLINKED_REASON = 'unlinked:';

const A = 'legacy_archive';
const PLAN = 'flowlink_adoption.quarantine_plan';
const KEYS = 'flowlink_adoption.master_keys';
const notPlanned = (table: string, alias = 'a') => `not exists (select 1 from ${PLAN} q where q.table_name = '${table}' and q.row_id = ${alias}.id)`;
const flowType = (e: string) => caseOf(e, Object.fromEntries(FLOW_TYPES.map((t) => [t, [t]])), 'null');
const unlinked = (e: string) => `case when ${e} is null then '${UNLINKED_REASON} master_flow_id is NULL' else format('${UNLINKED_REASON} master_flow_id %s matches no master flow', ${e}) end`;

/**
 * Statements that decide, from the archived legacy rows, which rows cannot satisfy the new
 * constraints (flowlink_adoption.quarantine_plan) and how every legacy master flow value
 * translates to a flow_id (flowlink_adoption.master_keys: a flow_id stays, a technical `id`
 * becomes its row's flow_id). Parents first, so children of a quarantined parent follow it.
 */
export function classifyStatements(): string[] {
  return [
    `create table flowlink_adoption.quarantine_plan (table_name text not null, row_id uuid not null, reason text not null, primary key (table_name, row_id))`,
    `create table flowlink_adoption.master_keys (legacy_value uuid primary key, flow_id uuid not null, kind text not null)`,
    `insert into ${PLAN} select 'crewai_flow_state_extensions', a.id,
       case when ${flowType('a.flow_type')} is null then format('invalid: unknown flow_type %L', a.flow_type)
            else format('invalid: engagement %s does not belong to client account %s', a.engagement_id, a.client_account_id) end
     from ${A}.crewai_flow_state_extensions a
     where ${flowType('a.flow_type')} is null
        or not exists (select 1 from ${A}.engagements e where e.id = a.engagement_id and e.client_account_id = a.client_account_id)`,
    `insert into ${KEYS} select a.flow_id, a.flow_id, 'flow_id' from ${A}.crewai_flow_state_extensions a where ${notPlanned('crewai_flow_state_extensions')}`,
    // a technical id that is also some row's flow_id is ambiguous: the flow_id reading wins
    `insert into ${KEYS} select a.id, a.flow_id, 'wrong_key' from ${A}.crewai_flow_state_extensions a
     where ${notPlanned('crewai_flow_state_extensions')} on conflict (legacy_value) do nothing`,
    `insert into ${PLAN} select 'data_imports', a.id, format('invalid: engagement %s does not belong to client account %s', a.engagement_id, a.client_account_id)
     from ${A}.data_imports a
     where not exists (select 1 from ${A}.engagements e where e.id = a.engagement_id and e.client_account_id = a.client_account_id)`,
    ...['raw_import_records', 'import_field_mappings'].map(
      (t) => `insert into ${PLAN} select '${t}', a.id, format('parent quarantined: data import %s', a.data_import_id)
       from ${A}.${t} a join ${PLAN} p on p.table_name = 'data_imports' and p.row_id = a.data_import_id`,
    ),
    `insert into ${PLAN} select 'raw_import_records', a.id, format('invalid: row_number %s is below 1', a."row_number")
     from ${A}.raw_import_records a where a."row_number" < 1 on conflict do nothing`,
    `insert into ${PLAN} select 'raw_import_records', x.id, format('duplicate: row %s of data import %s is raw record %s', x."row_number", x.data_import_id, x.kept)
     from (select a.id, a.data_import_id, a."row_number", first_value(a.id) over w as kept, row_number() over w as n
           from ${A}.raw_import_records a where ${notPlanned('raw_import_records')}
           window w as (partition by a.data_import_id, a."row_number" order by a.created_at, a.id)) x
     where x.n > 1`,
    `insert into ${PLAN} select 'import_field_mappings', a.id, format('invalid: confidence_score %s is outside 0..1', a.confidence_score)
     from ${A}.import_field_mappings a where (a.confidence_score < 0 or a.confidence_score > 1) on conflict do nothing`,
    `insert into ${PLAN} select 'import_field_mappings', x.id, format('duplicate: source_field %L of data import %s is mapping %s', x.source_field, x.data_import_id, x.kept)
     from (select a.id, a.data_import_id, a.source_field, first_value(a.id) over w as kept, row_number() over w as n
           from ${A}.import_field_mappings a where ${notPlanned('import_field_mappings')}
           window w as (partition by a.data_import_id, a.source_field order by a.is_user_defined desc, coalesce(a.updated_at, a.created_at) desc, a.id)) x
     where x.n > 1`,
    ...['discovery_flows', 'import_field_mappings', 'assets'].map(
      (t) => `insert into ${PLAN} select '${t}', a.id, ${unlinked('a.master_flow_id')}
       from ${A}.${t} a left join ${KEYS} k on k.legacy_value = a.master_flow_id
       where k.flow_id is null on conflict do nothing`,
    ),
    // one discovery flow per master flow: the one that shares the master's flow_id, else the oldest
    `insert into ${PLAN} select 'discovery_flows', x.id, format('duplicate: master flow %s already has discovery flow %s', x.flow_id, x.kept)
     from (select a.id, k.flow_id, first_value(a.id) over w as kept, row_number() over w as n
           from ${A}.discovery_flows a join ${KEYS} k on k.legacy_value = a.master_flow_id
           where ${notPlanned('discovery_flows')}
           window w as (partition by k.flow_id order by (a.flow_id = k.flow_id) desc, a.created_at, a.id)) x
     where x.n > 1`,
  ];
}

/** How a row's master flow is chosen: from master_keys during adoption, from a backfill plan on release. */
export interface MasterSource {
  master: string;
  join: string;
  where: string;
}

const adoptionSource = (table: string): MasterSource => ({
  master: 'k.flow_id',
  join: `left join ${KEYS} k on k.legacy_value = a.master_flow_id`,
  where: notPlanned(table),
});

const SAME_NAME_ASSET_COLUMNS = [
  'id',
  'client_account_id',
  'engagement_id',
  'name',
  'asset_name',
  'hostname',
  'description',
  'ip_address',
  'fqdn',
  'mac_address',
  'environment',
  'location',
  'datacenter',
  'rack_location',
  'availability_zone',
  'operating_system',
  'os_version',
  'cpu_cores',
  'memory_gb',
  'storage_gb',
  'business_owner',
  'technical_owner',
  'department',
  'application_name',
  'technology_stack',
  'criticality',
  'business_criticality',
  'custom_attributes',
  'six_r_strategy',
  'mapping_status',
  'migration_priority',
  'migration_complexity',
  'migration_wave',
  'sixr_ready',
  'status',
  'migration_status',
  'dependencies',
  'related_assets',
  'discovery_method',
  'discovery_source',
  'discovery_timestamp',
  'cpu_utilization_percent',
  'memory_utilization_percent',
  'disk_iops',
  'network_throughput_mbps',
  'completeness_score',
  'quality_score',
  'current_monthly_cost',
  'estimated_cloud_cost',
  'imported_by',
  'imported_at',
  'source_filename',
  'created_at',
  'updated_at',
];

const flowStatus = (e: string) => `${caseOf(e, FLOW_STATUS, `'${FLOW_STATUS_DEFAULT}'`)}::flow_status`;
const importStatus = (e: string) => caseOf(e, IMPORT_STATUS, `'${IMPORT_STATUS_DEFAULT}'`);

/**
 * INSERT … SELECT that writes legacy rows of one table into our table, converted (renames, enum
 * mappings, tenant columns from the parent, references only to rows that exist in our tables).
 * Used by adoption for every row not quarantined, and by backfill to release quarantined rows.
 */
export function insertConverted(table: 'discovery_flows' | 'import_field_mappings' | 'assets' | AdoptedTable, src: MasterSource = adoptionSource(table)): string {
  const { master, join, where } = src;
  switch (table) {
    case 'client_accounts':
      return `insert into public.client_accounts (id, name, slug, industry, created_at, updated_at)
        select a.id, a.name, a.slug, a.industry, a.created_at, a.updated_at from ${A}.client_accounts a`;
    case 'engagements':
      return `insert into public.engagements (id, client_account_id, name, description, status, created_at, updated_at)
        select a.id, a.client_account_id, a.name, a.description, coalesce(a.status, 'active'), a.created_at, a.updated_at from ${A}.engagements a`;
    case 'users':
      return `insert into public.users (id, email, full_name, client_account_id, is_active, created_at)
        select a.id, a.email, a.full_name, a.client_account_id, a.is_active, a.created_at from ${A}.users a`;
    case 'crewai_flow_state_extensions':
      return `insert into public.crewai_flow_state_extensions (flow_id, client_account_id, engagement_id, user_id, flow_type, flow_name,
          flow_status, flow_configuration, flow_persistence_data, phase_execution_times, agent_collaboration_log, created_at, updated_at)
        select a.flow_id, a.client_account_id, a.engagement_id, a.user_id, ${flowType('a.flow_type')}::flow_type, a.flow_name,
          ${flowStatus('a.flow_status')},
          case when jsonb_typeof(a.flow_configuration) = 'object' then a.flow_configuration else jsonb_build_object('legacy_value', a.flow_configuration) end,
          a.flow_persistence_data, a.phase_execution_times, a.agent_collaboration_log, a.created_at, a.updated_at
        from ${A}.crewai_flow_state_extensions a where ${where}`;
    case 'data_imports':
      // an import without a master flow cannot be linked or later (data_imports_master_flow_required): it is stored
      return `insert into public.data_imports (id, client_account_id, engagement_id, master_flow_id, import_name, import_type, description,
          filename, file_size, mime_type, file_hash, import_config, status, progress_percentage, total_records, processed_records,
          failed_records, error_message, imported_by, created_at, updated_at, completed_at)
        select a.id, a.client_account_id, a.engagement_id, ${master}, a.import_name, a.import_type, a.description,
          a.source_filename, a.file_size_bytes, a.file_type, a.file_hash, a.import_config, s.status::import_status,
          coalesce(a.progress_percentage, 0), a.total_records, a.processed_records, a.failed_records,
          case when s.status = 'failed' then 'failed before adoption; the legacy platform recorded no error message' end,
          (select u.id from public.users u where u.id = a.imported_by), a.created_at, a.updated_at, a.completed_at
        from ${A}.data_imports a ${join}
        cross join lateral (select case when ${master} is null and ${importStatus('a.status')} in ('linked', 'processing', 'completed')
                                        then 'stored' else ${importStatus('a.status')} end as status) s
        where ${where}`;
    case 'raw_import_records':
      return `insert into public.raw_import_records (id, data_import_id, client_account_id, engagement_id, master_flow_id, "row_number",
          raw_data, cleansed_data, validation_errors, processing_notes, is_processed, is_valid, created_at, processed_at)
        select a.id, a.data_import_id, coalesce(a.client_account_id, i.client_account_id), coalesce(a.engagement_id, i.engagement_id),
          ${master}, a."row_number", a.raw_data, a.cleansed_data, a.validation_errors, a.processing_notes, a.is_processed, a.is_valid,
          a.created_at, a.processed_at
        from ${A}.raw_import_records a join ${A}.data_imports i on i.id = a.data_import_id ${join} where ${where}`;
    case 'discovery_flows':
      return `insert into public.discovery_flows (id, client_account_id, engagement_id, master_flow_id, data_import_id, user_id, flow_name,
          status, progress_percentage, data_validation_completed, field_mapping_completed, data_cleansing_completed,
          asset_inventory_completed, dependency_analysis_completed, tech_debt_assessment_completed, crewai_state_data,
          created_at, updated_at, completed_at)
        select a.id, a.client_account_id, a.engagement_id, ${master},
          (select i.id from public.data_imports i where i.id = a.data_import_id), a.user_id, a.flow_name,
          ${flowStatus('a.status')}, a.progress_percentage, a.data_validation_completed, a.field_mapping_completed,
          a.data_cleansing_completed, a.asset_inventory_completed, a.dependency_analysis_completed, a.tech_debt_assessment_completed,
          a.crewai_state_data, a.created_at, a.updated_at, a.completed_at
        from ${A}.discovery_flows a ${join} where ${where}`;
    case 'import_field_mappings':
      // a NULL confidence: 1 when a person defined the mapping, else 0 (recorded in adoption_changes)
      return `insert into public.import_field_mappings (id, data_import_id, client_account_id, engagement_id, master_flow_id, source_field,
          target_field, match_type, confidence, transformation_rules, is_user_defined, status, created_at, updated_at)
        select a.id, a.data_import_id, coalesce(a.client_account_id, i.client_account_id), i.engagement_id, ${master}, a.source_field,
          a.target_field, ${caseOf('a.mapping_type', MATCH_TYPE, `'${MATCH_TYPE_DEFAULT}'`)}::match_type,
          coalesce(a.confidence_score, case when a.is_user_defined then 1 else 0 end), a.validation_rules, a.is_user_defined, a.status,
          a.created_at, a.updated_at
        from ${A}.import_field_mappings a join ${A}.data_imports i on i.id = a.data_import_id ${join} where ${where}`;
    case 'assets': {
      const assetType = caseOf('a.asset_type', ASSET_TYPE, 'null');
      return `insert into public.assets (${SAME_NAME_ASSET_COLUMNS.join(', ')}, master_flow_id, discovery_flow_id, raw_import_record_id, asset_type, asset_type_reason)
        select ${SAME_NAME_ASSET_COLUMNS.map((c) => `a.${c}`).join(', ')}, ${master},
          (select d.id from public.discovery_flows d where d.id = a.discovery_flow_id),
          (select min(r.id::text)::uuid from ${A}.raw_import_records r join public.raw_import_records pr on pr.id = r.id
            where r.asset_id = a.id having count(*) = 1),
          ${assetType}::asset_type,
          case when a.asset_type is null then null
               when ${assetType} is null then format('legacy asset_type %L is not in the asset model', a.asset_type)
               when ${assetType} <> a.asset_type then format('legacy asset_type %L mapped to %s', a.asset_type, ${assetType}) end
        from ${A}.assets a ${join} where ${where}`;
    }
  }
}

/** Copies every planned row, whole, into public.quarantined_rows with its reason. */
export function insertQuarantine(table: AdoptedTable): string {
  return `insert into public.quarantined_rows (source_table, row_id, client_account_id, engagement_id, reason, original_row)
    select q.table_name, a.id::text, (to_jsonb(a) ->> 'client_account_id')::uuid, (to_jsonb(a) ->> 'engagement_id')::uuid, q.reason, to_jsonb(a)
    from ${PLAN} q join ${A}.${table} a on a.id = q.row_id where q.table_name = '${table}'`;
}

/** [table, our column, legacy expression] pairs whose changed values adoption records. */
const TRACKED: [AdoptedTable, string, string][] = [
  ['engagements', 'status', 'a.status'],
  ['crewai_flow_state_extensions', 'flow_type', 'a.flow_type'],
  ['crewai_flow_state_extensions', 'flow_status', 'a.flow_status'],
  ['crewai_flow_state_extensions', 'flow_configuration', 'a.flow_configuration'],
  ['data_imports', 'master_flow_id', 'a.master_flow_id'],
  ['data_imports', 'status', 'a.status'],
  ['data_imports', 'progress_percentage', 'a.progress_percentage'],
  ['data_imports', 'imported_by', 'a.imported_by'],
  ['raw_import_records', 'master_flow_id', 'a.master_flow_id'],
  ['raw_import_records', 'client_account_id', 'a.client_account_id'],
  ['raw_import_records', 'engagement_id', 'a.engagement_id'],
  ['discovery_flows', 'master_flow_id', 'a.master_flow_id'],
  ['discovery_flows', 'status', 'a.status'],
  ['discovery_flows', 'data_import_id', 'a.data_import_id'],
  ['import_field_mappings', 'master_flow_id', 'a.master_flow_id'],
  ['import_field_mappings', 'match_type', 'a.mapping_type'],
  ['import_field_mappings', 'confidence', 'a.confidence_score'],
  ['import_field_mappings', 'client_account_id', 'a.client_account_id'],
  ['assets', 'master_flow_id', 'a.master_flow_id'],
  ['assets', 'asset_type', 'a.asset_type'],
  ['assets', 'discovery_flow_id', 'a.discovery_flow_id'],
];

/**
 * legacy_archive.adoption_changes: every value adoption changed on its way in (not renames), with
 * the legacy value beside ours, so a mapped status or a translated key can always be traced back.
 */
export function recordChangesStatements(): string[] {
  const key = (t: string) => (t === 'crewai_flow_state_extensions' ? 'flow_id' : 'id');
  return [
    `create table if not exists ${A}.adoption_changes (table_name text not null, row_id uuid not null, column_name text not null,
       legacy_value text, new_value text, reason text not null)`,
    `truncate ${A}.adoption_changes`,
    ...TRACKED.map(([t, col, legacy]) => {
      const reason =
        col === 'master_flow_id'
          ? `case when n.master_flow_id is null then 'dangling: matches no master flow' else 'wrong key: legacy technical id translated to flow_id' end`
          : `'mapped on adoption'`;
      return `insert into ${A}.adoption_changes select '${t}', a.id, '${col}', ${legacy}::text, n.${col}::text, ${reason}
        from ${A}.${t} a join public.${t} n on n.${key(t)} = a.${key(t)}
        where ${legacy}::text is distinct from n.${col}::text`;
    }),
  ];
}
