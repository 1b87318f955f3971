/**
 * What least privilege costs the hot steps: StoreImport's COPY (as the loader), a LinkChunk and a
 * DiscoverChunk (as flowlink_app for the tenant), each with row-level security on and beside the
 * same with it off (DISABLE on every table, so the policies are not applied), same run, same data
 * (a fresh copy of it per measurement). The role and tenant settings are in both: they ride on the
 * transaction's first statement, and the loader's role on statements pipelined with the COPY.
 * Six rounds, each mode first in half of them; the median of each. Target: at most 1.05×.
 *   npx tsx test/bench/row-security.bench.ts [--rows 20000]
 */
import { parseArgs } from 'node:util';
import pg from 'pg';
import { asLoader, ROLES, SCOPE_SQL, scopeParams } from '../../db/access.ts';
import { orm, type Sql } from '../../db/client.ts';
import { linkChunk } from '../../functions/link-records/link-records.ts';
import { planDiscoveryPhases } from '../../functions/start-discovery/discover.ts';
import { discoverChunk } from '../../functions/start-discovery/start-discovery.ts';
import { copyRawRecords } from '../../functions/store-import/copy-rows.ts';
import { createMasterFlow, createTenant, type Tenant } from '../support/fixtures.ts';
import { benchDatabase, isMain, timed } from './bench-db.ts';
import { seed as seedDiscovery } from './discovery.bench.ts';
import { formatTable, type BenchRow } from './report.ts';

const ROUNDS = 6;
const TARGET = 1.05;

/** Row-level security on or off on every table that has policies. */
async function rowSecurity(sql: Sql, on: boolean): Promise<void> {
  const tables = await sql<{ name: string }[]>`select distinct tablename as name from pg_policies where schemaname = 'public'`;
  for (const { name } of tables) await sql.unsafe(`alter table ${name} ${on ? 'enable' : 'disable'} row level security`);
}

async function storedImport(sql: Sql, tenant: Tenant, rows: number, withRecords: boolean): Promise<string> {
  const [imp] = await sql<{ id: string }[]>`
    insert into data_imports (client_account_id, engagement_id, import_name, filename, status, total_records)
    values (${tenant.clientAccountId}, ${tenant.engagementId}, 'bench', 'bench.csv', ${withRecords ? 'stored' : 'pending'}, ${rows}) returning id`;
  if (withRecords) {
    await sql`
      insert into raw_import_records (data_import_id, client_account_id, engagement_id, row_number, raw_data)
      select ${imp!.id}, ${tenant.clientAccountId}, ${tenant.engagementId}, g,
             jsonb_build_object('hostname', 'srv-' || g, 'ip_address', '10.0.' || (g % 250) || '.' || (g % 200), 'os', 'Linux', 'notes', repeat('x', 40))
      from generate_series(1, ${rows}) g`;
  }
  return imp!.id;
}

async function* fileRows(rows: number): AsyncGenerator<Record<string, unknown>> {
  for (let g = 1; g <= rows; g++) yield { hostname: `srv-${g}`, ip_address: `10.0.${g % 250}.${g % 200}`, os: 'Linux', cpu: String(g % 32), notes: 'x'.repeat(40) };
}

/** StoreImport's COPY as the step runs it: its transaction scoped to the tenant, the COPY as the loader. */
async function copyImport(pool: pg.Pool, tenant: Tenant, dataImportId: string, rows: number): Promise<number> {
  const client = await pool.connect();
  try {
    await client.query('begin');
    await client.query(SCOPE_SQL, scopeParams(tenant, ROLES.app));
    const { rows: count } = await asLoader(
      (s, p) => client.query(s, p).then((r) => r.rows),
      () => copyRawRecords(client, fileRows(rows), { dataImportId, ...tenant, file: 'bench.csv' }),
    );
    await client.query('commit');
    return count;
  } finally {
    client.release();
  }
}

const median = (xs: number[]) => {
  const sorted = [...xs].sort((a, b) => a - b);
  const mid = sorted.length / 2;
  return sorted.length % 2 ? sorted[Math.floor(mid)]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};

export async function run(opts: { rows: number }): Promise<BenchRow[]> {
  const { rows } = opts;
  const handle = await benchDatabase('row_security');
  const pool = new pg.Pool({ connectionString: handle.url, max: 1 });
  try {
    const { sql } = handle;
    const tenant = await createTenant(sql, 'bench-rls');
    const times: Record<string, { on: number[]; off: number[] }> = { copy: { on: [], off: [] }, link: { on: [], off: [] }, discover: { on: [], off: [] } };
    for (let round = 0; round < ROUNDS; round++) {
      // fresh data for both modes before either is measured, then alternate which goes first
      const data = { on: {} as Record<string, unknown>, off: {} as Record<string, unknown> };
      for (const mode of ['on', 'off'] as const) {
        data[mode].copyImport = await storedImport(sql, tenant, rows, false);
        data[mode].linkImport = await storedImport(sql, tenant, rows, true);
        data[mode].linkFlow = await createMasterFlow(sql, tenant);
        const discovery = await seedDiscovery(sql, rows);
        await sql.begin((tx) => planDiscoveryPhases(orm(tx), discovery));
        data[mode].discovery = discovery;
      }
      await sql`vacuum analyze`;
      const order = round % 2 === 0 ? (['on', 'off'] as const) : (['off', 'on'] as const);
      for (const mode of order) {
        await rowSecurity(sql, mode === 'on');
        await sql`checkpoint`;
        const d = data[mode];
        const copied = await timed(() => copyImport(pool, tenant, d.copyImport as string, rows));
        if (copied.result !== rows) throw new Error(`copied ${copied.result} of ${rows}`);
        times.copy![mode].push(copied.seconds);
        const linked = await timed(() => linkChunk(sql, { ...tenant, dataImportId: d.linkImport as string, flowId: d.linkFlow as string, fromRow: 1, chunkRows: rows, chunk: 0, chunks: 1 }));
        if (linked.result.rows !== rows) throw new Error(`linked ${linked.result.rows} of ${rows}`);
        times.link![mode].push(linked.seconds);
        const input = d.discovery as Awaited<ReturnType<typeof seedDiscovery>>;
        const discovered = await timed(() => discoverChunk(sql, { ...input, fromRow: 1, chunkRows: rows, chunk: 0, chunks: 1 }));
        if (discovered.result.assets + discovered.result.skipped !== rows) throw new Error(`discovered ${discovered.result.assets} + ${discovered.result.skipped} of ${rows}`);
        times.discover![mode].push(discovered.seconds);
      }
    }
    await rowSecurity(sql, true);
    const out: BenchRow[] = [];
    for (const [key, name] of [
      ['copy', 'StoreImport COPY'],
      ['link', 'LinkChunk'],
      ['discover', 'DiscoverChunk'],
    ] as const) {
      const on = median(times[key]!.on);
      const off = median(times[key]!.off);
      const ratio = on / off;
      out.push({ name: `${name} without row-level security (reference)`, rows, seconds: off, rowsPerSecond: rows / off });
      out.push({
        name: `${name} with row-level security and roles`,
        rows,
        seconds: on,
        rowsPerSecond: rows / on,
        reference: `${name} without`,
        ratio,
        target: `≤ ${TARGET}×`,
        ok: ratio <= TARGET,
        note: `median of ${ROUNDS} rounds, alternating order`,
      });
    }
    return out;
  } finally {
    await pool.end();
    await handle.close();
  }
}

if (isMain(import.meta.url)) {
  const { values } = parseArgs({ options: { rows: { type: 'string', default: '20000' } } });
  console.log(formatTable(await run({ rows: Number(values.rows) })));
  process.exit(0);
}
