/**
 * A local drop end to end, as `flowlink run` does it: a realistic CMDB export (the bundled sample's
 * 14 free-form columns: units in cells, thousands separators, two IPs in a cell, blanks, non-ASCII)
 * uploaded to s3rver through @aws-sdk/client-s3, the S3 event handed to the trigger core, the import
 * workflow run by the local Step Functions (the deployed ASL) with every step's Lambda handler
 * in-process, until the execution has succeeded.
 * Timed after the database is up and migrated, s3rver started and the tenant created; the first
 * drop includes loading the step handlers and their first connection (what `flowlink run` pays),
 * the second drop (another file, another tenant) is the warm figure. Per-state durations come from
 * the execution's own events.
 * Target: the first drop of 10 000 rows in at most 5 s.
 *   npx tsx test/bench/local-drop.bench.ts [--rows 10000]     (default 10000, or BENCH_ROWS)
 */
import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { ExecutionStore } from '../../workflows/local/execution-store.ts';
import { dropFile } from '../../workflows/local/pipeline.ts';
import { LocalWorkflow, type ProgressEvent } from '../../workflows/local/runner.ts';
import { createTenant } from '../support/fixtures.ts';
import { isMain, timed, withLocalStack } from './bench-db.ts';
import { formatTable, type BenchRow } from './report.ts';

const TARGET_SECONDS = 5;

const HEADERS = [
  'Hostname',
  'IP Address',
  'Operating System',
  'OS Version',
  'vCPU',
  'RAM (GB)',
  'Disk (GB)',
  'Environment',
  'Application',
  'Business Owner',
  'Data Center',
  'Power State',
  'Asset Type',
  'Notes',
];
const OS = [
  ['Red Hat Enterprise Linux', '8.9'],
  ['Windows Server', '2019 Standard'],
  ['Ubuntu 22.04 LTS', ''],
  ['SUSE Linux Enterprise Server', '15 SP4'],
  ['Microsoft Windows Server 2019 Datacenter (64-bit)', ''],
  ['Oracle Linux', '7.9'],
];
const ENVS = ['Production', 'PRD', 'prod', 'Test', 'QA', 'UAT', 'Dev'];
const APPS = [
  ['Customer Portal', 'Jane Ortiz'],
  ['Billing', 'Marc Dubois'],
  ['SAP ERP', 'Anna Keller'],
  ['HR Portal', 'Jürgen Groß'],
  ['Monitoring', 'Platform Team'],
];
const TYPES = ['Server', 'Server', 'Server', 'Database', 'Network'];

/** Row i of the export, as the strings the CSV holds. */
function exportRow(i: number): string[] {
  const [os, osVersion] = OS[i % OS.length]!;
  const [app, owner] = APPS[(i >> 3) % APPS.length]!;
  const ip = `10.${20 + (i % 4)}.${(i >> 8) & 255}.${i & 255}`;
  const disk = 80 * (1 + (i % 60));
  return [
    i % 3 === 0 ? `srv-${i}.corp.example.com` : i % 97 === 0 ? `münchen-${i}` : `srv-${i}`,
    i % 11 === 0 ? `${ip}, 10.99.${(i >> 8) & 255}.${i & 255}` : ip,
    os,
    osVersion,
    String(2 ** (i % 5)),
    i % 13 === 0 ? `${4 * (1 + (i % 16))} GB` : String(4 * (1 + (i % 16))),
    i % 17 === 0 ? `${1 + (i % 4)} TB` : disk.toLocaleString('en-US'),
    ENVS[i % ENVS.length]!,
    app,
    owner,
    ['FRA-DC1', 'AMS-DC2', 'MUC-DC3'][i % 3]!,
    i % 10 === 0 ? 'poweredOff' : i % 43 === 0 ? '' : 'poweredOn',
    TYPES[i % TYPES.length]!,
    i % 20 === 0 ? 'end of support: plan first' : i % 29 === 0 ? 'Décommission prévue Q3 – "Zürich"' : '',
  ];
}

const csvField = (v: string) => (/[",\r\n]/.test(v) ? `"${v.replaceAll('"', '""')}"` : v);

/** Writes the export of `rows` rows to `path`. */
export async function writeExport(path: string, rows: number): Promise<void> {
  const out = createWriteStream(path);
  out.write(`${HEADERS.join(',')}\r\n`);
  for (let start = 1; start <= rows; start += 1000) {
    let chunk = '';
    for (let i = start; i < Math.min(start + 1000, rows + 1); i++) chunk += `${exportRow(i).map(csvField).join(',')}\r\n`;
    if (!out.write(chunk)) await once(out, 'drain');
  }
  out.end();
  await once(out, 'finish');
}

/** Runs the benchmark on its own migrated database; returns one row per drop. */
export async function run(opts: { rows: number }): Promise<BenchRow[]> {
  return withLocalStack('local-drop', async ({ dir, db, s3 }) => {
    const out: BenchRow[] = [];
    const store = new ExecutionStore(join(dir, 'executions'));
    for (const [n, name] of ['local drop (first: loads the handlers)', 'local drop (second file, warm)'].entries()) {
      const file = join(dir, `cmdb-export-${n + 1}.csv`);
      await writeExport(file, opts.rows);
      const tenant = await createTenant(db.sql, `bench-drop-${process.pid}-${n}`);
      const states: Record<string, number> = {};
      const onEvent = (e: ProgressEvent) => {
        if (e.type === 'StateExited' && e.state && e.durationMs !== undefined) states[e.state] = e.durationMs;
      };
      const workflow = new LocalWorkflow({ store, onEvent });
      const { seconds, result: record } = await timed(async () => {
        const started = await dropFile({ db, s3 }, workflow, file, { ...tenant, clientName: '', engagementName: '' });
        return workflow.wait(started.executionName);
      });
      if (record.status !== 'SUCCEEDED') throw new Error(`the execution ${record.name} ended ${record.status}: ${JSON.stringify(record.error)}`);
      const stored = (record.output as { import?: { rowCount?: number } }).import?.rowCount;
      if (stored !== opts.rows) throw new Error(`${stored} rows stored, expected ${opts.rows}`);
      const inStates = Object.values(states).reduce((a, b) => a + b, 0);
      out.push({
        name,
        rows: opts.rows,
        seconds,
        rowsPerSecond: opts.rows / seconds,
        target: n === 0 ? `≤ ${TARGET_SECONDS} s` : undefined,
        ok: n === 0 ? seconds <= TARGET_SECONDS : undefined,
        states,
        note: `${Object.entries(states)
          .map(([s, ms]) => `${s} ${ms} ms`)
          .join(', ')}; upload+trigger+runner ${Math.round(seconds * 1000 - inStates)} ms`,
      });
    }
    return out;
  });
}

if (isMain(import.meta.url)) {
  const { values } = parseArgs({ options: { rows: { type: 'string' } } });
  const rows = Number(values.rows ?? process.env.BENCH_ROWS ?? 10_000);
  const results = await run({ rows });
  console.log(formatTable(results));
  for (const r of results) console.log(`${r.name}: ${r.note}`);
  process.exit(results.every((r) => r.ok !== false) ? 0 : 1);
}
