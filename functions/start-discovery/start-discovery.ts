import { and, eq, sql } from 'drizzle-orm';
import { orm, unwrapped, type Sql } from '../../db/client.ts';
import { lockImport } from '../../db/queries/imports.ts';
import { resumeMasterFlow } from '../../db/queries/master-flows.ts';
import { column } from '../../db/queries/sql.ts';
import { dataImports, discoveryFlows } from '../../db/schema/index.ts';
import { NotFoundError } from '../_shared/errors.ts';
import { stepTransaction } from '../_shared/step-bounds.ts';
import { discoverRows, finishDiscoveryPhases, planDiscoveryPhases, runDiscovery } from './discover.ts';

export interface StartDiscoveryInput {
  clientAccountId: string;
  engagementId: string;
  dataImportId: string;
  flowId: string;
}

export interface DiscoveryFlowInput extends StartDiscoveryInput {
  discoveryFlowId: string;
}

export interface DiscoverChunkInput extends DiscoveryFlowInput {
  /** The chunk's rows: row_number fromRow .. fromRow + chunkRows - 1. */
  fromRow: number;
  chunkRows: number;
  chunk: number;
  chunks: number;
}

export interface StartDiscoveryResult {
  discoveryFlowId: string;
  rows: number;
  assets: number;
  fieldMappings: number;
  phasesCompleted: string[];
}

/**
 * Locks the tenant's import (it must already be linked to this flow) and upserts its discovery
 * flow `running`, clearing an error a failed attempt left; marks the import `processing` and
 * resumes the master flow. Keyed on the master flow (discovery_flows_master_flow_id_key).
 */
async function openDiscoveryFlow(client: Sql, input: StartDiscoveryInput): Promise<string> {
  // Drizzle over the caller's postgres.js transaction (discovery's phases still take that transaction)
  const tx = orm(client);
  const tenant = { clientAccountId: input.clientAccountId, engagementId: input.engagementId };
  const imp = await unwrapped(lockImport(tx, tenant, input.dataImportId));
  if (!imp) throw new NotFoundError(`data import ${input.dataImportId} does not exist for client ${input.clientAccountId} / engagement ${input.engagementId}`);
  if (imp.masterFlowId !== input.flowId) {
    throw new NotFoundError(`data import ${input.dataImportId} is not linked to master flow ${input.flowId} (LinkRecords has not run)`);
  }
  const d = discoveryFlows;
  const [flow] = await unwrapped(tx.insert(d)
    .values({ ...tenant, masterFlowId: input.flowId, dataImportId: input.dataImportId, flowName: `Discovery: ${imp.filename}`, status: 'running' })
    .onConflictDoUpdate({
      target: d.masterFlowId,
      set: {
        status: sql`case when ${d.status} = 'completed' then ${d.status} else 'running' end`,
        errorMessage: null, errorPhase: null, errorDetails: null,
        updatedAt: sql`now()`,
      },
      setWhere: and(eq(d.clientAccountId, sql`excluded.${column(d.clientAccountId)}`), eq(d.engagementId, sql`excluded.${column(d.engagementId)}`)),
    })
    .returning({ id: d.id }));
  if (!flow) throw new NotFoundError(`master flow ${input.flowId} has a discovery flow of another tenant`);
  await unwrapped(tx.update(dataImports)
    .set({
      status: sql`case when ${dataImports.status} = 'completed' then ${dataImports.status} else 'processing' end`,
      errorMessage: null, errorDetails: null, updatedAt: sql`now()`,
    })
    .where(eq(dataImports.id, input.dataImportId)));
  await unwrapped(resumeMasterFlow(tx, input.flowId, tenant));
  return flow.id;
}

/**
 * PlanDiscovery: the discovery flow under the master flow, and the field mappings planned once
 * for the whole import from its headers, in one transaction.
 *
 * Idempotency key: the master flow (one discovery flow) and (data_import_id, source_field).
 */
export async function planDiscovery(sql: Sql, input: StartDiscoveryInput): Promise<{ discoveryFlowId: string; fieldMappings: number; sourceSystem: string }> {
  return stepTransaction(sql, 'PlanDiscovery', input.dataImportId, async (tx) => {
    const done = await completedDiscovery(tx as unknown as Sql, input);
    if (done) return { discoveryFlowId: done.discoveryFlowId, fieldMappings: done.fieldMappings, sourceSystem: done.sourceSystem };
    const discoveryFlowId = await openDiscoveryFlow(tx as unknown as Sql, input);
    const planned = await planDiscoveryPhases(tx as unknown as Sql, { ...input, discoveryFlowId });
    return { discoveryFlowId, fieldMappings: planned.fieldMappings, sourceSystem: planned.sourceSystem };
  });
}

/**
 * DiscoverChunk (each chunk of the StartDiscovery Map): normalises the chunk's raw records into
 * assets by the import's plan and writes them in one transaction. Keyed on the raw record: a chunk
 * run twice, at once, or redriven after a crash leaves the same rows.
 */
export async function discoverChunk(sql: Sql, input: DiscoverChunkInput, options: { batchSize?: number } = {}) {
  const counts = await stepTransaction(sql, 'DiscoverChunk', `${input.dataImportId}#${input.chunk}`, async (tx) => {
    const range = { fromRow: input.fromRow, toRow: input.fromRow + input.chunkRows - 1 };
    if (await completedDiscovery(tx as unknown as Sql, input)) return chunkOfCompleted(tx as unknown as Sql, input, range);
    return discoverRows(tx as unknown as Sql, input, range, options);
  });
  return { chunk: input.chunk, chunks: input.chunks, ...counts };
}

/**
 * FinishDiscovery: once every chunk has run, proves one asset or one recorded skip per raw record
 * and completes discovery's phases, in one transaction with the import locked. ValidateIntegrity
 * then completes import, discovery flow and master flow.
 */
export async function finishDiscovery(sql: Sql, input: DiscoveryFlowInput): Promise<StartDiscoveryResult> {
  return stepTransaction(sql, 'FinishDiscovery', input.dataImportId, async (tx) => {
    const [imp] = await tx`
      select 1 from data_imports
      where id = ${input.dataImportId} and master_flow_id = ${input.flowId}
        and client_account_id = ${input.clientAccountId} and engagement_id = ${input.engagementId}
      for update`;
    if (!imp) throw new NotFoundError(`data import ${input.dataImportId} is not linked to master flow ${input.flowId} for this tenant`);
    const done = await completedDiscovery(tx as unknown as Sql, input);
    if (done) return withoutSource(done);
    const summary = await finishDiscoveryPhases(tx as unknown as Sql, input);
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
 * All of discovery in one transaction (plan, every row, finish): what the workflow did before it
 * ran chunks; kept for tools and benchmarks.
 */
export async function startDiscovery(sql: Sql, input: StartDiscoveryInput): Promise<StartDiscoveryResult> {
  return stepTransaction(sql, 'StartDiscovery', input.dataImportId, async (tx) => {
    const done = await completedDiscovery(tx as unknown as Sql, input);
    if (done) return withoutSource(done);
    const discoveryFlowId = await openDiscoveryFlow(tx as unknown as Sql, input);
    const summary = await runDiscovery(tx as unknown as Sql, { ...input, discoveryFlowId });
    return { discoveryFlowId, rows: summary.rows, assets: summary.assets, fieldMappings: summary.fieldMappings, phasesCompleted: summary.phasesCompleted };
  });
}

/**
 * Never backwards: once the import and its discovery flow are completed (a replay of a finished
 * execution), every discovery action reads back what was recorded (counts, never rows) and writes
 * nothing, so not even a timestamp moves. Undefined while discovery is not completed.
 */
async function completedDiscovery(sql: Sql, input: StartDiscoveryInput): Promise<(StartDiscoveryResult & { sourceSystem: string }) | undefined> {
  const [row] = await sql<{ id: string; phases_completed: string[]; source_system: string | null; rows: number; assets: number; field_mappings: number }[]>`
    select d.id, d.phases_completed, i.source_system,
           (select count(*)::int from raw_import_records r where r.data_import_id = i.id) as rows,
           (select count(*)::int from assets a where a.discovery_flow_id = d.id) as assets,
           (select count(*)::int from import_field_mappings m where m.data_import_id = i.id) as field_mappings
    from data_imports i
    join discovery_flows d on d.master_flow_id = i.master_flow_id and d.client_account_id = i.client_account_id and d.engagement_id = i.engagement_id
    where i.id = ${input.dataImportId} and i.master_flow_id = ${input.flowId}
      and i.client_account_id = ${input.clientAccountId} and i.engagement_id = ${input.engagementId}
      and i.status = 'completed' and d.status = 'completed'`;
  if (!row) return undefined;
  return {
    discoveryFlowId: row.id, rows: row.rows, assets: row.assets, fieldMappings: row.field_mappings,
    phasesCompleted: row.phases_completed, sourceSystem: row.source_system ?? 'unknown',
  };
}

function withoutSource({ sourceSystem: _, ...result }: StartDiscoveryResult & { sourceSystem: string }): StartDiscoveryResult {
  return result;
}

/** A chunk of a completed discovery: its counts as recorded, nothing written. */
async function chunkOfCompleted(sql: Sql, input: DiscoverChunkInput, range: { fromRow: number; toRow: number }) {
  const [row] = await sql<{ rows: number; assets: number }[]>`
    select count(*)::int as rows, count(a.id)::int as assets
    from raw_import_records r left join assets a on a.raw_import_record_id = r.id and a.discovery_flow_id = ${input.discoveryFlowId}
    where r.data_import_id = ${input.dataImportId} and r.row_number between ${range.fromRow} and ${range.toRow}`;
  // one asset or one recorded skip per raw record: FinishDiscovery proved it when discovery completed
  return { rows: row!.rows, assets: row!.assets, skipped: row!.rows - row!.assets };
}
