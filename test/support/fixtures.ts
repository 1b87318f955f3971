import { jsonb, type Sql } from '../../db/client.ts';

export interface Tenant {
  clientAccountId: string;
  engagementId: string;
}

let counter = 0;

/** A client account with one engagement. */
export async function createTenant(sql: Sql, slug = `client-${process.pid}-${++counter}`): Promise<Tenant> {
  const [client] = await sql<{ id: string }[]>`insert into client_accounts (name, slug) values (${`Client ${slug}`}, ${slug}) returning id`;
  const [engagement] = await sql<{ id: string }[]>`
    insert into engagements (client_account_id, name, slug) values (${client!.id}, 'Engagement', ${`${slug}-eng`}) returning id`;
  return { clientAccountId: client!.id, engagementId: engagement!.id };
}

export async function createMasterFlow(sql: Sql, tenant: Tenant, flowType = 'discovery'): Promise<string> {
  const [row] = await sql<{ flow_id: string }[]>`
    insert into crewai_flow_state_extensions (client_account_id, engagement_id, flow_type, flow_name)
    values (${tenant.clientAccountId}, ${tenant.engagementId}, ${flowType}, 'test flow') returning flow_id`;
  return row!.flow_id;
}

/**
 * One row in every table that hangs under a master flow, all under `flowId`. Returns the ids by
 * table, so tests can follow them.
 */
export async function createFlowTree(sql: Sql, tenant: Tenant, flowId: string) {
  const t = tenant;
  const [imp] = await sql<{ id: string }[]>`
    insert into data_imports (client_account_id, engagement_id, master_flow_id, import_name, filename, status)
    values (${t.clientAccountId}, ${t.engagementId}, ${flowId}, 'import', 'servers.csv', 'linked') returning id`;
  const [raw] = await sql<{ id: string }[]>`
    insert into raw_import_records (data_import_id, client_account_id, engagement_id, master_flow_id, row_number, raw_data)
    values (${imp!.id}, ${t.clientAccountId}, ${t.engagementId}, ${flowId}, 1, ${jsonb({ hostname: 'web01' })}) returning id`;
  const [df] = await sql<{ id: string }[]>`
    insert into discovery_flows (client_account_id, engagement_id, master_flow_id, data_import_id, flow_name)
    values (${t.clientAccountId}, ${t.engagementId}, ${flowId}, ${imp!.id}, 'discovery') returning id`;
  const [fm] = await sql<{ id: string }[]>`
    insert into import_field_mappings (data_import_id, client_account_id, engagement_id, master_flow_id, source_field, target_field, match_type, confidence)
    values (${imp!.id}, ${t.clientAccountId}, ${t.engagementId}, ${flowId}, 'hostname', 'hostname', 'exact', 1) returning id`;
  const [asset] = await sql<{ id: string }[]>`
    insert into assets (client_account_id, engagement_id, master_flow_id, discovery_flow_id, raw_import_record_id, name, hostname)
    values (${t.clientAccountId}, ${t.engagementId}, ${flowId}, ${df!.id}, ${raw!.id}, 'web01', 'web01') returning id`;
  const [assessment] = await sql<{ id: string }[]>`
    insert into assessments (client_account_id, engagement_id, master_flow_id, name) values (${t.clientAccountId}, ${t.engagementId}, ${flowId}, 'assessment') returning id`;
  const [sixr] = await sql<{ id: string }[]>`
    insert into sixr_analyses (client_account_id, engagement_id, master_flow_id, assessment_id, asset_id, strategy)
    values (${t.clientAccountId}, ${t.engagementId}, ${flowId}, ${assessment!.id}, ${asset!.id}, 'rehost') returning id`;
  const [wave] = await sql<{ id: string }[]>`
    insert into migration_waves (client_account_id, engagement_id, master_flow_id, wave_number, name)
    values (${t.clientAccountId}, ${t.engagementId}, ${flowId}, 1, 'wave 1') returning id`;
  const [plan] = await sql<{ id: string }[]>`
    insert into wave_plans (client_account_id, engagement_id, master_flow_id, migration_wave_id, asset_id, sequence)
    values (${t.clientAccountId}, ${t.engagementId}, ${flowId}, ${wave!.id}, ${asset!.id}, 1) returning id`;
  return {
    data_imports: imp!.id,
    raw_import_records: raw!.id,
    discovery_flows: df!.id,
    import_field_mappings: fm!.id,
    assets: asset!.id,
    assessments: assessment!.id,
    sixr_analyses: sixr!.id,
    migration_waves: wave!.id,
    wave_plans: plan!.id,
  };
}

/** Every table with a master_flow_id column, from the catalog (not from a list we could forget to update). */
export async function tablesWithMasterFlowId(sql: Sql): Promise<string[]> {
  const rows = await sql<{ table_name: string }[]>`
    select table_name from information_schema.columns
    where table_schema = 'public' and column_name = 'master_flow_id' order by table_name`;
  return rows.map((r) => r.table_name);
}
