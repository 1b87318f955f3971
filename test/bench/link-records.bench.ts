/**
 * LinkRecords on N raw records beside one bare UPDATE of the same number of rows, in the same
 * database and run. Target: at most 1.5× the bare UPDATE.
 *   npx tsx test/bench/link-records.bench.ts [--rows 1000000]
 */
import { parseArgs } from 'node:util';
import type { Sql } from '../../db/client.ts';
import { linkRecords } from '../support/whole-import.ts';
import { createMasterFlow, createTenant, type Tenant } from '../support/fixtures.ts';
import { benchDatabase, isMain, timed } from './bench-db.ts';
import { formatTable, type BenchRow } from './report.ts';

/** A stored (unlinked) import with `rows` raw records of realistic size, written set-based. */
async function storedImport(sql: Sql, tenant: Tenant, rows: number): Promise<string> {
  const [imp] = await sql<{ id: string }[]>`
    insert into data_imports (client_account_id, engagement_id, import_name, filename, status, total_records)
    values (${tenant.clientAccountId}, ${tenant.engagementId}, 'bench', 'bench.csv', 'stored', ${rows}) returning id`;
  await sql`
    insert into raw_import_records (data_import_id, client_account_id, engagement_id, row_number, raw_data)
    select ${imp!.id}, ${tenant.clientAccountId}, ${tenant.engagementId}, g,
           jsonb_build_object('hostname', 'srv-' || g, 'ip_address', '10.0.' || (g % 250) || '.' || (g % 200),
                              'os', 'Windows Server 2019', 'cpu', (g % 32)::text, 'memory_mb', (g % 64 * 1024)::text,
                              'environment', 'production', 'owner', 'team-' || (g % 40), 'notes', repeat('x', 40))
    from generate_series(1, ${rows}) g`;
  return imp!.id;
}

export async function run(opts: { rows: number; run?: number }): Promise<BenchRow[]> {
  const { rows } = opts;
  const handle = await benchDatabase('link_records');
  try {
    const { sql } = handle;
    const tenant = await createTenant(sql, 'bench');
    // both imports stored before either is linked, so each measurement starts from the same table
    const bareImport = await storedImport(sql, tenant, rows);
    const ourImport = await storedImport(sql, tenant, rows);
    const bareFlow = await createMasterFlow(sql, tenant);
    const ourFlow = await createMasterFlow(sql, tenant);
    // the import first: a raw record may only carry its import's master flow (raw_import_records_data_import_link_fkey)
    await sql`update data_imports set master_flow_id = ${bareFlow} where id = ${bareImport}`;
    const measure = async <T>(work: () => Promise<T>) => {
      await sql`vacuum analyze raw_import_records`;
      await sql`checkpoint`;
      return timed(work);
    };
    const measureBare = () => measure(() => sql`update raw_import_records set master_flow_id = ${bareFlow} where data_import_id = ${bareImport}`);
    const measureOurs = () =>
      measure(() =>
        linkRecords(sql, {
          clientAccountId: tenant.clientAccountId,
          engagementId: tenant.engagementId,
          dataImportId: ourImport,
          flowId: ourFlow,
          rowCount: rows,
        }),
      );
    // the second writer finds the first one's dead row versions: with --repeat the order alternates
    const oursFirst = (opts.run ?? 0) % 2 === 1;
    let bare, ours;
    if (oursFirst) {
      ours = await measureOurs();
      bare = await measureBare();
    } else {
      bare = await measureBare();
      ours = await measureOurs();
    }
    if (ours.result.linkedCount !== rows) throw new Error(`linked ${ours.result.linkedCount} of ${rows}`);
    const ratio = ours.seconds / bare.seconds;
    return [
      { name: 'bare UPDATE (reference)', rows, seconds: bare.seconds, rowsPerSecond: rows / bare.seconds },
      {
        name: 'LinkRecords',
        rows,
        seconds: ours.seconds,
        rowsPerSecond: rows / ours.seconds,
        reference: 'bare UPDATE',
        ratio,
        target: '≤ 1.5×',
        ok: ratio <= 1.5,
        note: oursFirst ? 'LinkRecords measured first' : 'the bare UPDATE measured first',
      },
    ];
  } finally {
    await handle.close();
  }
}

if (isMain(import.meta.url)) {
  const { values } = parseArgs({ options: { rows: { type: 'string', default: '100000' } } });
  console.log(formatTable(await run({ rows: Number(values.rows) })));
  process.exit(0);
}
