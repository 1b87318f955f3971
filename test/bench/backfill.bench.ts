/**
 * The backfill on orphan imports (one per 100 raw records: 10k imports for 1M records), beside a
 * per-orphan loop like the legacy platform's script (one candidate query and two UPDATEs per orphan
 * import), on the same data in the same run. Both link every import to the one discovery flow ten
 * minutes before it; the loop's links must equal ours. Target: ≥ 100× faster. `ratio` here is
 * the speed-up (loop seconds / ours). The dry run measures the decisions alone; --apply adds writing
 * every raw record, the same row writes the loop does, and the audit undo needs (one row per import,
 * and one per import for its raw records, their ids in row_ids; the loop keeps none).
 * The floor: the same links written by two bare UPDATEs, with nothing to decide. Every backfill,
 * ours or the loop, must write those rows under the same constraints, so loop ÷ floor bounds the
 * speed-up any backfill that links the records can reach.
 *   npx tsx test/bench/backfill.bench.ts [--rows 1000000]
 */
import { parseArgs } from 'node:util';
import type { Sql } from '../../db/client.ts';
import { planCounts, runBackfill } from '../../db/backfill/index.ts';
import { createTenant, type Tenant } from '../support/fixtures.ts';
import { benchDatabase, isMain, timed } from './bench-db.ts';
import { formatTable, type BenchRow } from './report.ts';

const RECORDS_PER_IMPORT = 100;

/**
 * `imports` discovery flows three hours apart, each with an orphan import ten minutes later and its
 * raw records, stored together as StoreImport's COPY (and adoption's load) stores them. Interleaved
 * (row 1 of every import, then row 2, …) every UPDATE in heap order moved between 10k imports'
 * index pages: EXPLAIN showed 674k buffers dirtied for 1M rows where grouped by import needs 105k.
 */
export async function orphans(sql: Sql, tenant: Tenant, imports: number) {
  await sql`
    insert into crewai_flow_state_extensions (client_account_id, engagement_id, flow_type, flow_name, flow_status, created_at)
    select ${tenant.clientAccountId}, ${tenant.engagementId}, 'discovery', 'bench ' || g, 'completed', timestamptz '2025-01-01' + g * interval '3 hours'
    from generate_series(1, ${imports}) g`;
  await sql`
    insert into data_imports (client_account_id, engagement_id, import_name, filename, status, total_records, created_at)
    select ${tenant.clientAccountId}, ${tenant.engagementId}, 'bench ' || g, 'bench.csv', 'stored', ${RECORDS_PER_IMPORT},
           timestamptz '2025-01-01' + g * interval '3 hours' + interval '10 minutes'
    from generate_series(1, ${imports}) g`;
  await sql`
    insert into raw_import_records (data_import_id, client_account_id, engagement_id, row_number, raw_data)
    select d.id, d.client_account_id, d.engagement_id, r, jsonb_build_object('hostname', 'srv-' || r, 'os', 'Linux', 'notes', repeat('x', 40))
    from data_imports d cross join generate_series(1, ${RECORDS_PER_IMPORT}) r
    order by d.created_at, r`;
}

/** The legacy platform's approach: for each orphan import, find the nearest flow in the window, then update it and its records. */
async function perOrphanLoop(sql: Sql) {
  await sql.begin(async (tx) => {
    const pending = await tx<{ id: string; client_account_id: string; engagement_id: string; created_at: string }[]>`
      select id, client_account_id, engagement_id, created_at from data_imports where master_flow_id is null`;
    for (const imp of pending) {
      const [flow] = await tx<{ flow_id: string }[]>`
        select flow_id from crewai_flow_state_extensions
        where flow_type = 'discovery' and client_account_id = ${imp.client_account_id} and engagement_id = ${imp.engagement_id}
          and created_at between ${imp.created_at}::timestamptz - interval '2 hours' and ${imp.created_at}::timestamptz + interval '2 hours'
        order by abs(extract(epoch from created_at - ${imp.created_at}::timestamptz)) limit 1`;
      if (!flow) continue;
      await tx`update data_imports set master_flow_id = ${flow.flow_id} where id = ${imp.id}`;
      await tx`update raw_import_records set master_flow_id = ${flow.flow_id} where data_import_id = ${imp.id}`;
    }
  });
}

/** The links of `expected` written with nothing decided: one UPDATE of the raw records, one of the imports. */
async function bareWrites(sql: Sql) {
  await sql.begin(async (tx) => {
    await tx`update raw_import_records r set master_flow_id = k.master_flow_id from bench_links k where k.id = r.data_import_id`;
    await tx`update data_imports d set master_flow_id = k.master_flow_id from bench_links k where k.id = d.id`;
  });
}

/**
 * Every measurement starts from the same physical state: compact tables and indexes, as adoption
 * leaves them, nothing cached dirty. Without it the first one wrote into a fresh table that had to
 * grow (EXPLAIN: 416k buffers read) and the later ones into the room vacuum had freed (131k).
 */
export async function compact(sql: Sql) {
  await sql`vacuum (full, analyze) raw_import_records, data_imports`;
  await sql`checkpoint`;
}

async function unlinkAll(sql: Sql) {
  await sql`update raw_import_records set master_flow_id = null`;
  await sql`update data_imports set master_flow_id = null`;
  await compact(sql);
}

const links = (sql: Sql) => sql<{ id: string; m: string }[]>`select id::text, master_flow_id::text as m from data_imports order by id`;

export async function run(opts: { rows: number }): Promise<BenchRow[]> {
  const imports = Math.max(1, Math.round(opts.rows / RECORDS_PER_IMPORT));
  const records = imports * RECORDS_PER_IMPORT;
  const handle = await benchDatabase('backfill');
  try {
    const { sql } = handle;
    await orphans(sql, await createTenant(sql, 'bench'), imports);
    await compact(sql);
    const plan = await timed(() => runBackfill(sql));
    const ours = await timed(() => runBackfill(sql, { apply: true }));
    const counts = planCounts(ours.result);
    if (counts.linked !== imports + records || counts.unresolved || ours.result.recordLinks.length !== imports) {
      throw new Error(`backfill linked ${counts.linked} rows (${ours.result.recordLinks.length} imports' records), ${counts.unresolved} unresolved; expected ${imports + records} (${imports}), 0`);
    }
    const [audit] = await sql<{ n: number }[]>`select count(*)::int as n from backfill_changes where run_id = ${ours.result.runId}`;
    const expected = await links(sql);
    await sql`create table bench_links as select id, master_flow_id from data_imports`;

    // the same orphans again for the loop, then for the bare writes
    await unlinkAll(sql);
    const loop = await timed(() => perOrphanLoop(sql));
    const got = await links(sql);
    if (JSON.stringify(got) !== JSON.stringify(expected)) throw new Error('the per-orphan loop linked differently from the backfill');
    await unlinkAll(sql);
    const floor = await timed(() => bareWrites(sql));
    const [left] = await sql<{ n: number }[]>`select count(*)::int as n from raw_import_records where master_flow_id is null`;
    if (left!.n !== 0) throw new Error(`the bare writes left ${left!.n} raw records unlinked`);

    const ratio = loop.seconds / ours.seconds;
    const bound = loop.seconds / floor.seconds;
    return [
      { name: 'per-orphan loop (the legacy script, reference)', rows: imports, records, seconds: loop.seconds, rowsPerSecond: imports / loop.seconds },
      {
        name: 'floor: the same links by two bare UPDATEs (nothing decided, no audit)',
        rows: imports,
        records,
        seconds: floor.seconds,
        rowsPerSecond: imports / floor.seconds,
        reference: 'per-orphan loop',
        ratio: bound,
        note: `loop ÷ floor = ${bound.toFixed(2)}×: the most any backfill that writes these ${records} raw records can gain on the loop`,
      },
      {
        name: 'flowlink backfill dry run (the whole plan, nothing written)',
        rows: imports,
        records,
        seconds: plan.seconds,
        rowsPerSecond: imports / plan.seconds,
        reference: 'per-orphan loop',
        ratio: loop.seconds / plan.seconds,
      },
      {
        name: 'flowlink backfill --apply (set-based, audited)',
        rows: imports,
        records,
        seconds: ours.seconds,
        rowsPerSecond: imports / ours.seconds,
        reference: 'per-orphan loop',
        ratio,
        target: '≥ 100× faster',
        ok: ratio >= 100,
        note: `${imports} orphan imports, ${records} raw records, ${audit!.n} audit rows (raw records per import); ` + `${(ours.seconds / floor.seconds).toFixed(2)}× the floor's time`,
      },
    ];
  } finally {
    await handle.close();
  }
}

if (isMain(import.meta.url)) {
  const { values } = parseArgs({ options: { rows: { type: 'string', default: '20000' } } });
  console.log(formatTable(await run({ rows: Number(values.rows) })));
}
