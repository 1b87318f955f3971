import { asc, desc, sql } from 'drizzle-orm';
import { orm, unwrapped, type Sql, type Tx } from '../client.ts';
import { integrityRuns } from '../schema/index.ts';
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
export async function storeRun(db: Tx, report: IntegrityReport): Promise<string> {
  const criticalCount = report.checks.filter((c) => c.severity === 'critical').reduce((sum, c) => sum + c.count, 0);
  const summary = { deep: report.deep, tables: report.tables, checks: report.checks.map(({ description: _d, ...c }) => c) };
  const [row] = await db
    .insert(integrityRuns)
    .values({
      checkedAt: new Date(report.checkedAt),
      scope: { ...report.scope },
      ok: report.ok,
      healthScore: report.healthScore,
      criticalCount,
      durationMs: Math.round(report.durationMs),
      summary,
    })
    .returning({ id: integrityRuns.id });
  return row!.id;
}

/** The latest runs, newest first. */
export async function integrityHistory(client: Sql | Tx, options: { limit?: number } = {}): Promise<IntegrityRun[]> {
  const r = integrityRuns;
  const rows = await unwrapped(
    orm(client)
      .select({
        id: r.id,
        checkedAt: r.checkedAt,
        scope: r.scope,
        ok: r.ok,
        healthScore: r.healthScore,
        criticalCount: r.criticalCount,
        durationMs: r.durationMs,
        failing: sql<IntegrityRun['failing'] | null>`(
        select json_agg(json_build_object('id', c->>'id', 'severity', c->>'severity', 'count', (c->>'count')::bigint))
        from jsonb_array_elements(${r.summary}->'checks') c where (c->>'count')::bigint > 0)`,
      })
      .from(r)
      .orderBy(desc(r.checkedAt), asc(r.id))
      .limit(options.limit ?? 20),
  );
  return rows.map((row) => ({ ...row, checkedAt: row.checkedAt.toISOString(), failing: row.failing ?? [] }));
}
