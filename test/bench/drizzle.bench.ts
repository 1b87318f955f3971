/**
 * What Drizzle itself costs each step: the steps run under V8's sampling CPU profiler and every
 * sample whose nearest non-Node frame is in drizzle-orm (building a statement, mapping its rows)
 * is Drizzle's time. The server receives the same statements as before Drizzle
 * (test/hot-statements.test.ts), so that time is all Drizzle can add to a step, and
 * `ratio` = the step's time ÷ (its time − Drizzle's) bounds what Drizzle moves any benchmark
 * ratio of that step, measured in the same run. Wall-clock comparisons of before and after cannot
 * show 5 % on this machine (docs/architecture/data-access.md); this can.
 * Measured: a CMDB export dropped end to end through the local state machine (Map concurrency 1,
 * so the states' time windows do not overlap; four chunks), by Task state; the daily integrity
 * check and the backfill's dry run and --apply, each on its own benchmark's data and size.
 * Target: each ≤ 1.05×.
 *   npx tsx test/bench/drizzle.bench.ts [--rows 100000] [--integrity-rows 1000000] [--backfill-rows 1000000]
 */
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import postgres from 'postgres';
import { runBackfill } from '../../db/backfill/index.ts';
import { runIntegrityCheck } from '../../db/integrity/index.ts';
import { TASK_STATES } from '../../workflows/definition.ts';
import { ExecutionStore } from '../../workflows/local/execution-store.ts';
import { dropFile } from '../../workflows/local/pipeline.ts';
import { LocalWorkflow, type ProgressEvent } from '../../workflows/local/runner.ts';
import { createTenant } from '../support/fixtures.ts';
import { compact, orphans } from './backfill.bench.ts';
import { build as buildIntegrityData } from './integrity.bench.ts';
import { benchDatabase, isMain, withLocalStack } from './bench-db.ts';
import { ownerOf, profileClock, profiled, share as shareOf, type CpuShare } from './cpu-profile.ts';
import { writeExport } from './local-drop.bench.ts';
import { formatTable, type BenchRow } from './report.ts';

const MAX_RATIO = 1.05;
const DRIZZLE = 'drizzle-orm';
/** Drizzle's, and ours written for it (column lists, tenant filters, jsonb parameters): both exist only because of Drizzle. */
const owner = (url: string) => (url.endsWith('/db/queries/sql.ts') ? DRIZZLE : ownerOf(url));

const share = (profile: Parameters<typeof shareOf>[0], window?: { from: number; to: number }) => shareOf(profile, window, owner);

function row(name: string, rows: number, s: CpuShare, judged: boolean | undefined): BenchRow {
  const drizzle = s.byOwner[DRIZZLE] ?? 0;
  const ratio = s.seconds / (s.seconds - drizzle);
  const top = Object.entries(s.byOwner)
    .sort((a, b) => b[1] - a[1])
    .slice(0, 4)
    .map(([owner, seconds]) => `${owner} ${((100 * seconds) / s.seconds).toFixed(0)} %`)
    .join(', ');
  return {
    name,
    rows,
    seconds: s.seconds,
    reference: `without Drizzle's ${(1000 * drizzle).toFixed(0)} ms`,
    ratio,
    target: `≤ ${MAX_RATIO}×`,
    ok: judged ? ratio <= MAX_RATIO : undefined,
    note: `Node busy ${((100 * s.busy) / s.seconds).toFixed(0)} %; ${top}`,
  };
}

/** Per Task state, the windows from entering it to leaving it (Map iterations included), on the profile's clock. */
function stateWindows() {
  const entered = new Map<string, number>();
  const windows: Array<{ state: string; from: number; to: number }> = [];
  const tasks = new Set<string>(TASK_STATES);
  const onEvent = (e: ProgressEvent) => {
    if (!e.state || !tasks.has(e.state)) return;
    const key = `${e.state}#${e.index ?? ''}`;
    if (e.type === 'StateEntered') entered.set(key, profileClock());
    else if (e.type === 'StateExited' || e.type === 'StateFailed') windows.push({ state: e.state, from: entered.get(key)!, to: profileClock() });
  };
  return { windows, onEvent };
}

function sum(shares: CpuShare[]): CpuShare {
  const byOwner: Record<string, number> = {};
  for (const s of shares) for (const [o, v] of Object.entries(s.byOwner)) byOwner[o] = (byOwner[o] ?? 0) + v;
  return { byOwner, seconds: shares.reduce((n, s) => n + s.seconds, 0), busy: shares.reduce((n, s) => n + s.busy, 0) };
}

export interface DrizzleBenchOptions {
  /** Rows of the dropped export. */
  rows: number;
  /** Raw records of the integrity check's data (default: as its own benchmark, 1M). */
  integrityRows?: number;
  /** Raw records of the backfill's orphan imports (100 per import; default: as its own benchmark, 1M). */
  backfillRows?: number;
  smoke?: boolean;
}

/**
 * Steps whose own benchmark has no ratio: each is one or two statements, built for the first time
 * in the process (a Lambda's cold start), tens of milliseconds in all; they count in the whole drop.
 */
const UNJUDGED = new Set(['CreateMasterFlow', 'FinishLink', 'PlanDiscovery', 'FinishDiscovery', 'ValidateIntegrity']);

export async function run(opts: DrizzleBenchOptions): Promise<BenchRow[]> {
  const judged = !opts.smoke;
  return withLocalStack('drizzle', async ({ dir, db, s3 }) => {
    const out: BenchRow[] = [];
    const file = join(dir, 'cmdb-export.csv');
    await writeExport(file, opts.rows);
    const tenant = await createTenant(db.sql, `bench-drizzle-${process.pid}`);
    const { windows, onEvent } = stateWindows();
    const workflow = new LocalWorkflow({ store: new ExecutionStore(join(dir, 'executions')), onEvent });
    const { result: record, profile } = await profiled(async () => {
      const started = await dropFile({ db, s3 }, workflow, file, { ...tenant, clientName: '', engagementName: '' }, { chunkRows: Math.max(1000, Math.ceil(opts.rows / 4)), mapConcurrency: 1 });
      return workflow.wait(started.executionName);
    });
    if (record.status !== 'SUCCEEDED') throw new Error(`the execution ${record.name} ended ${record.status}: ${JSON.stringify(record.error)}`);
    const byState = new Map<string, CpuShare[]>();
    for (const w of windows) byState.set(w.state, [...(byState.get(w.state) ?? []), share(profile, w)]);
    for (const [state, shares] of byState) {
      out.push(row(`${state}${shares.length > 1 ? ` (${shares.length} invocations)` : ''}`, opts.rows, sum(shares), judged && !UNJUDGED.has(state)));
    }
    out.push(row('the whole drop', opts.rows, share(profile), judged));

    // the daily check on its own benchmark's data and session, where it takes tens of milliseconds
    const integrityDb = await benchDatabase('drizzle_integrity');
    const integritySql = postgres(integrityDb.url, { max: 4, onnotice: () => {}, connection: { work_mem: '64MB' } });
    try {
      const integrityRows = opts.integrityRows ?? 1_000_000;
      await buildIntegrityData(integritySql, integrityRows, 'realistic');
      await runIntegrityCheck(integritySql, { store: false });
      const integrity = await profiled(async () => {
        for (let i = 0; i < 20; i++) await runIntegrityCheck(integritySql, { store: false });
      });
      out.push(row('daily integrity check × 20', integrityRows, share(integrity.profile), judged));
    } finally {
      await integritySql.end();
      await integrityDb.close();
    }

    // the backfill's orphans in a database of their own, as its benchmark has them
    const orphanDb = await benchDatabase('drizzle_backfill');
    try {
      const imports = Math.max(1, Math.round((opts.backfillRows ?? 1_000_000) / 100));
      await orphans(orphanDb.sql, await createTenant(orphanDb.sql, 'bench'), imports);
      await compact(orphanDb.sql);
      const dryRun = await profiled(() => runBackfill(orphanDb.sql));
      out.push(row(`backfill dry run (${imports} orphan imports)`, imports * 100, share(dryRun.profile), judged));
      const apply = await profiled(() => runBackfill(orphanDb.sql, { apply: true }));
      if (!apply.result.applied) throw new Error('the backfill applied nothing');
      out.push(row('backfill --apply', imports * 100, share(apply.profile), judged));
    } finally {
      await orphanDb.close();
    }
    return out;
  });
}

if (isMain(import.meta.url)) {
  const { values } = parseArgs({ options: { rows: { type: 'string' }, 'integrity-rows': { type: 'string' }, 'backfill-rows': { type: 'string' } } });
  const count = (v: string | undefined) => (v ? Number(v) : undefined);
  const results = await run({ rows: Number(values.rows ?? 100_000), integrityRows: count(values['integrity-rows']), backfillRows: count(values['backfill-rows']) });
  console.log(formatTable(results));
  for (const r of results) console.log(`${r.name}: ${r.note}`);
  process.exit(results.every((r) => r.ok !== false) ? 0 : 1);
}
