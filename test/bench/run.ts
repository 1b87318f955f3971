/**
 * `npm run bench [-- --smoke] [--only name,name] [--max-rows N]`: runs every benchmark of test/bench against one
 * PostgreSQL (DATABASE_URL, or an embedded server in a temporary folder), prints one table
 * (rows, seconds, rows/s, peak RSS, ratio to the reference measured in the same run) and writes
 * it as JSON to test/bench/results/<timestamp>.json, with the machine and its load average (the
 * figures are only comparable at a similar load). Exit 0; 1 when a judged target was missed; 2 when a
 * benchmark could not run. With --smoke, targets that depend on size are not judged.
 * Each measurement runs in a process of its own (this script with --child), so a peak RSS or a
 * heap is that benchmark's alone, not what the ones before it left behind. --max-rows skips the
 * sizes above N (the 10M integrity run spends 15 minutes seeding on a 2-vCPU machine).
 * --repeat N measures each suite N times (each a process of its own, its data seeded afresh) and
 * prints the median run of each row with the range of its ratio: one run of this 2-vCPU machine
 * differs from the next by more than 5 %, the median of three by much less.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { freePort, startLocalPostgres } from '../../db/local-postgres.ts';
import { formatTable, medianRows, type BenchRow } from './report.ts';

// A step's core called outside its handler gets a 60 s budget (statement_timeout 45 s); the
// benchmarks call the cores with their Lambda's: StoreImport's and StartDiscovery's 15 minutes.
process.env.FLOWLINK_STEP_BUDGET_MS ??= String(15 * 60_000);

interface Suite {
  name: string;
  module: string;
  full: Record<string, unknown>[];
  smoke: Record<string, unknown>[];
  /** Its targets mean something at smoke sizes too (elsewhere smoke sizes measure start-up: not judged). */
  judgedInSmoke?: boolean;
}

const SUITES: Suite[] = [
  { name: 'store-import', module: './store-import.bench.ts', full: [{ rows: 100_000 }, { rows: 1_000_000 }], smoke: [{ rows: 10_000 }] },
  { name: 'link-records', module: './link-records.bench.ts', full: [{ rows: 1_000_000 }], smoke: [{ rows: 20_000 }] },
  { name: 'integrity', module: './integrity.bench.ts', full: [{ rows: 1_000_000 }, { rows: 1_000_000, shape: 'thin' }, { rows: 10_000_000 }], smoke: [{ rows: 50_000 }] },
  { name: 'backfill', module: './backfill.bench.ts', full: [{ rows: 1_000_000 }], smoke: [{ rows: 20_000 }] },
  { name: 'discovery', module: './discovery.bench.ts', full: [{ rows: 100_000 }], smoke: [{ rows: 5_000 }] },
  { name: 'local-drop', module: './local-drop.bench.ts', full: [{ rows: 10_000 }], smoke: [{ rows: 2_000 }] },
  { name: 'prepare', module: './prepare.bench.ts', full: [{ rows: 100_000 }], smoke: [{ rows: 2_000, validations: 20 }] },
  { name: 'large-drop', module: './large-drop.bench.ts', full: [{ rows: 1_000_000, double: true, judged: true }], smoke: [{ rows: 5_000, chunkRows: 2_000, double: true }] },
  {
    name: 'drizzle',
    module: './drizzle.bench.ts',
    full: [{ rows: 100_000, integrityRows: 1_000_000, backfillRows: 1_000_000 }],
    smoke: [{ rows: 5_000, integrityRows: 50_000, backfillRows: 20_000 }],
  },
  { name: 'inventory', module: './inventory.bench.ts', full: [{ rows: 100_000, items: 1_000_000, chunkRows: 50_000 }], smoke: [{ rows: 2_000, items: 20_000, chunkRows: 1_000 }] },
  { name: 'row-security', module: './row-security.bench.ts', full: [{ rows: 200_000 }], smoke: [{ rows: 5_000 }] },
  { name: 'bundle-size', module: './bundle-size.bench.ts', full: [{}], smoke: [{}], judgedInSmoke: true },
];

const { values } = parseArgs({
  options: { smoke: { type: 'boolean' }, only: { type: 'string' }, 'max-rows': { type: 'string' }, repeat: { type: 'string' }, child: { type: 'string' }, out: { type: 'string' } },
});

if (values.child) {
  // one measurement: --child <module> with its options as JSON in BENCH_OPTS; rows written to --out
  const mod = (await import(values.child)) as { run(opts: Record<string, unknown>): Promise<BenchRow[]> };
  writeFileSync(values.out!, JSON.stringify(await mod.run(JSON.parse(process.env.BENCH_OPTS ?? '{}'))));
  process.exit(0);
}

/** Runs one suite's `run(opts)` in a child process (same loader flags, same DATABASE_URL); its rows. */
async function runInChild(module: string, opts: Record<string, unknown>, dir: string): Promise<BenchRow[]> {
  const out = join(dir, 'rows.json');
  rmSync(out, { force: true });
  const child = spawn(process.execPath, [...process.execArgv, import.meta.filename, '--child', module, '--out', out], {
    stdio: 'inherit',
    env: { ...process.env, BENCH_OPTS: JSON.stringify(opts) },
  });
  const [code, signal] = (await once(child, 'exit')) as [number | null, string | null];
  if (code !== 0) throw new Error(`the benchmark process ended with ${signal ?? `exit code ${code}`}`);
  return JSON.parse(readFileSync(out, 'utf8')) as BenchRow[];
}
const only = values.only?.split(',');
const suites = SUITES.filter((s) => !only || only.includes(s.name));
const maxRows = values['max-rows'] === undefined ? Infinity : Number(values['max-rows']);
if (!(maxRows > 0)) throw new Error(`--max-rows: a positive number of rows, not ${JSON.stringify(values['max-rows'])}`);
const repeat = Number(values.repeat ?? 1);
if (!Number.isInteger(repeat) || repeat < 1) throw new Error(`--repeat: a whole number of runs ≥ 1, not ${JSON.stringify(values.repeat)}`);

let stop = async () => {};
if (!process.env.DATABASE_URL) {
  const dir = mkdtempSync(join(tmpdir(), 'flowlink-bench-pg-'));
  chmodSync(dir, 0o755);
  const server = await startLocalPostgres({ dataDir: join(dir, 'data'), port: await freePort(), persistent: false });
  process.env.DATABASE_URL = server.url;
  stop = async () => {
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  };
}

const loadAtStart = loadavg();
const childDir = mkdtempSync(join(tmpdir(), 'flowlink-bench-run-'));
const results: BenchRow[] = [];
let failed = false;
try {
  for (const suite of suites) {
    for (const opts of values.smoke ? suite.smoke : suite.full) {
      if (Number(opts.rows ?? 0) > maxRows) continue;
      console.error(`… ${suite.name} ${JSON.stringify(opts)}`);
      try {
        const runs: BenchRow[][] = [];
        // `run` lets a suite alternate the order of its measurements from one run to the next
        for (let run = 0; run < repeat; run++) runs.push(await runInChild(suite.module, { ...opts, run, smoke: Boolean(values.smoke) }, childDir));
        for (const row of medianRows(runs)) {
          if (values.smoke && !suite.judgedInSmoke && row.ok !== undefined) row.ok = undefined;
          results.push({ suite: suite.name, ...row });
        }
      } catch (err) {
        failed = true;
        console.error(`${suite.name} failed: ${(err as Error).stack ?? err}`);
        results.push({ suite: suite.name, name: 'FAILED', note: (err as Error).message });
      }
    }
  }
} finally {
  rmSync(childDir, { recursive: true, force: true });
  await stop();
}

const load = (l: number[]) => l.map((v) => v.toFixed(2)).join(' ');
const machine =
  `${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}; ` + `load average ${load(loadAtStart)} at start, ${load(loadavg())} at end`;
console.log(formatTable(results));
for (const r of results) if (r.note) console.log(`${r.suite} · ${r.name}: ${r.note}`);
console.log(`machine: ${machine}${values.smoke ? ' (smoke sizes: only size-independent targets judged)' : ''}`);
const outDir = resolve(import.meta.dirname, 'results');
mkdirSync(outDir, { recursive: true });
const file = join(outDir, `${new Date().toISOString().replace(/[:.]/g, '-')}${values.smoke ? '-smoke' : ''}.json`);
writeFileSync(file, JSON.stringify({ machine, smoke: Boolean(values.smoke), results }, null, 2));
console.log(`written to ${file}`);
// 2: a benchmark could not run; 1: a judged target was missed
process.exit(failed ? 2 : results.some((r) => r.ok === false) ? 1 : 0);
