import { and, eq, ne, sql } from 'drizzle-orm';
import type * as z from 'zod';
import { orm, type Db, type Sql } from '../../db/client.ts';
import { findImportOfObject, markImportFailed } from '../../db/queries/imports.ts';
import { findDiscoveryFlowOfImport } from '../../db/queries/master-flows.ts';
import { inTenant } from '../../db/queries/sql.ts';
import { discoveryFlows } from '../../db/schema/index.ts';
import type { markFailedOutput, MarkFailedInput } from '../../workflows/contracts.ts';
import { STEP_STATES } from '../../workflows/definition.ts';
import { keyBelongsTo } from '../../workflows/import-key.ts';
import { parseCause } from '../../workflows/step-errors.ts';
import { stepTransaction } from '../_shared/step-bounds.ts';

/** `marked` is false when the import was already completed: a failure never moves it (or its flows) back. */
export type MarkFailedResult = z.infer<typeof markFailedOutput>;

/**
 * The state that failed: the first step whose result is missing from the state (in STEP_STATES
 * order); a plan of too many chunks fails before either Map, in PlanChunks' check.
 */
export function failedStep(input: MarkFailedInput): (typeof STEP_STATES)[number] | 'PlanChunks' {
  if (input.error.Error === 'TooManyChunksError') return 'PlanChunks';
  // a Map's result counts only with its chunk count: a failed chunk leaves the chunks' errors there instead
  const chunks = (map: unknown) => (map as { chunks?: number } | undefined)?.chunks;
  const results = [
    input.import?.dataImportId,
    input.flow?.flowId,
    chunks(input.linkedChunks),
    input.link,
    input.plan?.discoveryFlowId,
    chunks(input.discoveredChunks),
    input.discovery?.discoveryFlowId,
    chunks(input.reconciledChunks),
    input.inventory,
    input.integrity,
  ];
  const index = results.indexOf(undefined);
  return STEP_STATES[index === -1 ? STEP_STATES.length - 1 : index]!;
}

/**
 * MarkFailed: records the failure on the import and its master flow (markImportFailed: status
 * `failed`, `error_message`, `error_details` { errorName, step, cause }) and on its discovery flow.
 *
 * Idempotency key: the S3 object (bucket, key, version or ETag) and the ids in the state. Every
 * write sets the same values again; when StoreImport failed before any import row existed, the
 * failed import is upserted on data_imports_s3_object_key, so a refused file still leaves its
 * reason in the database, once.
 *
 * Never backwards: a completed import, a completed or cancelled master flow and a completed
 * discovery flow are left as they are (`marked: false`); the execution still fails under the
 * step's error, so a failing replay of a finished execution is named and changes nothing.
 *
 * Primary course:
 * 1. Find the import: from the state, else by its S3 object; the flow: from the state, else the
 *    import's, else the flow that records the import in flow_configuration.
 * 2. markImportFailed (import and master flow in one statement).
 * 3. Mark the discovery flow failed, with the step in error_phase.
 */
export async function markFailed(client: Sql | Db, input: MarkFailedInput): Promise<MarkFailedResult> {
  const step = failedStep(input);
  const parsed = parseCause(input.error.Cause);
  const message = parsed.message ?? input.error.Error;
  const cause = parsed.detail;
  const tenant = { clientAccountId: input.clientAccountId, engagementId: input.engagementId };
  const failure = { errorName: input.error.Error, message, details: { step, cause } };
  const object = { bucket: input.bucket, key: input.key, versionId: input.versionId, etag: input.etag };

  // an input whose key is not under its own tenant's prefix (edited by hand) records nothing: a
  // failed import of another tenant's object would refuse that tenant's own import of it for good
  if (!keyBelongsTo(input.key, tenant)) return { dataImportId: null, flowId: null, discoveryFlowId: null, marked: false };
  const key = input.import?.dataImportId ?? JSON.stringify([input.bucket, input.key, input.versionId ?? input.etag]);
  return stepTransaction(client, 'MarkFailed', key, tenant, async (sqlTx) => {
    const tx = orm(sqlTx);
    const dataImportId = input.import?.dataImportId ?? (await findImportOfObject(tx, tenant, object))?.id ?? null;
    const flowId = input.flow?.flowId ?? (dataImportId ? await findDiscoveryFlowOfImport(tx, tenant, dataImportId) : undefined) ?? null;

    const marked = dataImportId ? await markImportFailed(tx, { dataImportId, ...tenant, flowId }, failure) : await markImportFailed(tx, { ...object, ...tenant, flowId }, failure);

    let discoveryFlowId: string | null = null;
    if (marked.flowId && marked.marked) {
      const [df] = await tx
        .update(discoveryFlows)
        .set({
          status: 'failed',
          errorMessage: message,
          errorPhase: step,
          errorDetails: { errorName: input.error.Error, step, cause },
          updatedAt: sql`now()`,
        })
        .where(and(eq(discoveryFlows.masterFlowId, marked.flowId), inTenant(discoveryFlows, tenant), ne(discoveryFlows.status, 'completed')))
        .returning({ id: discoveryFlows.id });
      discoveryFlowId = df?.id ?? null;
    }
    return { dataImportId: marked.dataImportId, flowId: marked.flowId, discoveryFlowId, marked: marked.marked };
  });
}
