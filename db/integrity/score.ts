import type { CheckResult } from './types.ts';

/** Points a failing check takes off the score, beyond the share of violating rows. */
export const PENALTY = { criticalSchema: 10, warning: 2 } as const;
/** The highest score a report with any failing critical check can have. */
export const MAX_SCORE_WITH_CRITICAL = 99;

/**
 * The health score, 0..100, one decimal, rounded down:
 *
 *   score = 100 × (1 − violatingRows / checkedRows) − 10 × failing critical schema checks − 2 × failing warning checks
 *
 * where violatingRows is the sum of the counts of the failing critical data checks (at most
 * checkedRows) and checkedRows the rows in scope of every table under a master flow plus the master
 * flows. Info checks never count. Clamped to 0..100, then capped at 99 while any critical check
 * fails: one orphan in ten million rows reads 99, never 100.
 */
export function healthScore(checks: readonly CheckResult[], checkedRows: number): number {
  const failing = checks.filter((c) => c.count > 0);
  const critical = failing.filter((c) => c.severity === 'critical');
  const violatingRows = critical.filter((c) => c.kind === 'data').reduce((sum, c) => sum + c.count, 0);
  const rowShare = violatingRows === 0 ? 1 : 1 - violatingRows / Math.max(checkedRows, violatingRows);
  const raw = 100 * rowShare - PENALTY.criticalSchema * critical.filter((c) => c.kind === 'schema').length - PENALTY.warning * failing.filter((c) => c.severity === 'warning').length;
  const clamped = Math.min(100, Math.max(0, raw));
  const capped = critical.length > 0 ? Math.min(clamped, MAX_SCORE_WITH_CRITICAL) : clamped;
  return Math.floor(capped * 10) / 10;
}

/** A report is ok when no critical or warning check found anything (info checks are for the record). */
export function isOk(checks: readonly CheckResult[]): boolean {
  return !checks.some((c) => c.count > 0 && c.severity !== 'info');
}
