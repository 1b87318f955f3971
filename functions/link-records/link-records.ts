import type { Sql } from '../../db/client.ts';
import { IntegrityViolationError, LinkCountMismatchError, NotFoundError } from '../_shared/errors.ts';
import { resumeMasterFlow } from '../_shared/flow-state.ts';
import { stepTransaction } from '../_shared/step-bounds.ts';

interface Scope {
  clientAccountId: string;
  engagementId: string;
  dataImportId: string;
  flowId: string;
}

export interface LinkChunkInput extends Scope {
  /** The chunk's rows: row_number fromRow .. fromRow + chunkRows - 1. */
  fromRow: number;
  chunkRows: number;
  /** Its place in the Map (0-based) and the Map's size, echoed for progress. */
  chunk: number;
  chunks: number;
}

export interface ChunkResult {
  chunk: number;
  chunks: number;
  /** Raw records of the chunk's range (all of them linked). */
  rows: number;
}

export interface FinishLinkInput extends Scope {
  /** Rows StoreImport stored: the count the link must reach. */
  rowCount: number;
}

/**
 * The import carries the flow before any raw record does (the records' link key references the
 * import's (id, master_flow_id)). Its own short transaction: chunks queue on the import row only
 * for this, never for the length of their UPDATE.
 */
async function claimImport(sql: Sql, input: Scope, attempt: { step: string; key: string }): Promise<void> {
  // named as the caller's attempt: its fence ends an abandoned earlier attempt of the same chunk (or
  // FinishLink), whose lock on the import row this claim would otherwise queue behind
  await stepTransaction(sql, attempt.step, attempt.key, async (tx) => {
    const [imp] = await tx<{ master_flow_id: string | null }[]>`
      select master_flow_id from data_imports
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
    if (!imp.master_flow_id) {
      await tx`update data_imports set master_flow_id = ${input.flowId}, updated_at = now() where id = ${input.dataImportId}`;
    }
  });
}

/**
 * LinkRecords, one chunk (a task of the LinkRecords Map): puts the master flow on the raw records
 * of one row_number range, in one transaction, and proves the range's count.
 *
 * Idempotency key: (data_import_id, row_number range, master_flow_id). Records already carrying
 * the flow are not touched; a chunk run twice, at once, or after a crash leaves the same rows.
 * The import's status is not changed here: FinishLink does that once every chunk has run.
 *
 * Primary course:
 * 1. The import carries the flow (set once; another flow is refused).
 * 2. One UPDATE sets master_flow_id on the range's records that lack it.
 * 3. Every record of the range now carries the flow, or LinkCountMismatchError (rolled back).
 */
export async function linkChunk(sql: Sql, input: LinkChunkInput): Promise<ChunkResult> {
  const attempt = { step: 'LinkChunk', key: `${input.dataImportId}#${input.chunk}` };
  await claimImport(sql, input, attempt);
  const toRow = input.fromRow + input.chunkRows - 1;
  return stepTransaction(sql, attempt.step, attempt.key, async (tx) => {
    await tx`
      update raw_import_records set master_flow_id = ${input.flowId}
      where data_import_id = ${input.dataImportId} and row_number between ${input.fromRow} and ${toRow}
        and client_account_id = ${input.clientAccountId} and engagement_id = ${input.engagementId}
        and master_flow_id is distinct from ${input.flowId}`;
    const [counts] = await tx<{ stored: number; linked: number }[]>`
      select count(*)::int as stored, count(*) filter (where master_flow_id = ${input.flowId})::int as linked
      from raw_import_records where data_import_id = ${input.dataImportId} and row_number between ${input.fromRow} and ${toRow}`;
    if (counts!.linked !== counts!.stored) {
      throw new LinkCountMismatchError(
        `data import ${input.dataImportId}, rows ${input.fromRow}-${toRow}: linked ${counts!.linked} of ${counts!.stored} raw records to master flow ${input.flowId}`,
      );
    }
    return { chunk: input.chunk, chunks: input.chunks, rows: counts!.linked };
  });
}

/**
 * FinishLink: after every chunk, proves the whole import is linked and marks it `linked`; the
 * database's data_imports_records_linked trigger refuses that status while any record lacks the flow.
 *
 * Idempotency key: (data_import_id, master_flow_id): an import already `processing`/`completed`
 * keeps its status, so a replay changes nothing.
 *
 * Primary course:
 * 1. Lock the tenant's import; it carries this flow (or none, when the file had no rows).
 * 2. Count linked vs stored rows; a difference throws LinkCountMismatchError.
 * 3. Mark the import `linked` (clearing an error a failed attempt left) and resume its flow.
 */
export async function finishLink(sql: Sql, input: FinishLinkInput): Promise<{ linkedCount: number }> {
  const scope = { clientAccountId: input.clientAccountId, engagementId: input.engagementId };
  const attempt = { step: 'FinishLink', key: input.dataImportId };
  await claimImport(sql, input, attempt);
  return stepTransaction(sql, attempt.step, attempt.key, async (tx) => {
    const [imp] = await tx<{ total_records: number | null }[]>`
      select total_records from data_imports where id = ${input.dataImportId} and master_flow_id = ${input.flowId}
        and client_account_id = ${input.clientAccountId} and engagement_id = ${input.engagementId}
      for update`;
    if (!imp) throw new IntegrityViolationError(`data import ${input.dataImportId} is no longer linked to master flow ${input.flowId}`, { dataImportId: input.dataImportId, flowId: input.flowId });
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
        status = case when status in ('processing', 'completed') then status else 'linked' end,
        error_message = case when status = 'failed' then null else error_message end,
        error_details = case when status = 'failed' then null else error_details end,
        updated_at = now()
      where id = ${input.dataImportId} and status not in ('linked', 'processing', 'completed')`;
    await resumeMasterFlow(tx, input.flowId, scope);
    return { linkedCount: linked };
  });
}

/** The whole import as one chunk, then FinishLink (benchmarks and tools; the workflow runs the Map). */
export async function linkRecords(sql: Sql, input: FinishLinkInput): Promise<{ linkedCount: number }> {
  await linkChunk(sql, { ...input, fromRow: 1, chunkRows: Math.max(input.rowCount, 1), chunk: 0, chunks: 1 });
  return finishLink(sql, input);
}
