import { jsonb, type Sql } from '../../db/client.ts';
import { NotFoundError } from '../_shared/errors.ts';
import { resumeMasterFlow } from '../_shared/flow-state.ts';
import { stepTransaction } from '../_shared/step-bounds.ts';

export interface CreateMasterFlowInput {
  clientAccountId: string;
  engagementId: string;
  dataImportId: string;
}

/**
 * CreateMasterFlow: the import's discovery master flow, exactly one per import.
 *
 * Idempotency key: the import. Its row is locked FOR UPDATE, so two concurrent runs for one import
 * serialise; the flow records the import in `flow_configuration.data_import_id`, and a run that
 * finds such a flow (or the import's own master_flow_id) reuses it instead of creating another.
 *
 * Primary course:
 * 1. Lock the tenant's import row (NotFoundError when it is not this tenant's).
 * 2. Reuse the flow already recorded for it, resuming it if a failure had marked it failed.
 * 3. Otherwise insert a `discovery` flow, `running`, recording the import and its S3 object.
 */
export async function createMasterFlow(sql: Sql, input: CreateMasterFlowInput): Promise<{ flowId: string; reused: boolean }> {
  const scope = { clientAccountId: input.clientAccountId, engagementId: input.engagementId };
  return stepTransaction(sql, 'CreateMasterFlow', input.dataImportId, async (tx) => {
    const [imp] = await tx<{ filename: string; master_flow_id: string | null; s3_bucket: string | null; s3_key: string | null }[]>`
      select filename, master_flow_id, s3_bucket, s3_key from data_imports
      where id = ${input.dataImportId} and client_account_id = ${input.clientAccountId} and engagement_id = ${input.engagementId}
      for update`;
    if (!imp) throw new NotFoundError(`data import ${input.dataImportId} does not exist for client ${input.clientAccountId} / engagement ${input.engagementId}`);

    const [existing] = await tx<{ flow_id: string }[]>`
      select flow_id from crewai_flow_state_extensions
      where client_account_id = ${input.clientAccountId} and engagement_id = ${input.engagementId} and flow_type = 'discovery'
        and (flow_id = ${imp.master_flow_id} or flow_configuration @> ${jsonb({ data_import_id: input.dataImportId })})
      order by created_at limit 1`;
    if (existing) {
      await resumeMasterFlow(tx, existing.flow_id, scope);
      return { flowId: existing.flow_id, reused: true };
    }

    const [created] = await tx<{ flow_id: string }[]>`
      insert into crewai_flow_state_extensions (client_account_id, engagement_id, flow_type, flow_name, flow_status, flow_configuration)
      values (${input.clientAccountId}, ${input.engagementId}, 'discovery', ${`Discovery: ${imp.filename}`}, 'running',
              ${jsonb({ data_import_id: input.dataImportId, source: 's3', s3_bucket: imp.s3_bucket, s3_key: imp.s3_key })})
      returning flow_id`;
    return { flowId: created!.flow_id, reused: false };
  });
}
