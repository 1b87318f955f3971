import type { Command } from 'commander';
import { integrityHistory, IntegrityScopeError, runIntegrityCheckAsOperator, type IntegrityReport, type IntegrityRun } from '../../db/integrity/index.ts';
import { isUuid } from '../../workflows/contracts.ts';
import { withDatabase } from '../context.ts';
import { EXIT, UsageError } from '../exit.ts';

interface IntegrityCliOptions {
  json?: boolean;
  client?: string;
  engagement?: string;
  flow?: string;
  staleMinutes?: string;
  store: boolean;
  deep?: boolean;
}

const SHOWN_SAMPLES = 10;

export function registerIntegrity(program: Command) {
  const integrity = program
    .command('integrity')
    .description('prove that no row hangs outside its master flow (exit 0 clean, 1 violations, 2 could not run)')
    .option('--json', 'machine-readable report')
    .option('--client <id>', 'only rows of this client account (data checks)')
    .option('--engagement <id>', 'only rows of this engagement (data checks)')
    .option('--flow <flow_id>', 'only rows of this master flow (data checks)')
    .option('--stale-minutes <n>', 'a flow running longer than this is stuck (default 120)')
    .option('--no-store', 'do not record the run in integrity_runs')
    .option('--deep', 'read every row, trusting no constraint (also finds rows written while a key was not enforced)')
    .action(async (opts: IntegrityCliOptions) => {
      const staleRunningAfterMinutes = opts.staleMinutes === undefined ? undefined : Number(opts.staleMinutes);
      if (staleRunningAfterMinutes !== undefined && !(staleRunningAfterMinutes >= 0)) {
        throw new UsageError(`--stale-minutes must be a number of minutes ≥ 0, got "${opts.staleMinutes}"`);
      }
      const options = { flowId: opts.flow, clientAccountId: opts.client, engagementId: opts.engagement, staleRunningAfterMinutes, store: opts.store, deep: opts.deep };
      // validate the scope before starting a database
      for (const [flag, value] of [
        ['--flow', opts.flow],
        ['--client', opts.client],
        ['--engagement', opts.engagement],
      ] as const) {
        if (value !== undefined && !isUuid(value)) {
          throw new UsageError(`${flag} must be a uuid, got "${value}"`);
        }
      }
      const report = await withDatabase(({ sql }) => runIntegrityCheckAsOperator(sql, options)).catch((err: unknown) => {
        throw err instanceof IntegrityScopeError ? new UsageError(err.message) : err;
      });
      console.log(opts.json ? JSON.stringify(report, null, 2) : formatReport(report));
      if (!report.ok) process.exitCode = EXIT.checkFailed;
    });

  integrity
    .command('history')
    .description('the stored integrity runs, newest first')
    .option('--json', 'machine-readable output')
    .option('--limit <n>', 'how many runs', '20')
    .action(async (_opts: unknown, command: Command) => {
      // --json is also an option of `integrity` itself, which commander hands to the parent
      const opts = command.optsWithGlobals<{ json?: boolean; limit: string }>();
      const limit = Number(opts.limit);
      if (!Number.isInteger(limit) || limit < 1) throw new UsageError(`--limit must be a positive integer, got "${opts.limit}"`);
      const runs = await withDatabase(({ sql }) => integrityHistory(sql, { limit }));
      console.log(opts.json ? JSON.stringify(runs, null, 2) : formatHistory(runs));
    });
}

/** The human-readable report: per-table counts, failing checks with sample ids, the score. */
export function formatReport(report: IntegrityReport): string {
  const scope = Object.entries(report.scope)
    .filter(([k, v]) => v !== null && k !== 'staleRunningAfterMinutes')
    .map(([k, v]) => `${k}=${v}`);
  const lines = [`integrity of ${scope.length ? scope.join(' ') : 'the whole database'} at ${report.checkedAt} (${report.durationMs} ms)`, ''];
  const header = ['table', 'rows', 'null', 'dangling', 'inconsistent', 'cross-tenant'];
  const rows = Object.entries(report.tables).map(([name, t]) => [name, t.rowsEstimated ? `~${t.rows}` : t.rows, t.nullMasterFlowId, t.danglingMasterFlowId, t.inconsistent, t.crossTenant].map(String));
  rows.push(['(master flows)', String(report.masterFlows), '', '', '', '']);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!)))
      .join('  ')
      .trimEnd();
  lines.push(line(header), ...rows.map(line), '');
  const failing = report.checks.filter((c) => c.count > 0);
  const proven = report.checks.filter((c) => c.provenBy).length;
  if (!failing.length) lines.push(`all ${report.checks.length} checks pass`);
  lines.push(
    report.deep ? 'deep check: every row read, no constraint trusted' : `${proven} checks proven by foreign keys in force (validated, enforced; --json names them); --deep reads every row instead`,
  );
  if (Object.values(report.tables).some((t) => t.rowsEstimated)) lines.push("~ rows: the planner's estimate (no check had to read that table row by row)");
  for (const c of failing) {
    const more = c.count > Math.min(c.sampleIds.length, SHOWN_SAMPLES) ? ` … (${c.count - Math.min(c.sampleIds.length, SHOWN_SAMPLES)} more)` : '';
    lines.push(`${c.severity.toUpperCase().padEnd(8)} ${c.id}: ${c.count}: ${c.description}`);
    if (c.sampleIds.length) lines.push(`         ${c.sampleIds.slice(0, SHOWN_SAMPLES).join(', ')}${more}`);
  }
  lines.push('', `health score ${report.healthScore} / 100: ${report.ok ? 'ok' : 'violations found'}${report.runId ? ` (run ${report.runId})` : ''}`);
  return lines.join('\n');
}

function formatHistory(runs: IntegrityRun[]): string {
  if (!runs.length) return 'no integrity run stored yet: run `flowlink integrity`';
  return runs
    .map((r) => {
      const scope =
        Object.entries(r.scope)
          .filter(([k, v]) => v !== null && k !== 'staleRunningAfterMinutes')
          .map(([k, v]) => `${k}=${v}`)
          .join(' ') || 'all';
      const failing = r.failing.map((f) => `${f.id}=${f.count}`).join(' ');
      return `${r.checkedAt}  ${r.ok ? 'ok  ' : 'FAIL'}  ${String(r.healthScore).padStart(5)}  ${String(r.durationMs).padStart(6)} ms  ${scope}${failing ? `  ${failing}` : ''}`;
    })
    .join('\n');
}
