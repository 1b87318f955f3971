/**
 * Reconciliation of one drop into an engagement's inventory (ReconcileChunk per chunk, then
 * FinishReconcile) beside a floor measured in the same run: the same matching as bare SQL (the
 * drop's keys hash-joined to the inventory's keys, the best item per asset linked, new items and
 * their keys inserted, one transaction), on a copy of the same drop. The engagement already holds
 * `items` machines (one asset and item each, ~4 keys an item); the drop has `rows` rows: every
 * other one a machine the inventory holds (its VM UUID, its host name in capitals, an FQDN), the
 * others new machines. Target: ≤ 2× the floor; the longest invocation is one chunk.
 *   npx tsx test/bench/inventory.bench.ts [--rows 100000] [--items 1000000] [--chunk-rows 50000]
 */
import { parseArgs } from 'node:util';
import { sql as dsql } from 'drizzle-orm';
import { orm, type Sql } from '../../db/client.ts';
import { assetKeys } from '../../db/inventory/keys.ts';
import { finishReconcile, reconcileChunk } from '../../functions/reconcile-inventory/reconcile-inventory.ts';
import { createTenant, type Tenant } from '../support/fixtures.ts';
import { benchDatabase, isMain, timed } from './bench-db.ts';
import { formatTable, type BenchRow } from './report.ts';

/** An import under its own master flow and discovery flow, with `rows` raw records and assets; a drop's new machines are numbered from `newFrom`. */
async function dropWithAssets(sql: Sql, tenant: Tenant, name: string, rows: number, values: 'existing' | 'drop', newFrom = 10_000_000) {
  const [flow] = await sql<{ flow_id: string }[]>`
    insert into crewai_flow_state_extensions (client_account_id, engagement_id, flow_type, flow_name)
    values (${tenant.clientAccountId}, ${tenant.engagementId}, 'discovery', ${name}) returning flow_id`;
  const [imp] = await sql<{ id: string }[]>`
    insert into data_imports (client_account_id, engagement_id, master_flow_id, import_name, filename, status, total_records, source_system)
    values (${tenant.clientAccountId}, ${tenant.engagementId}, ${flow!.flow_id}, ${name}, ${`${name}.csv`}, 'processing', ${rows}, 'rvtools_vinfo') returning id`;
  const [df] = await sql<{ id: string }[]>`
    insert into discovery_flows (client_account_id, engagement_id, master_flow_id, data_import_id, flow_name)
    values (${tenant.clientAccountId}, ${tenant.engagementId}, ${flow!.flow_id}, ${imp!.id}, ${name}) returning id`;
  await sql`
    insert into raw_import_records (data_import_id, client_account_id, engagement_id, master_flow_id, row_number, raw_data)
    select ${imp!.id}, ${tenant.clientAccountId}, ${tenant.engagementId}, ${flow!.flow_id}, g, '{}'::jsonb from generate_series(1, ${rows}) g`;
  // existing machine m: srv-m, its VM UUID, a MAC; the drop's row g: machine g of the inventory when g is odd, else a new one
  const machine = values === 'existing' ? sql`g` : sql`case when g % 2 = 1 then g else ${newFrom}::int + g end`;
  await sql`
    insert into assets (client_account_id, engagement_id, master_flow_id, discovery_flow_id, raw_import_record_id, name, hostname, fqdn,
      ip_address, ip_addresses, mac_address, vm_uuid, operating_system, cpu_cores, memory_gb, asset_type, inventory_item_id)
    select ${tenant.clientAccountId}, ${tenant.engagementId}, ${flow!.flow_id}, ${df!.id}, r.id, h, h,
      ${values === 'drop' ? sql`lower(h) || '.corp.example.com'` : sql`null`},
      ip, jsonb_build_array(ip), mac, md5('vm-' || m)::uuid::text, 'Windows Server 2019', (m % 32) + 1, ${values === 'drop' ? sql`64` : sql`32`},
      'server', ${values === 'existing' ? sql`md5('item-' || m)::uuid` : sql`null`}
    from raw_import_records r
    cross join lateral (select r.row_number as g) x
    cross join lateral (select ${machine} as m) y
    cross join lateral (select ${values === 'drop' ? sql`'SRV-' || m` : sql`'srv-' || m`} as h,
      '10.' || (m / 65536 % 256) || '.' || (m / 256 % 256) || '.' || (m % 256) as ip,
      lpad(to_hex(m), 12, '0') as mac) z
    where r.data_import_id = ${imp!.id}`;
  return { dataImportId: imp!.id, flowId: flow!.flow_id };
}

/** The engagement's inventory of `items` machines: their items, values and keys, as reconciliation would have left them. */
async function seedInventory(sql: Sql, tenant: Tenant, items: number) {
  await sql`
    insert into inventory_items (id, client_account_id, engagement_id, hostname, ip_addresses, mac_addresses, vm_uuid, cpu_cores, memory_gb, asset_type)
    select md5('item-' || g)::uuid, ${tenant.clientAccountId}, ${tenant.engagementId}, 'srv-' || g, '[]'::jsonb, '[]'::jsonb, md5('vm-' || g)::uuid::text,
      (g % 32) + 1, 32, 'server'
    from generate_series(1, ${items}) g`;
  const existing = await dropWithAssets(sql, tenant, 'existing', items, 'existing');
  await orm(sql).execute(dsql`
    insert into inventory_item_keys (inventory_item_id, client_account_id, engagement_id, kind, value)
    select a.inventory_item_id, a.client_account_id, a.engagement_id, k.kind, k.value
    from assets a cross join lateral ${assetKeys('a')} k where a.master_flow_id = ${existing.flowId}
    on conflict do nothing`);
  await sql`update data_imports set status = 'completed' where id = ${existing.dataImportId}`;
}

/** The floor: the drop matched by one hash join on the same keys, linked, its new machines inserted with their keys. */
async function floor(sql: Sql, tenant: Tenant, flowId: string) {
  const c = tenant.clientAccountId;
  const e = tenant.engagementId;
  await sql.begin(async (tx) => {
    const db = orm(tx);
    await db.execute(dsql`create temp table fk on commit drop as
      select a.id as asset_id, k.kind, k.rank, k.value from assets a cross join lateral ${assetKeys('a')} k
      where a.master_flow_id = ${flowId} and a.client_account_id = ${c} and a.engagement_id = ${e}`);
    await tx`create temp table fm on commit drop as
      select distinct on (fk.asset_id) fk.asset_id, ik.inventory_item_id as item_id
      from fk join inventory_item_keys ik on ik.engagement_id = ${e} and ik.kind = fk.kind and ik.value = fk.value
      where fk.rank <= 8 order by fk.asset_id, fk.rank`;
    await tx`update assets a set inventory_item_id = fm.item_id from fm where a.id = fm.asset_id`;
    await tx`
      with fresh as (select a.id as asset_id, gen_random_uuid() as item_id from assets a
                     where a.master_flow_id = ${flowId} and a.client_account_id = ${c} and a.engagement_id = ${e} and a.inventory_item_id is null),
      made as (insert into inventory_items (id, client_account_id, engagement_id) select item_id, ${c}, ${e} from fresh)
      update assets a set inventory_item_id = f.item_id from fresh f where a.id = f.asset_id`;
    await tx`
      insert into inventory_item_keys (inventory_item_id, client_account_id, engagement_id, kind, value)
      select a.inventory_item_id, ${c}, ${e}, fk.kind, fk.value from fk join assets a on a.id = fk.asset_id
      on conflict do nothing`;
  });
}

export async function run(opts: { rows: number; items: number; chunkRows?: number; run?: number }): Promise<BenchRow[]> {
  const { rows, items } = opts;
  const chunkRows = opts.chunkRows ?? 50_000;
  const handle = await benchDatabase('inventory');
  try {
    const { sql } = handle;
    const tenant = await createTenant(sql, 'bench');
    await seedInventory(sql, tenant, items);
    const bareDrop = await dropWithAssets(sql, tenant, 'floor-drop', rows, 'drop');
    // the two drops' new machines differ: neither finds the other's
    const ourDrop = await dropWithAssets(sql, tenant, 'our-drop', rows, 'drop', 20_000_000);
    const measure = async <T>(work: () => Promise<T>) => {
      await sql`vacuum analyze`;
      await sql`checkpoint`;
      return timed(work);
    };
    let longest = 0;
    const chunks = Math.ceil(rows / chunkRows);
    const measureOurs = () =>
      measure(async () => {
        const input = { clientAccountId: tenant.clientAccountId, engagementId: tenant.engagementId, ...ourDrop };
        for (let chunk = 0; chunk < chunks; chunk++) {
          const t = await timed(() => reconcileChunk(sql, { ...input, fromRow: 1 + chunk * chunkRows, chunkRows, chunk, chunks }));
          longest = Math.max(longest, t.seconds);
        }
        return finishReconcile(sql, input);
      });
    const measureBare = () => measure(() => floor(sql, tenant, bareDrop.flowId));
    // the second one finds the first one's new items: with --repeat the order alternates
    const oursFirst = (opts.run ?? 0) % 2 === 1;
    let bare, ours;
    if (oursFirst) {
      ours = await measureOurs();
      bare = await measureBare();
    } else {
      bare = await measureBare();
      ours = await measureOurs();
    }
    const counts = ours.result;
    if (counts.new !== Math.floor(rows / 2) || counts.matched !== rows - Math.floor(rows / 2)) {
      throw new Error(`reconciled ${counts.new} new + ${counts.matched} matched of ${rows} rows`);
    }
    const ratio = ours.seconds / bare.seconds;
    return [
      { name: 'hash join on the same keys (floor)', rows, seconds: bare.seconds, rowsPerSecond: rows / bare.seconds, note: `against ${items.toLocaleString('en-US')} items` },
      {
        name: 'ReconcileInventory',
        rows,
        seconds: ours.seconds,
        rowsPerSecond: rows / ours.seconds,
        reference: 'floor',
        ratio,
        target: '≤ 2×',
        ok: ratio <= 2,
        note:
          `${chunks} chunk(s) of ${chunkRows.toLocaleString('en-US')}, longest ${longest.toFixed(2)} s; ${counts.new} new, ${counts.matched} matched, ` +
          `${counts.updated} updated, ${counts.candidates} candidates; ${oursFirst ? 'ours' : 'the floor'} measured first`,
      },
    ];
  } finally {
    await handle.close();
  }
}

if (isMain(import.meta.url)) {
  const { values } = parseArgs({ options: { rows: { type: 'string', default: '100000' }, items: { type: 'string', default: '1000000' }, 'chunk-rows': { type: 'string', default: '50000' } } });
  console.log(formatTable(await run({ rows: Number(values.rows), items: Number(values.items), chunkRows: Number(values['chunk-rows']) })));
  process.exit(0);
}
