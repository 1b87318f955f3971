import type { Sql } from '../../db/client.ts';
import { runBackfill, undoBackfill } from '../../db/backfill/index.ts';

export interface BackfillInput {
  apply?: boolean;
  undoRunId?: string;
  clientAccountId?: string;
  windowImportsSeconds?: number;
  windowAssetsSeconds?: number;
}

/** Links and unresolved rows beyond this many are counted, not listed (the Lambda response stays small). */
export const LISTED = 1000;

/**
 * The backfill as a Lambda invocation: a dry run by default, `apply` to apply, `undoRunId` to undo.
 * Returns the totals and up to LISTED links and unresolved rows.
 */
export async function runBackfillFunction(sql: Sql, input: BackfillInput) {
  if (input.undoRunId) return { undone: input.undoRunId, ...(await undoBackfill(sql, input.undoRunId)) };
  const result = await runBackfill(sql, input);
  return {
    applied: result.applied,
    runId: result.runId,
    totals: result.totals,
    linkCount: result.links.length,
    unresolvedCount: result.unresolved.length,
    links: result.links.slice(0, LISTED),
    unresolved: result.unresolved.slice(0, LISTED),
  };
}
