/**
 * Discovery (field mapping, normalisation, asset upsert) over N raw records shaped like an RVTools
 * vInfo export (30 columns, thousands separators, templates, powered-off VMs, non-ASCII notes),
 * generated in the database. Measures rows/s and the process's peak RSS during the run (sampled),
 * for a first run and for a re-run over the same flow (every asset updated in place).
 * Target: peak RSS at most 384 MB whatever N: pages of 5 000 rows keep memory flat (what grows with N
 * is V8's heap sizing, which levels off; the process starts near 150 MB).
 *   npx tsx test/bench/discovery.bench.ts [--rows 100000]     (default 10000, or BENCH_ROWS)
 */
import { createReadStream, createWriteStream, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { from as copyFrom, to as copyTo } from 'pg-copy-streams';
import { jsonb, orm, type Sql } from '../../db/client.ts';
import { discoverRows } from '../../functions/start-discovery/discover-rows.ts';
import { finishDiscoveryPhases, planDiscoveryPhases, type DiscoverySummary } from '../../functions/start-discovery/discover.ts';
import { markSkipped, removeSkippedAssets, upsertAssets, type AssetRow } from '../../functions/start-discovery/write-discovery.ts';
import { parseRawData } from '../../functions/_shared/inventory/raw-data.ts';
import { compilePlan, toAsset } from '../../functions/_shared/inventory/to-asset.ts';
import type { MappingPlan } from '../../functions/_shared/inventory/types.ts';
import { createMasterFlow, createTenant } from '../support/fixtures.ts';
import { benchDatabase, isMain, timed } from './bench-db.ts';
import { formatTable, type BenchRow } from './report.ts';

const MAX_RSS_MB = 384;
/** Discovery per chunk at least twice as fast as before (issue 16), on the same data in the same run. */
const SPEEDUP_TARGET = 2;

const HEADERS = [
  'VM',
  'Powerstate',
  'Template',
  'DNS Name',
  'Connection state',
  'Guest state',
  'Creation date',
  'CPUs',
  'Memory',
  'NICs',
  'Disks',
  'Total disk capacity MiB',
  'Provisioned MiB',
  'In Use MiB',
  'Primary IP Address',
  'Network #1',
  'Annotation',
  'Datacenter',
  'Cluster',
  'Host',
  'OS according to the configuration file',
  'OS according to the VMware Tools',
  'VM ID',
  'VM UUID',
  'VI SDK Server',
  'Folder',
  'Resource pool',
  'Heartbeat',
  'Config status',
  'Owner (custom)',
];

/** Samples the process RSS while `work` runs; returns its peak in MB. */
async function withPeakRss<T>(work: () => Promise<T>): Promise<{ result: T; peakRssMb: number }> {
  let peak = process.memoryUsage().rss;
  const timer = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().rss);
  }, 20);
  try {
    const result = await work();
    peak = Math.max(peak, process.memoryUsage().rss);
    return { result, peakRssMb: Math.round(peak / 2 ** 20) };
  } finally {
    clearInterval(timer);
  }
}

let seeded = 0;

export async function seed(sql: Sql, rows: number) {
  const tenant = await createTenant(sql, `bench-discovery-${process.pid}-${++seeded}`);
  const flowId = await createMasterFlow(sql, tenant);
  const [imp] = await sql<{ id: string }[]>`
    insert into data_imports (client_account_id, engagement_id, master_flow_id, import_name, filename, status, import_config, total_records)
    values (${tenant.clientAccountId}, ${tenant.engagementId}, ${flowId}, 'bench', 'RVTools_export_all.csv', 'stored',
            ${jsonb({ format: 'csv', headers: HEADERS })}::text::jsonb, ${rows})
    returning id`;
  await sql`
    insert into raw_import_records (data_import_id, client_account_id, engagement_id, master_flow_id, row_number, raw_data)
    select ${imp!.id}, ${tenant.clientAccountId}, ${tenant.engagementId}, ${flowId}, g, jsonb_build_object(
      'VM', 'vm-' || lpad(g::text, 7, '0'),
      'Powerstate', case when g % 10 = 0 then 'poweredOff' else 'poweredOn' end,
      'Template', case when g % 500 = 0 then 'True' else 'False' end,
      'DNS Name', case when g % 10 = 0 then '' else 'vm-' || lpad(g::text, 7, '0') || '.corp.example.com' end,
      'Connection state', 'connected', 'Guest state', 'running', 'Creation date', '2023/01/01 10:00:00',
      'CPUs', (1 << (g % 4))::text,
      'Memory', to_char(((g % 8) + 1) * 4096, 'FM999,999'),
      'NICs', '1', 'Disks', ((g % 3) + 1)::text,
      'Total disk capacity MiB', to_char(((g % 20) + 1) * 10240, 'FM9,999,999'),
      'Provisioned MiB', to_char(((g % 20) + 1) * 10240, 'FM9,999,999'),
      'In Use MiB', ((g % 20) * 5120)::text,
      'Primary IP Address', case when g % 25 = 0 then '' else '10.' || ((g >> 16) & 255) || '.' || ((g >> 8) & 255) || '.' || (g & 255)
        || case when g % 9 = 0 then ', fe80::' || to_hex(g) else '' end end,
      'Network #1', 'PG-' || (g % 5),
      'Annotation', case when g % 7 = 0 then 'Zürich – Migration Q3' else '' end,
      'Datacenter', 'DC-' || (g % 3), 'Cluster', 'CL-' || (g % 12), 'Host', 'esx' || (g % 40) || '.corp.example.com',
      'OS according to the configuration file', (array['Microsoft Windows Server 2019 (64-bit)', 'Red Hat Enterprise Linux 8 (64-bit)',
        'Ubuntu Linux (64-bit)', 'CentOS 7 (64-bit)'])[(g % 4) + 1],
      'OS according to the VMware Tools', case when g % 10 = 0 then '' else (array['Microsoft Windows Server 2019 (64-bit)',
        'Red Hat Enterprise Linux 8.6 (64-bit)', 'Ubuntu 22.04.3 LTS', 'CentOS 7 (64-bit)'])[(g % 4) + 1] end,
      'VM ID', 'vm-' || g, 'VM UUID', md5(g::text), 'VI SDK Server', 'vcenter01.corp.example.com', 'Folder', 'Production/Tier' || (g % 3),
      'Resource pool', 'Resources', 'Heartbeat', 'green', 'Config status', 'green', 'Owner (custom)', 'team-' || (g % 17))
    from generate_series(1, ${rows}::int) g`;
  await sql`update data_imports set status = 'linked' where id = ${imp!.id}`;
  const [df] = await sql<{ id: string }[]>`
    insert into discovery_flows (client_account_id, engagement_id, master_flow_id, data_import_id, flow_name, status)
    values (${tenant.clientAccountId}, ${tenant.engagementId}, ${flowId}, ${imp!.id}, 'bench discovery', 'running') returning id`;
  return { ...tenant, dataImportId: imp!.id, flowId, discoveryFlowId: df!.id };
}

/**
 * The reference, measured in the same run on a copy of the same data: discovery of the rows as it
 * was before the chunk work was made faster (docs/performance.md): one page at a time (read,
 * normalise, then write), every page written by the JSON upsert.
 */
async function serialPages(tx: Sql, input: Awaited<ReturnType<typeof seed>>, rows: number, batchSize = 5000): Promise<number> {
  const [flow] = await tx<{ plan: MappingPlan }[]>`
    select crew_outputs -> 'field_mapping' -> 'plan' as plan from discovery_flows where id = ${input.discoveryFlowId}`;
  const compiled = compilePlan(flow!.plan);
  let written = 0;
  for (let from = 0; from < rows; from += batchSize) {
    const page = await tx<{ id: string; raw_data: string }[]>`
      select id, raw_data::text as raw_data from raw_import_records
      where data_import_id = ${input.dataImportId} and row_number > ${from} and row_number <= ${from + batchSize}
        and master_flow_id = ${input.flowId} and client_account_id = ${input.clientAccountId} and engagement_id = ${input.engagementId}
      order by row_number`;
    const assets: AssetRow[] = [];
    const skips: Array<{ id: string; reason: string; code: string }> = [];
    for (const r of page) {
      const out = toAsset(compiled, parseRawData(r.raw_data));
      if (out.kind === 'skipped') skips.push({ id: r.id, reason: out.reason, code: out.code });
      else assets.push({ raw_import_record_id: r.id, ...out.asset });
    }
    written += await upsertAssets(orm(tx), input, assets, { filename: 'RVTools_export_all.csv', sourceSystem: flow!.plan.sourceSystem });
    await markSkipped(orm(tx), input, skips, { fromRow: from + 1, toRow: from + batchSize });
    await removeSkippedAssets(orm(tx), input, skips);
  }
  return written;
}

/**
 * `work` in a transaction, with the CPU time it took on each side: this process (Node) and the
 * server process of its connection (read from /proc, so only for a server on this machine).
 */
async function withCpu<T>(sql: Sql, work: (tx: Sql) => Promise<T>): Promise<{ result: T; nodeMs: number; serverMs: number | null }> {
  return sql.begin(async (tx) => {
    const [{ pid }] = await tx<{ pid: number }[]>`select pg_backend_pid() as pid`;
    const serverTicks = () => {
      try {
        const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
        return (Number(fields[11]) + Number(fields[12])) * 10; // utime + stime, in ticks of 10 ms
      } catch {
        return null;
      }
    };
    const server0 = serverTicks();
    const node0 = process.cpuUsage();
    const result = await work(tx as unknown as Sql);
    const node = process.cpuUsage(node0);
    const server1 = serverTicks();
    return { result, nodeMs: (node.user + node.system) / 1000, serverMs: server0 === null || server1 === null ? null : server1 - server0 };
  }) as Promise<{ result: T; nodeMs: number; serverMs: number | null }>;
}

const cpuNote = (c: { nodeMs: number; serverMs: number | null }, rows: number) =>
  `Node ${Math.round((c.nodeMs * 1000) / rows)} µs, PostgreSQL ${c.serverMs === null ? '?' : Math.round((c.serverMs * 1000) / rows)} µs`;

/**
 * The floor of a chunk, in the same run: the server alone doing what discovery asks of it, with no
 * Node work between: reading the range's raw records as text, COPYing the chunk's finished assets
 * (exported first, untimed, then removed) back into the assets table with its keys and indexes,
 * and committing (the deferred key checks). No discovery on one connection can be faster, so
 * reference ÷ floor is the highest ratio within reach here.
 */
async function serverFloor(url: string, input: Awaited<ReturnType<typeof seed>>): Promise<number> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  const dir = mkdtempSync(join(tmpdir(), 'flowlink-bench-discovery-'));
  const file = join(dir, 'assets.copy');
  try {
    const ofFlow = `from assets where discovery_flow_id = '${input.discoveryFlowId}'`;
    await pipeline(client.query(copyTo(`copy (select * ${ofFlow}) to stdout`)), createWriteStream(file));
    await client.query(`delete ${ofFlow}`);
    await client.query('vacuum assets');
    const { seconds } = await timed(async () => {
      await client.query('begin');
      await client.query('select sum(length(raw_data::text)) from raw_import_records where data_import_id = $1', [input.dataImportId]);
      await pipeline(createReadStream(file), client.query(copyFrom('copy assets from stdin')));
      await client.query('commit');
    });
    return seconds;
  } finally {
    rmSync(dir, { recursive: true, force: true });
    await client.end();
  }
}

/** Runs the benchmark on its own migrated database; returns one row per measurement. */
export async function run(opts: { rows: number }): Promise<BenchRow[]> {
  const db = await benchDatabase('discovery');
  try {
    // two imports of the same rows: one for the reference, one for flowlink's discovery
    const reference = await seed(db.sql, opts.rows);
    const input = await seed(db.sql, opts.rows);
    await db.sql`analyze`;
    for (const i of [reference, input]) await db.sql.begin((tx) => planDiscoveryPhases(orm(tx), i));
    const range = { fromRow: 1, toRow: opts.rows };
    const before = await withPeakRss(() => timed(() => withCpu(db.sql, (tx) => serialPages(tx, reference, opts.rows))));
    const out: BenchRow[] = [];
    for (const name of ['discovery of one chunk, first run (RVTools vInfo, 30 columns)', 'discovery of one chunk, re-run (updates)']) {
      const { result, peakRssMb } = await withPeakRss(() => timed(() => withCpu(db.sql, (tx) => discoverRows(tx, input, range))));
      const first = name.includes('first');
      out.push({
        name,
        rows: opts.rows,
        seconds: result.seconds,
        rowsPerSecond: opts.rows / result.seconds,
        peakRssMb,
        ...(first
          ? {
              reference: `pages one at a time, JSON upsert (before): ${before.result.seconds.toFixed(2)} s, ${Math.round(opts.rows / before.result.seconds)} rows/s, ${before.peakRssMb} MB`,
              ratio: before.result.seconds / result.seconds,
            }
          : {}),
        target: first ? `≥ ${SPEEDUP_TARGET}× the reference's rows/s, peak RSS ≤ ${MAX_RSS_MB} MB` : `peak RSS ≤ ${MAX_RSS_MB} MB`,
        ok: peakRssMb <= MAX_RSS_MB && (!first || before.result.seconds / result.seconds >= SPEEDUP_TARGET),
        note:
          `${result.result.result.assets} assets, ${result.result.result.skipped} skipped; CPU per row: ${cpuNote(result.result, opts.rows)}` +
          (first ? `; reference: ${cpuNote(before.result.result, opts.rows)}` : ''),
      });
    }
    const floor = await serverFloor(db.url, input);
    const first = out[0]!;
    out.push({
      name: 'the floor: the server alone (raw records read, the finished assets COPYed, committed)',
      rows: opts.rows,
      seconds: floor,
      rowsPerSecond: opts.rows / floor,
      note: `the highest ratio within reach: reference ÷ floor ${(before.result.seconds / floor).toFixed(2)}×; ` + `discovery of one chunk ÷ floor ${(first.seconds! / floor).toFixed(2)}×`,
    });
    const summary = await withPeakRss(() => timed(() => db.sql.begin((tx) => finishDiscoveryPhases(orm(tx), input)) as Promise<DiscoverySummary>));
    out.push({
      name: 'discovery finish (the totals proved, phases recorded)',
      rows: opts.rows,
      seconds: summary.result.seconds,
      peakRssMb: summary.peakRssMb,
      note: `${summary.result.result.assets} assets, ${summary.result.result.skipped.templates} templates skipped`,
    });
    return out;
  } finally {
    await db.close();
  }
}

if (isMain(import.meta.url)) {
  const { values } = parseArgs({ options: { rows: { type: 'string' } } });
  const rows = Number(values.rows ?? process.env.BENCH_ROWS ?? 10_000);
  const results = await run({ rows });
  console.log(formatTable(results));
  for (const r of results) if (r.note) console.log(`${r.name}: ${r.note}`);
  process.exit(results.every((r) => r.ok !== false) ? 0 : 1);
}
