import type { Sql } from '../../db/client.ts';
import { jsonb } from '../../db/client.ts';

export interface DiscoveryInput {
  clientAccountId: string;
  engagementId: string;
  dataImportId: string;
  flowId: string;
  discoveryFlowId: string;
}

export interface DiscoverySummary {
  rows: number;
  phasesCompleted: string[];
  assets: number;
  fieldMappings: number;
}

/**
 * Runs discovery's phases for one import inside the caller's transaction and records each phase on
 * its discovery_flows row. Safe to re-run: every write is keyed on the import or the raw record.
 *
 * Phases that exist so far: data_validation (every raw record of the import counted and linked to
 * this flow). Field mapping and asset inventory come with the discovery issue.
 */
export async function runDiscovery(tx: Sql, input: DiscoveryInput): Promise<DiscoverySummary> {
  const [{ rows }] = await tx<{ rows: number }[]>`
    select count(*)::int as rows from raw_import_records
    where data_import_id = ${input.dataImportId} and master_flow_id = ${input.flowId}
      and client_account_id = ${input.clientAccountId} and engagement_id = ${input.engagementId}`;
  const phasesCompleted = ['data_validation'];
  await tx`
    update discovery_flows set
      data_validation_completed = true,
      current_phase = 'data_validation',
      phases_completed = ${jsonb(phasesCompleted)},
      crew_outputs = crew_outputs || ${jsonb({ data_validation: { rows } })},
      progress_percentage = 100.0 / 6,
      updated_at = now()
    where id = ${input.discoveryFlowId} and master_flow_id = ${input.flowId}`;
  return { rows, phasesCompleted, assets: 0, fieldMappings: 0 };
}
