import type * as z from 'zod';
import { and, between, count, eq, inArray, sql } from 'drizzle-orm';
import { orm, type Sql, type Tx } from '../../db/client.ts';
import { lockImport } from '../../db/queries/imports.ts';
import { resumeMasterFlow } from '../../db/queries/master-flows.ts';
import { column, inTenant } from '../../db/queries/sql.ts';
import { assets, dataImports, discoveryFlows, importFieldMappings, rawImportRecords } from '../../db/schema/index.ts';
import type { discoverChunkInput, planDiscoveryInput, startDiscoveryOutput } from '../../workflows/contracts.ts';
import { NotFoundError } from '../../workflows/step-errors.ts';
import { stepTransaction } from '../_shared/step-bounds.ts';
import { discoverRows } from './discover-rows.ts';
import { finishDiscoveryPhases, planDiscoveryPhases } from './discover.ts';
import type { DiscoveryInput } from './types.ts';

export type PlanDiscoveryInput = Omit<z.infer<typeof planDiscoveryInput>, 'action'>;
/** A chunk of the StartDiscovery Map: rows fromRow .. fromRow + chunkRows - 1. */
export type DiscoverChunkInput = Omit<z.infer<typeof discoverChunkInput>, 'action'>;
export type StartDiscoveryResult = z.infer<typeof startDiscoveryOutput>;

/**
 * Locks the tenant's import (it must already be linked to this flow) and upserts its discovery
 * flow `running`, clearing an error a failed attempt left; marks the import `processing` and
 * resumes the master flow. Keyed on the master flow (discovery_flows_master_flow_id_key).
 */
async function openDiscoveryFlow(tx: Tx, input: PlanDiscoveryInput): Promise<string> {
  const tenant = { clientAccountId: input.clientAccountId, engagementId: input.engagementId };
  const imp = await lockImport(tx, tenant, input.dataImportId);
  if (!imp) throw new NotFoundError(`data import ${input.dataImportId} does not exist for client ${input.clientAccountId} / engagement ${input.engagementId}`);
  if (imp.masterFlowId !== input.flowId) {
    throw new NotFoundError(`data import ${input.dataImportId} is not linked to master flow ${input.flowId} (LinkRecords has not run)`);
  }
  const d = discoveryFlows;
  const [flow] = await tx
    .insert(d)
    .values({ ...tenant, masterFlowId: input.flowId, dataImportId: input.dataImportId, flowName: `Discovery: ${imp.filename}`, status: 'running' })
    .onConflictDoUpdate({
      target: d.masterFlowId,
      set: {
        status: sql`case when ${d.status} = 'completed' then ${d.status} else 'running' end`,
        errorMessage: null,
        errorPhase: null,
        errorDetails: null,
        updatedAt: sql`now()`,
      },
      setWhere: and(eq(d.clientAccountId, sql`excluded.${column(d.clientAccountId)}`), eq(d.engagementId, sql`excluded.${column(d.engagementId)}`)),
    })
    .returning({ id: d.id });
  if (!flow) throw new NotFoundError(`master flow ${input.flowId} has a discovery flow of another tenant`);
  await tx
    .update(dataImports)
    .set({
      status: sql`case when ${dataImports.status} in ('completed', 'completed_with_errors') then ${dataImports.status} else 'processing' end`,
      errorMessage: null,
      errorDetails: null,
      updatedAt: sql`now()`,
    })
    .where(eq(dataImports.id, input.dataImportId));
  await resumeMasterFlow(tx, input.flowId, tenant);
  return flow.id;
}

/**
 * PlanDiscovery: the discovery flow under the master flow, and the field mappings planned once
 * for the whole import from its headers, in one transaction.
 *
 * Idempotency key: the master flow (one discovery flow) and (data_import_id, source_field).
 */
export async function planDiscovery(sql: Sql, input: PlanDiscoveryInput): Promise<{ discoveryFlowId: string; fieldMappings: number; sourceSystem: string }> {
  return stepTransaction(sql, 'PlanDiscovery', input.dataImportId, input, async (sqlTx) => {
    const tx = orm(sqlTx);
    const done = await completedDiscovery(tx, input);
    if (done) return { discoveryFlowId: done.discoveryFlowId, fieldMappings: done.fieldMappings, sourceSystem: done.sourceSystem };
    const discoveryFlowId = await openDiscoveryFlow(tx, input);
    const planned = await planDiscoveryPhases(tx, { ...input, discoveryFlowId });
    return { discoveryFlowId, fieldMappings: planned.fieldMappings, sourceSystem: planned.sourceSystem };
  });
}

/**
 * DiscoverChunk (each chunk of the StartDiscovery Map): normalises the chunk's raw records into
 * assets by the import's plan and writes them in one transaction. Keyed on the raw record: a chunk
 * run twice, at once, or redriven after a crash leaves the same rows.
 */
export async function discoverChunk(sql: Sql, input: DiscoverChunkInput, options: { batchSize?: number } = {}) {
  const counts = await stepTransaction(sql, 'DiscoverChunk', `${input.dataImportId}#${input.chunk}`, input, async (sqlTx) => {
    const range = { fromRow: input.fromRow, toRow: input.fromRow + input.chunkRows - 1 };
    const tx = orm(sqlTx);
    if (await completedDiscovery(tx, input)) return chunkOfCompleted(tx, input, range);
    // the driver's transaction itself: discoverRows COPYs a first run's assets
    return discoverRows(sqlTx, input, range, options);
  });
  return { chunk: input.chunk, chunks: input.chunks, ...counts };
}

/**
 * FinishDiscovery: once every chunk has run, proves one asset or one recorded skip per raw record
 * and completes discovery's phases, in one transaction with the import locked. ValidateIntegrity
 * then completes import, discovery flow and master flow.
 */
export async function finishDiscovery(sql: Sql, input: DiscoveryInput): Promise<StartDiscoveryResult> {
  return stepTransaction(sql, 'FinishDiscovery', input.dataImportId, input, async (sqlTx) => {
    const tx = orm(sqlTx);
    const tenant = { clientAccountId: input.clientAccountId, engagementId: input.engagementId };
    const imp = await lockImport(tx, tenant, input.dataImportId);
    if (imp?.masterFlowId !== input.flowId) throw new NotFoundError(`data import ${input.dataImportId} is not linked to master flow ${input.flowId} for this tenant`);
    const done = await completedDiscovery(tx, input);
    if (done) return withoutSource(done);
    const summary = await finishDiscoveryPhases(tx, input);
    return {
      discoveryFlowId: input.discoveryFlowId,
      rows: summary.rows,
      assets: summary.assets,
      fieldMappings: summary.fieldMappings,
      phasesCompleted: summary.phasesCompleted,
    };
  });
}

/**
 * Never backwards: once the import and its discovery flow are completed (a replay of a finished
 * execution), every discovery action reads back what was recorded (counts, never rows) and writes
 * nothing, so not even a timestamp moves. Undefined while discovery is not completed.
 */
async function completedDiscovery(tx: Tx, input: PlanDiscoveryInput): Promise<(StartDiscoveryResult & { sourceSystem: string }) | undefined> {
  const i = dataImports;
  const d = discoveryFlows;
  // counted by the import's and the flow's ids alone (the import is the tenant's): index-only scans
  const [row] = await tx
    .select({
      id: d.id,
      phasesCompleted: d.phasesCompleted,
      sourceSystem: i.sourceSystem,
      rows: tx.$count(rawImportRecords, eq(rawImportRecords.dataImportId, i.id)),
      assets: tx.$count(assets, eq(assets.discoveryFlowId, d.id)),
      fieldMappings: tx.$count(importFieldMappings, eq(importFieldMappings.dataImportId, i.id)),
    })
    .from(i)
    .innerJoin(d, and(eq(d.masterFlowId, i.masterFlowId), eq(d.clientAccountId, i.clientAccountId), eq(d.engagementId, i.engagementId)))
    .where(and(eq(i.id, input.dataImportId), eq(i.masterFlowId, input.flowId), inTenant(i, input), inArray(i.status, ['completed', 'completed_with_errors']), eq(d.status, 'completed')));
  if (!row) return undefined;
  return {
    discoveryFlowId: row.id,
    rows: row.rows,
    assets: row.assets,
    fieldMappings: row.fieldMappings,
    phasesCompleted: row.phasesCompleted,
    sourceSystem: row.sourceSystem ?? 'unknown',
  };
}

function withoutSource({ sourceSystem: _, ...result }: StartDiscoveryResult & { sourceSystem: string }): StartDiscoveryResult {
  return result;
}

/** A chunk of a completed discovery: its counts as recorded, nothing written. */
async function chunkOfCompleted(tx: Tx, input: DiscoverChunkInput, range: { fromRow: number; toRow: number }) {
  const r = rawImportRecords;
  const a = assets;
  const [row] = await tx
    .select({ rows: count(), assets: count(a.id) })
    .from(r)
    .leftJoin(a, and(eq(a.rawImportRecordId, r.id), eq(a.discoveryFlowId, input.discoveryFlowId)))
    .where(and(eq(r.dataImportId, input.dataImportId), between(r.rowNumber, range.fromRow, range.toRow), inTenant(r, input)));
  // one asset or one recorded skip per raw record: FinishDiscovery proved it when discovery completed
  return { rows: row!.rows, assets: row!.assets, skipped: row!.rows - row!.assets };
}
