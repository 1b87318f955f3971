import type { Sql } from '../client.ts';
import type { IntegrityReport } from './types.ts';

export interface IntegrityRun {
  id: string;
  checkedAt: string;
  scope: Record<string, unknown>;
  ok: boolean;
  healthScore: number;
  criticalCount: number;
  durationMs: number;
  /** The failing checks of the run: id, severity, count. */
  failing: { id: string; severity: string; count: number }[];
}

/**
 * Records one run in integrity_runs. The summary keeps the per-table counts and every check with its
 * count and samples, so an old run can be read back in full.
 */
export async function storeRun(sql: Sql, report: IntegrityReport): Promise<string> {
  const criticalCount = report.checks.filter((c) => c.severity === 'critical').reduce((sum, c) => sum + c.count, 0);
  const summary = { deep: report.deep, tables: report.tables, checks: report.checks.map(({ description: _d, ...c }) => c) };
  // ::text::jsonb: correct on a Drizzle-wrapped client and on a plain postgres.js client alike
  const [row] = await sql<{ id: string }[]>`
    insert into integrity_runs (checked_at, scope, ok, health_score, critical_count, duration_ms, summary)
    values (${report.checkedAt}, ${JSON.stringify(report.scope)}::text::jsonb, ${report.ok}, ${report.healthScore},
            ${criticalCount}, ${Math.round(report.durationMs)}, ${JSON.stringify(summary)}::text::jsonb)
    returning id`;
  return row!.id;
}

/** The latest runs, newest first. */
export async function integrityHistory(sql: Sql, options: { limit?: number } = {}): Promise<IntegrityRun[]> {
  const rows = await sql<{
    id: string; checked_at: string | Date; scope: Record<string, unknown>; ok: boolean; health_score: number;
    critical_count: number; duration_ms: number; failing: IntegrityRun['failing'] | null;
  }[]>`
    select r.id, r.checked_at, r.scope, r.ok, r.health_score, r.critical_count, r.duration_ms,
      (select json_agg(json_build_object('id', c->>'id', 'severity', c->>'severity', 'count', (c->>'count')::bigint))
       from jsonb_array_elements(r.summary->'checks') c where (c->>'count')::bigint > 0) as failing
    from integrity_runs r order by r.checked_at desc, r.id limit ${options.limit ?? 20}`;
  return rows.map((r) => ({
    id: r.id,
    checkedAt: new Date(r.checked_at).toISOString(),
    scope: r.scope,
    ok: r.ok,
    healthScore: r.health_score,
    criticalCount: r.critical_count,
    durationMs: r.duration_ms,
    failing: r.failing ?? [],
  }));
}
