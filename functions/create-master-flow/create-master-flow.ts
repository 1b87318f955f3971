import type * as z from 'zod';
import { orm, type Db, type Sql } from '../../db/client.ts';
import { lockImport } from '../../db/queries/imports.ts';
import { findDiscoveryFlowOfImport, resumeMasterFlow } from '../../db/queries/master-flows.ts';
import { masterFlows } from '../../db/schema/index.ts';
import type { createMasterFlowInput } from '../../workflows/contracts.ts';
import { NotFoundError } from '../../workflows/step-errors.ts';
import { stepTransaction } from '../_shared/step-bounds.ts';

export type CreateMasterFlowInput = z.infer<typeof createMasterFlowInput>;

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
export async function createMasterFlow(client: Sql | Db, input: CreateMasterFlowInput): Promise<{ flowId: string; reused: boolean }> {
  const tenant = { clientAccountId: input.clientAccountId, engagementId: input.engagementId };
  return stepTransaction(client, 'CreateMasterFlow', input.dataImportId, tenant, async (sqlTx) => {
    const tx = orm(sqlTx);
    const imp = await lockImport(tx, tenant, input.dataImportId);
    if (!imp) throw new NotFoundError(`data import ${input.dataImportId} does not exist for client ${input.clientAccountId} / engagement ${input.engagementId}`);

    const existing = await findDiscoveryFlowOfImport(tx, tenant, input.dataImportId, imp.masterFlowId);
    if (existing) {
      await resumeMasterFlow(tx, existing, tenant);
      return { flowId: existing, reused: true };
    }

    const [created] = await tx
      .insert(masterFlows)
      .values({
        ...tenant,
        flowType: 'discovery',
        flowName: `Discovery: ${imp.filename}`,
        flowStatus: 'running',
        flowConfiguration: { data_import_id: input.dataImportId, source: 's3', s3_bucket: imp.s3Bucket, s3_key: imp.s3Key },
      })
      .returning({ flowId: masterFlows.flowId });
    return { flowId: created!.flowId, reused: false };
  });
}
