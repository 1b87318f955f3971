import { and, asc, eq, inArray, or, sql } from 'drizzle-orm';
import type { Tx } from '../client.ts';
import { masterFlows } from '../schema/index.ts';
import { inTenant, jsonbParam, type Tenant } from './sql.ts';

/**
 * Puts a master flow back to `running` when a redrive resumes it after MarkFailed (or it was never
 * started), clearing the recorded error. A completed flow is left as it is, so replaying a finished
 * execution changes nothing.
 */
export async function resumeMasterFlow(tx: Tx, flowId: string, tenant: Tenant): Promise<void> {
  await tx
    .update(masterFlows)
    .set({ flowStatus: 'running', errorMessage: null, errorDetails: null, updatedAt: sql`now()` })
    .where(and(eq(masterFlows.flowId, flowId), inTenant(masterFlows, tenant), inArray(masterFlows.flowStatus, ['pending', 'failed'])));
}

/**
 * The tenant's discovery master flow of an import: the one the import names (`linkedFlowId`), or
 * the first one that records the import in flow_configuration.data_import_id.
 */
export async function findDiscoveryFlowOfImport(tx: Tx, tenant: Tenant, dataImportId: string, linkedFlowId: string | null = null): Promise<string | undefined> {
  const recordsImport = sql`${masterFlows.flowConfiguration} @> ${jsonbParam({ data_import_id: dataImportId })}`;
  const [row] = await tx
    .select({ flowId: masterFlows.flowId })
    .from(masterFlows)
    .where(and(inTenant(masterFlows, tenant), eq(masterFlows.flowType, 'discovery'), linkedFlowId ? or(eq(masterFlows.flowId, linkedFlowId), recordsImport) : recordsImport))
    .orderBy(asc(masterFlows.createdAt))
    .limit(1);
  return row?.flowId;
}

/** Whether the tenant has this master flow. */
export async function masterFlowExists(tx: Tx, tenant: Tenant, flowId: string): Promise<boolean> {
  const [row] = await tx
    .select({ one: sql`1` })
    .from(masterFlows)
    .where(and(eq(masterFlows.flowId, flowId), inTenant(masterFlows, tenant)));
  return Boolean(row);
}
