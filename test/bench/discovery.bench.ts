/**
 * Discovery (field mapping, normalisation, asset upsert) over N raw records shaped like an RVTools
 * vInfo export (30 columns, thousands separators, templates, powered-off VMs, non-ASCII notes),
 * generated in the database. Measures rows/s and the process's peak RSS during the run (sampled),
 * for a first run and for a re-run over the same flow (every asset updated in place).
 * Target: peak RSS at most 384 MB whatever N: pages of 5 000 rows keep memory flat (what grows with N
 * is V8's heap sizing, which levels off; the process starts near 150 MB).
 *   npx tsx test/bench/discovery.bench.ts [--rows 100000]     (default 10000, or BENCH_ROWS)
 */
import { parseArgs } from 'node:util';
import { jsonb, type Sql } from '../../db/client.ts';
import { runDiscovery, type DiscoverySummary } from '../../functions/start-discovery/discover.ts';
import { createMasterFlow, createTenant } from '../support/fixtures.ts';
import { benchDatabase, isMain, timed } from './bench-db.ts';
import { formatTable, type BenchRow } from './report.ts';

const MAX_RSS_MB = 384;

const HEADERS = [
  'VM', 'Powerstate', 'Template', 'DNS Name', 'Connection state', 'Guest state', 'Creation date', 'CPUs', 'Memory', 'NICs', 'Disks',
  'Total disk capacity MiB', 'Provisioned MiB', 'In Use MiB', 'Primary IP Address', 'Network #1', 'Annotation', 'Datacenter', 'Cluster',
  'Host', 'OS according to the configuration file', 'OS according to the VMware Tools', 'VM ID', 'VM UUID', 'VI SDK Server', 'Folder',
  'Resource pool', 'Heartbeat', 'Config status', 'Owner (custom)',
];

/** Samples the process RSS while `work` runs; returns its peak in MB. */
async function withPeakRss<T>(work: () => Promise<T>): Promise<{ result: T; peakRssMb: number }> {
  let peak = process.memoryUsage().rss;
  const timer = setInterval(() => { peak = Math.max(peak, process.memoryUsage().rss); }, 20);
  try {
    const result = await work();
    peak = Math.max(peak, process.memoryUsage().rss);
    return { result, peakRssMb: Math.round(peak / 2 ** 20) };
  } finally {
    clearInterval(timer);
  }
}

export async function seed(sql: Sql, rows: number) {
  const tenant = await createTenant(sql, `bench-discovery-${process.pid}`);
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

/** Runs the benchmark on its own migrated database; returns one row per measurement. */
export async function run(opts: { rows: number }): Promise<BenchRow[]> {
  const db = await benchDatabase('discovery');
  try {
    const input = await seed(db.sql, opts.rows);
    const out: BenchRow[] = [];
    for (const name of ['discovery (RVTools vInfo, 30 columns)', 'discovery re-run (same flow, updates)']) {
      const { result, peakRssMb } = await withPeakRss(() =>
        timed(() => db.sql.begin((tx) => runDiscovery(tx as unknown as Sql, input)) as Promise<DiscoverySummary>));
      out.push({
        name,
        rows: opts.rows,
        seconds: result.seconds,
        rowsPerSecond: opts.rows / result.seconds,
        peakRssMb,
        target: `peak RSS ≤ ${MAX_RSS_MB} MB`,
        ok: peakRssMb <= MAX_RSS_MB,
        note: `${result.result.assets} assets, ${result.result.skipped.templates} templates skipped`,
      });
    }
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
  process.exit(results.every((r) => r.ok !== false) ? 0 : 1);
}
