import type { Sql } from '../../db/client.ts';
import { runIntegrityCheckAsOperator, type IntegrityReport } from '../../db/integrity/index.ts';
import { METRICS } from '../../workflows/metrics.ts';

/**
 * The metrics the scheduled check publishes (workflows/metrics.ts: namespace, dimension `service`
 * from POWERTOOLS_SERVICE_NAME): one per check, named by the check id (`dangling_link.assets`,
 * unit Count), and these summaries.
 */
export const INTEGRITY_METRICS = {
  namespace: METRICS.namespace,
  healthScore: METRICS.healthScore,
  criticalViolations: METRICS.criticalViolations,
  failingChecks: METRICS.failingChecks,
} as const;

export type MetricUnitName = 'Count' | 'Percent' | 'Milliseconds';

/** Where metrics go: Powertools Metrics (EMF) in the Lambda, a recorder in tests. */
export interface MetricsPort {
  addMetric(name: string, unit: MetricUnitName, value: number): void;
}

/** Structured logging: Powertools Logger in the Lambda. */
export interface LoggerPort {
  info(message: string, extra: Record<string, unknown>): void;
  warn(message: string, extra: Record<string, unknown>): void;
}

export interface ScheduledCheckInput {
  staleRunningAfterMinutes?: number;
  /** Read every row, trusting no constraint (the weekly schedule); default: constraints in force prove what they can. */
  deep?: boolean;
}

export interface ScheduledCheckResult {
  ok: boolean;
  healthScore: number;
  criticalViolations: number;
  failingChecks: string[];
  runId: string | undefined;
  /** Every row was read (the weekly deep check). */
  deep: boolean;
}

/** Sample ids per check in the log line (all 100 stay in integrity_runs): keeps the event far below 256 KB. */
const LOGGED_SAMPLES = 20;

/**
 * The scheduled full integrity check.
 *
 * Primary course:
 * 1. Run every check over the whole database and store the run in integrity_runs.
 * 2. Log the report as one structured JSON event (failing checks with up to 20 sample ids; the run id
 *    points at the full samples).
 * 3. Publish one metric per check (its count), HealthScore, CriticalViolations and FailingChecks.
 *
 * Violations are reported, not thrown: the alarm on CriticalViolations acts on them; a failure to
 * run at all throws (and counts as a Lambda error).
 */
export async function runScheduledIntegrityCheck(deps: { sql: Sql; metrics: MetricsPort; logger: LoggerPort }, input: ScheduledCheckInput = {}): Promise<ScheduledCheckResult> {
  const report = await runIntegrityCheckAsOperator(deps.sql, { store: true, staleRunningAfterMinutes: input.staleRunningAfterMinutes, deep: input.deep });
  const failing = report.checks.filter((c) => c.count > 0);
  const criticalViolations = failing.filter((c) => c.severity === 'critical').reduce((sum, c) => sum + c.count, 0);
  (report.ok ? deps.logger.info : deps.logger.warn).call(deps.logger, report.ok ? 'integrity check passed' : 'integrity violations found', {
    integrity: summarise(report),
  });
  for (const check of report.checks) deps.metrics.addMetric(check.id, 'Count', check.count);
  deps.metrics.addMetric(INTEGRITY_METRICS.healthScore, 'Percent', report.healthScore);
  deps.metrics.addMetric(INTEGRITY_METRICS.criticalViolations, 'Count', criticalViolations);
  deps.metrics.addMetric(INTEGRITY_METRICS.failingChecks, 'Count', failing.filter((c) => c.severity !== 'info').length);
  return { ok: report.ok, healthScore: report.healthScore, criticalViolations, failingChecks: failing.map((c) => c.id), runId: report.runId, deep: report.deep };
}

function summarise(report: IntegrityReport) {
  return {
    ok: report.ok,
    healthScore: report.healthScore,
    deep: report.deep,
    checkedAt: report.checkedAt,
    durationMs: report.durationMs,
    runId: report.runId,
    masterFlows: report.masterFlows,
    tables: report.tables,
    checks: report.checks.length,
    failing: report.checks
      .filter((c) => c.count > 0)
      .map((c) => ({
        id: c.id,
        severity: c.severity,
        table: c.table,
        count: c.count,
        sampleIds: c.sampleIds.slice(0, LOGGED_SAMPLES),
      })),
  };
}
