import { operatorTransaction } from '../../db/access.ts';
import type { Sql } from '../../db/client.ts';
import { planCounts, runBackfill, undoBackfill } from '../../db/backfill/index.ts';

export interface BackfillInput {
  apply?: boolean;
  undoRunId?: string;
  clientAccountId?: string;
  windowImportsSeconds?: number;
  windowAssetsSeconds?: number;
}

/** Link and unresolved lines beyond this many (per list) are counted, not listed (the Lambda response stays small). */
export const LISTED = 1000;

/**
 * The backfill as a Lambda invocation: a dry run by default, `apply` to apply, `undoRunId` to undo.
 * Returns the totals, the rows linked and unresolved (raw records counted one by one), and up to
 * LISTED lines of each list (raw records one line per data import).
 */
export async function runBackfillFunction(sql: Sql, input: BackfillInput) {
  // as the operator (every tenant's rows, the operator's privileges), in the backfill's one transaction
  if (input.undoRunId) return { undone: input.undoRunId, ...(await operatorTransaction(sql, (tx) => undoBackfill(tx, input.undoRunId!))) };
  const result = await operatorTransaction(sql, (tx) => runBackfill(tx, input));
  const counts = planCounts(result);
  return {
    applied: result.applied,
    runId: result.runId,
    totals: result.totals,
    linkCount: counts.linked,
    unresolvedCount: counts.unresolved,
    links: result.links.slice(0, LISTED),
    recordLinks: result.recordLinks.slice(0, LISTED),
    unresolved: result.unresolved.slice(0, LISTED),
    unresolvedRecords: result.unresolvedRecords.slice(0, LISTED),
  };
}
