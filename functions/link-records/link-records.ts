import { and, between, count, eq, notInArray, sql } from 'drizzle-orm';
import type * as z from 'zod';
import { orm, type Db, type Sql, type Tx } from '../../db/client.ts';
import { lockImport } from '../../db/queries/imports.ts';
import { masterFlowExists, resumeMasterFlow } from '../../db/queries/master-flows.ts';
import { inTenant, isDistinctFrom } from '../../db/queries/sql.ts';
import { dataImports, rawImportRecords } from '../../db/schema/index.ts';
import type { chunkOutput, finishLinkInput, linkChunkInput } from '../../workflows/contracts.ts';
import { IntegrityViolationError, LinkCountMismatchError, NotFoundError } from '../../workflows/step-errors.ts';
import { stepTransaction } from '../_shared/step-bounds.ts';

/** A chunk of the LinkRecords Map: rows fromRow .. fromRow + chunkRows - 1, chunk `chunk` (0-based) of `chunks`. */
export type LinkChunkInput = Omit<z.infer<typeof linkChunkInput>, 'action'>;
/** FinishLink: `rowCount` is what StoreImport stored, the count the link must reach. */
export type FinishLinkInput = Omit<z.infer<typeof finishLinkInput>, 'action'>;
/** `rows`: raw records of the chunk's range (all of them linked). */
export type ChunkResult = z.infer<typeof chunkOutput>;
type Scope = Pick<LinkChunkInput, 'clientAccountId' | 'engagementId' | 'dataImportId' | 'flowId'>;

/**
 * The import carries the flow before any raw record does (the records' link key references the
 * import's (id, master_flow_id)). Its own short transaction: chunks queue on the import row only
 * for this, never for the length of their UPDATE.
 */
async function claimImport(client: Sql | Db, input: Scope, attempt: { step: string; key: string }): Promise<void> {
  const tenant = { clientAccountId: input.clientAccountId, engagementId: input.engagementId };
  // named as the caller's attempt: its fence ends an abandoned earlier attempt of the same chunk (or
  // FinishLink), whose lock on the import row this claim would otherwise queue behind
  await stepTransaction(client, attempt.step, attempt.key, tenant, async (sqlTx) => {
    const tx = orm(sqlTx);
    const imp = await lockImport(tx, tenant, input.dataImportId);
    if (!imp) throw new NotFoundError(`data import ${input.dataImportId} does not exist for client ${input.clientAccountId} / engagement ${input.engagementId}`);
    if (imp.masterFlowId && imp.masterFlowId !== input.flowId) {
      throw new IntegrityViolationError(`data import ${input.dataImportId} is already linked to master flow ${imp.masterFlowId}, not ${input.flowId}`, {
        dataImportId: input.dataImportId,
        linkedTo: imp.masterFlowId,
        flowId: input.flowId,
      });
    }
    if (!(await masterFlowExists(tx, tenant, input.flowId))) {
      throw new NotFoundError(`master flow ${input.flowId} does not exist for client ${input.clientAccountId} / engagement ${input.engagementId}`);
    }
    if (!imp.masterFlowId) {
      await tx.update(dataImports).set({ masterFlowId: input.flowId, updatedAt: sql`now()` }).where(eq(dataImports.id, input.dataImportId));
    }
  });
}

/** Stored and linked raw records of the import (of a row range when given). */
async function countLinked(tx: Tx, input: Scope, range?: { fromRow: number; toRow: number }) {
  const [counts] = await tx
    .select({ stored: count(), linked: sql<number>`count(*) filter (where ${eq(rawImportRecords.masterFlowId, input.flowId)})::int` })
    .from(rawImportRecords)
    .where(and(eq(rawImportRecords.dataImportId, input.dataImportId), range ? between(rawImportRecords.rowNumber, range.fromRow, range.toRow) : undefined));
  return counts!;
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
export async function linkChunk(client: Sql | Db, input: LinkChunkInput): Promise<ChunkResult> {
  const attempt = { step: 'LinkChunk', key: `${input.dataImportId}#${input.chunk}` };
  await claimImport(client, input, attempt);
  const range = { fromRow: input.fromRow, toRow: input.fromRow + input.chunkRows - 1 };
  return stepTransaction(client, attempt.step, attempt.key, input, async (sqlTx) => {
    const tx = orm(sqlTx);
    await tx
      .update(rawImportRecords)
      .set({ masterFlowId: input.flowId })
      .where(
        and(
          eq(rawImportRecords.dataImportId, input.dataImportId),
          between(rawImportRecords.rowNumber, range.fromRow, range.toRow),
          inTenant(rawImportRecords, input),
          isDistinctFrom(rawImportRecords.masterFlowId, input.flowId),
        ),
      );
    const counts = await countLinked(tx, input, range);
    if (counts.linked !== counts.stored) {
      throw new LinkCountMismatchError(
        `data import ${input.dataImportId}, rows ${range.fromRow}-${range.toRow}: linked ${counts.linked} of ${counts.stored} raw records to master flow ${input.flowId}`,
      );
    }
    return { chunk: input.chunk, chunks: input.chunks, rows: counts.linked };
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
export async function finishLink(client: Sql | Db, input: FinishLinkInput): Promise<{ linkedCount: number }> {
  const tenant = { clientAccountId: input.clientAccountId, engagementId: input.engagementId };
  const attempt = { step: 'FinishLink', key: input.dataImportId };
  await claimImport(client, input, attempt);
  return stepTransaction(client, attempt.step, attempt.key, tenant, async (sqlTx) => {
    const tx = orm(sqlTx);
    const [imp] = await tx
      .select({ totalRecords: dataImports.totalRecords })
      .from(dataImports)
      .where(and(eq(dataImports.id, input.dataImportId), eq(dataImports.masterFlowId, input.flowId), inTenant(dataImports, tenant)))
      .for('update');
    if (!imp) throw new IntegrityViolationError(`data import ${input.dataImportId} is no longer linked to master flow ${input.flowId}`, { dataImportId: input.dataImportId, flowId: input.flowId });
    const { stored, linked } = await countLinked(tx, input);
    const expected = imp.totalRecords ?? input.rowCount;
    if (linked !== input.rowCount || linked !== stored || linked !== expected) {
      throw new LinkCountMismatchError(
        `data import ${input.dataImportId}: linked ${linked} raw records to master flow ${input.flowId}, ` +
          `but StoreImport reported ${input.rowCount}, the import records ${expected} and ${stored} exist`,
      );
    }
    const wasFailed = sql`${dataImports.status} = 'failed'`;
    await tx
      .update(dataImports)
      .set({
        status: sql`case when ${dataImports.status} in ('processing', 'completed', 'completed_with_errors') then ${dataImports.status} else 'linked' end`,
        errorMessage: sql`case when ${wasFailed} then null else ${dataImports.errorMessage} end`,
        errorDetails: sql`case when ${wasFailed} then null else ${dataImports.errorDetails} end`,
        updatedAt: sql`now()`,
      })
      .where(and(eq(dataImports.id, input.dataImportId), notInArray(dataImports.status, ['linked', 'processing', 'completed', 'completed_with_errors'])));
    await resumeMasterFlow(tx, input.flowId, tenant);
    return { linkedCount: linked };
  });
}
