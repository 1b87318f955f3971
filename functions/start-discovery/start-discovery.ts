import type { Sql } from '../../db/client.ts';
import { NotFoundError } from '../_shared/errors.ts';
import { resumeMasterFlow } from '../_shared/flow-state.ts';
import { runDiscovery } from './discover.ts';
import { stepTransaction } from '../_shared/step-bounds.ts';

export interface StartDiscoveryInput {
  clientAccountId: string;
  engagementId: string;
  dataImportId: string;
  flowId: string;
}

export interface StartDiscoveryResult {
  discoveryFlowId: string;
  rows: number;
  assets: number;
  fieldMappings: number;
  phasesCompleted: string[];
}

/**
 * StartDiscovery: the discovery_flows row under the master flow, then discovery's phases, in one
 * transaction (a crash leaves neither half).
 *
 * Idempotency key: the master flow (discovery_flows_master_flow_id_key): a second run upserts the
 * same row, and runDiscovery keys its own writes on the import and raw records. A completed flow
 * or import keeps its status.
 *
 * Never backwards: when the import and its discovery flow are completed (a replay of a finished
 * execution), the recorded result is returned and nothing is written.
 *
 * Primary course:
 * 1. Lock the tenant's import; it must already be linked to this flow.
 * 2. Upsert the discovery flow (`running`, clearing an error a failed attempt left).
 * 3. Mark the import `processing` and resume the master flow.
 * 4. Run the discovery phases; return their counts (never rows).
 */
export async function startDiscovery(sql: Sql, input: StartDiscoveryInput): Promise<StartDiscoveryResult> {
  const scope = { clientAccountId: input.clientAccountId, engagementId: input.engagementId };
  return stepTransaction(sql, 'StartDiscovery', input.dataImportId, async (tx) => {
    const [imp] = await tx<{ master_flow_id: string | null; filename: string; status: string }[]>`
      select master_flow_id, filename, status from data_imports
      where id = ${input.dataImportId} and client_account_id = ${input.clientAccountId} and engagement_id = ${input.engagementId}
      for update`;
    if (!imp) throw new NotFoundError(`data import ${input.dataImportId} does not exist for client ${input.clientAccountId} / engagement ${input.engagementId}`);
    if (imp.master_flow_id !== input.flowId) {
      throw new NotFoundError(`data import ${input.dataImportId} is not linked to master flow ${input.flowId} (LinkRecords has not run)`);
    }

    if (imp.status === 'completed') {
      const done = await completedDiscovery(tx as unknown as Sql, input);
      if (done) return done;
    }

    const [flow] = await tx<{ id: string }[]>`
      insert into discovery_flows (client_account_id, engagement_id, master_flow_id, data_import_id, flow_name, status)
      values (${input.clientAccountId}, ${input.engagementId}, ${input.flowId}, ${input.dataImportId}, ${`Discovery: ${imp.filename}`}, 'running')
      on conflict on constraint discovery_flows_master_flow_id_key do update set
        status = case when discovery_flows.status = 'completed' then discovery_flows.status else 'running' end,
        error_message = null, error_phase = null, error_details = null,
        updated_at = now()
      where discovery_flows.client_account_id = excluded.client_account_id and discovery_flows.engagement_id = excluded.engagement_id
      returning id`;
    if (!flow) throw new NotFoundError(`master flow ${input.flowId} has a discovery flow of another tenant`);

    await tx`
      update data_imports set
        status = case when status = 'completed' then status else 'processing' end,
        error_message = null, error_details = null, updated_at = now()
      where id = ${input.dataImportId}`;
    await resumeMasterFlow(tx, input.flowId, scope);

    const summary = await runDiscovery(tx as unknown as Sql, { ...input, discoveryFlowId: flow.id });
    return {
      discoveryFlowId: flow.id,
      rows: summary.rows,
      assets: summary.assets,
      fieldMappings: summary.fieldMappings,
      phasesCompleted: summary.phasesCompleted,
    };
  });
}

/** The result a completed discovery recorded, read back (counts, never rows); undefined when not completed. */
async function completedDiscovery(sql: Sql, input: StartDiscoveryInput): Promise<StartDiscoveryResult | undefined> {
  const [row] = await sql<{ id: string; phases_completed: string[]; rows: number; assets: number; field_mappings: number }[]>`
    select d.id, d.phases_completed,
           (select count(*)::int from raw_import_records r where r.data_import_id = ${input.dataImportId}) as rows,
           (select count(*)::int from assets a where a.discovery_flow_id = d.id) as assets,
           (select count(*)::int from import_field_mappings m where m.data_import_id = ${input.dataImportId}) as field_mappings
    from discovery_flows d
    where d.master_flow_id = ${input.flowId} and d.client_account_id = ${input.clientAccountId} and d.engagement_id = ${input.engagementId}
      and d.status = 'completed'`;
  if (!row) return undefined;
  return { discoveryFlowId: row.id, rows: row.rows, assets: row.assets, fieldMappings: row.field_mappings, phasesCompleted: row.phases_completed };
}
