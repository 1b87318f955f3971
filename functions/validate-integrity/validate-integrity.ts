import type { Sql } from '../../db/client.ts';
import { runIntegrityCheck } from '../../db/integrity/index.ts';
import { IntegrityViolationError, NotFoundError } from '../_shared/errors.ts';
import { stepTransaction } from '../_shared/step-bounds.ts';

export interface ValidateIntegrityInput {
  clientAccountId: string;
  engagementId: string;
  dataImportId: string;
  flowId: string;
  discoveryFlowId: string;
}

/**
 * ValidateIntegrity: the integrity checks scoped to this master flow; when clean, the import, the
 * discovery flow and the master flow are marked completed in the same transaction.
 *
 * Idempotency key: the master flow. Completion timestamps are kept once set (coalesce), so a second
 * run changes no content.
 *
 * Primary course:
 * 1. Run runIntegrityCheck({ flowId, clientAccountId, engagementId }).
 * 2. On a violation in this flow's rows, or a critical schema check (a missing or wrong foreign
 *    key: the database no longer guarantees the link), throw IntegrityViolationError naming the
 *    failing check ids (nothing marked). Schema warnings (an index missing, a constraint NOT VALID)
 *    are the daily check's business: reported in the result, they do not fail every import.
 * 3. Otherwise mark import, discovery flow and master flow `completed`, clearing old errors.
 */
export async function validateIntegrity(sql: Sql, input: ValidateIntegrityInput): Promise<{ ok: true; healthScore: number; checks: number; warnings: string[] }> {
  return stepTransaction(sql, 'ValidateIntegrity', input.dataImportId, async (tx) => {
    const report = await runIntegrityCheck(tx as unknown as Sql, {
      flowId: input.flowId, clientAccountId: input.clientAccountId, engagementId: input.engagementId,
    });
    const blocking = report.checks.filter((c) => c.count > 0 && (c.kind === 'data' ? c.severity !== 'info' : c.severity === 'critical'));
    if (blocking.length) {
      const failing = blocking;
      const critical = failing.filter((c) => c.severity === 'critical');
      const named = (critical.length ? critical : failing).map((c) => `${c.id} (${c.count})`).join(', ');
      throw new IntegrityViolationError(`integrity checks failed for master flow ${input.flowId}: ${named || 'see report'}`, {
        flowId: input.flowId,
        healthScore: report.healthScore,
        checks: failing.map(({ id, severity, table, count, sampleIds }) => ({ id, severity, table, count, sampleIds: sampleIds.slice(0, 10) })),
      });
    }

    // each row is written only on its way to completed: a replay of a finished execution changes nothing
    const [found] = await tx<{ import_done: boolean; discovery_done: boolean }[]>`
      select i.status = 'completed' as import_done, d.status = 'completed' as discovery_done
      from data_imports i join discovery_flows d on d.id = ${input.discoveryFlowId} and d.master_flow_id = i.master_flow_id
      where i.id = ${input.dataImportId} and i.master_flow_id = ${input.flowId}
        and i.client_account_id = ${input.clientAccountId} and i.engagement_id = ${input.engagementId}`;
    if (!found) throw new NotFoundError(`data import ${input.dataImportId} and discovery flow ${input.discoveryFlowId} are not under master flow ${input.flowId} for this tenant`);
    await tx`
      update data_imports set status = 'completed', progress_percentage = 100, error_message = null, error_details = null,
        completed_at = coalesce(completed_at, now()), updated_at = now()
      where id = ${input.dataImportId} and status <> 'completed'`;
    await tx`
      update discovery_flows set status = 'completed', error_message = null, error_phase = null, error_details = null,
        completed_at = coalesce(completed_at, now()), updated_at = now()
      where id = ${input.discoveryFlowId} and status <> 'completed'`;
    await tx`
      update crewai_flow_state_extensions set flow_status = 'completed', error_message = null, error_details = null, updated_at = now()
      where flow_id = ${input.flowId} and client_account_id = ${input.clientAccountId} and engagement_id = ${input.engagementId}
        and flow_status not in ('completed', 'cancelled')`;
    const warnings = report.checks.filter((c) => c.count > 0 && c.severity !== 'info').map((c) => c.id);
    return { ok: true as const, healthScore: report.healthScore, checks: report.checks.length, warnings };
  });
}
