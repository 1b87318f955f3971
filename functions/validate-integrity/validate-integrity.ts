import { and, eq, ne, notInArray, sql } from 'drizzle-orm';
import type * as z from 'zod';
import { orm, type Db, type Sql } from '../../db/client.ts';
import { runIntegrityCheck } from '../../db/integrity/index.ts';
import { inTenant } from '../../db/queries/sql.ts';
import { dataImports, discoveryFlows, masterFlows } from '../../db/schema/index.ts';
import type { validateIntegrityInput } from '../../workflows/contracts.ts';
import { IntegrityViolationError, NotFoundError } from '../../workflows/step-errors.ts';
import { stepTransaction } from '../_shared/step-bounds.ts';

const STUCK_RUNNING = 'stuck_running.';

export type ValidateIntegrityInput = z.infer<typeof validateIntegrityInput>;

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
export async function validateIntegrity(client: Sql | Db, input: ValidateIntegrityInput): Promise<{ ok: true; healthScore: number; checks: number; warnings: string[] }> {
  const tenant = { clientAccountId: input.clientAccountId, engagementId: input.engagementId };
  return stepTransaction(client, 'ValidateIntegrity', input.dataImportId, tenant, async (sqlTx) => {
    const tx = orm(sqlTx);
    const report = await runIntegrityCheck(tx, {
      flowId: input.flowId,
      clientAccountId: input.clientAccountId,
      engagementId: input.engagementId,
    });
    // this step running is itself proof its flow is not stuck, however long ago the execution
    // started: a redrive hours after a stop or a timeout must not fail on its own flow's age
    const blocking = report.checks.filter((c) => c.count > 0 && !c.id.startsWith(STUCK_RUNNING) && (c.kind === 'data' ? c.severity !== 'info' : c.severity === 'critical'));
    if (blocking.length) {
      const critical = blocking.filter((c) => c.severity === 'critical');
      const named = (critical.length ? critical : blocking).map((c) => `${c.id} (${c.count})`).join(', ');
      throw new IntegrityViolationError(`integrity checks failed for master flow ${input.flowId}: ${named || 'see report'}`, {
        flowId: input.flowId,
        healthScore: report.healthScore,
        checks: blocking.map(({ id, severity, table, count, sampleIds }) => ({ id, severity, table, count, sampleIds: sampleIds.slice(0, 10) })),
      });
    }

    // each row is written only on its way to completed: a replay of a finished execution changes nothing
    const [found] = await tx
      .select({
        importDone: sql<boolean>`${dataImports.status} in ('completed', 'completed_with_errors')`,
        discoveryDone: sql<boolean>`${discoveryFlows.status} = 'completed'`,
        // rows rejected by StoreImport, or values discovery could not read: completed, with errors
        withErrors: sql<boolean>`coalesce(${dataImports.failedRecords}, 0) > 0
          or coalesce((${discoveryFlows.crewOutputs} -> 'data_cleansing' ->> 'warnings')::int, 0) > 0`,
      })
      .from(dataImports)
      .innerJoin(discoveryFlows, and(eq(discoveryFlows.id, input.discoveryFlowId), eq(discoveryFlows.masterFlowId, dataImports.masterFlowId)))
      .where(and(eq(dataImports.id, input.dataImportId), eq(dataImports.masterFlowId, input.flowId), inTenant(dataImports, tenant)));
    if (!found) throw new NotFoundError(`data import ${input.dataImportId} and discovery flow ${input.discoveryFlowId} are not under master flow ${input.flowId} for this tenant`);
    await tx
      .update(dataImports)
      .set({
        status: found.withErrors ? 'completed_with_errors' : 'completed',
        progressPercentage: 100,
        errorMessage: null,
        errorDetails: null,
        completedAt: sql`coalesce(${dataImports.completedAt}, now())`,
        updatedAt: sql`now()`,
      })
      .where(and(eq(dataImports.id, input.dataImportId), notInArray(dataImports.status, ['completed', 'completed_with_errors'])));
    await tx
      .update(discoveryFlows)
      .set({
        status: 'completed',
        errorMessage: null,
        errorPhase: null,
        errorDetails: null,
        completedAt: sql`coalesce(${discoveryFlows.completedAt}, now())`,
        updatedAt: sql`now()`,
      })
      .where(and(eq(discoveryFlows.id, input.discoveryFlowId), ne(discoveryFlows.status, 'completed')));
    await tx
      .update(masterFlows)
      .set({ flowStatus: 'completed', errorMessage: null, errorDetails: null, updatedAt: sql`now()` })
      .where(and(eq(masterFlows.flowId, input.flowId), inTenant(masterFlows, tenant), notInArray(masterFlows.flowStatus, ['completed', 'cancelled'])));
    const warnings = report.checks.filter((c) => c.count > 0 && c.severity !== 'info').map((c) => c.id);
    return { ok: true as const, healthScore: report.healthScore, checks: report.checks.length, warnings };
  });
}
