import type { Sql } from '../../db/client.ts';
import { IntegrityViolationError, LinkCountMismatchError, NotFoundError } from '../_shared/errors.ts';
import { resumeMasterFlow } from '../_shared/flow-state.ts';
import { stepTransaction } from '../_shared/step-bounds.ts';

export interface LinkRecordsInput {
  clientAccountId: string;
  engagementId: string;
  dataImportId: string;
  flowId: string;
  /** Rows StoreImport stored: the count the link must reach. */
  rowCount: number;
}

/**
 * LinkRecords: puts the master flow on the import and on every one of its raw records, in one
 * transaction, and proves the count.
 *
 * Idempotency key: (data_import_id, master_flow_id). Records already carrying the flow are not
 * touched again; an import already `processing`/`completed` keeps its status, so a replay changes
 * nothing. The database's data_imports_records_linked trigger refuses `linked` while any record
 * lacks the flow, so the import can never claim a link its rows do not have.
 *
 * Primary course:
 * 1. Lock the tenant's import; refuse one already linked to another flow.
 * 2. One UPDATE sets master_flow_id on the import's raw records that lack it.
 * 3. Count linked vs stored rows; a difference throws LinkCountMismatchError (all rolled back).
 * 4. Mark the import `linked` (clearing an error a failed attempt left) and resume its flow.
 */
export async function linkRecords(sql: Sql, input: LinkRecordsInput): Promise<{ linkedCount: number }> {
  const scope = { clientAccountId: input.clientAccountId, engagementId: input.engagementId };
  return stepTransaction(sql, 'LinkRecords', input.dataImportId, async (tx) => {
    const [imp] = await tx<{ master_flow_id: string | null; total_records: number | null }[]>`
      select master_flow_id, total_records from data_imports
      where id = ${input.dataImportId} and client_account_id = ${input.clientAccountId} and engagement_id = ${input.engagementId}
      for update`;
    if (!imp) throw new NotFoundError(`data import ${input.dataImportId} does not exist for client ${input.clientAccountId} / engagement ${input.engagementId}`);
    if (imp.master_flow_id && imp.master_flow_id !== input.flowId) {
      throw new IntegrityViolationError(`data import ${input.dataImportId} is already linked to master flow ${imp.master_flow_id}, not ${input.flowId}`, {
        dataImportId: input.dataImportId, linkedTo: imp.master_flow_id, flowId: input.flowId,
      });
    }
    const [flow] = await tx`
      select 1 from crewai_flow_state_extensions
      where flow_id = ${input.flowId} and client_account_id = ${input.clientAccountId} and engagement_id = ${input.engagementId}`;
    if (!flow) throw new NotFoundError(`master flow ${input.flowId} does not exist for client ${input.clientAccountId} / engagement ${input.engagementId}`);

    await tx`
      update raw_import_records set master_flow_id = ${input.flowId}
      where data_import_id = ${input.dataImportId} and client_account_id = ${input.clientAccountId} and engagement_id = ${input.engagementId}
        and master_flow_id is distinct from ${input.flowId}`;
    const [counts] = await tx<{ stored: number; linked: number }[]>`
      select count(*)::int as stored, count(*) filter (where master_flow_id = ${input.flowId})::int as linked
      from raw_import_records where data_import_id = ${input.dataImportId}`;
    const { stored, linked } = counts!;
    const expected = imp.total_records ?? input.rowCount;
    if (linked !== input.rowCount || linked !== stored || linked !== expected) {
      throw new LinkCountMismatchError(
        `data import ${input.dataImportId}: linked ${linked} raw records to master flow ${input.flowId}, ` +
          `but StoreImport reported ${input.rowCount}, the import records ${expected} and ${stored} exist`,
      );
    }

    await tx`
      update data_imports set
        master_flow_id = ${input.flowId},
        status = case when status in ('processing', 'completed') then status else 'linked' end,
        error_message = case when status = 'failed' then null else error_message end,
        error_details = case when status = 'failed' then null else error_details end,
        updated_at = now()
      where id = ${input.dataImportId}
        and (master_flow_id is distinct from ${input.flowId} or status not in ('linked', 'processing', 'completed'))`;
    await resumeMasterFlow(tx, input.flowId, scope);
    return { linkedCount: linked };
  });
}
