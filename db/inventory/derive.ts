import { sql, type SQL } from 'drizzle-orm';
import type { AnyPgColumn } from 'drizzle-orm/pg-core';
import type { Tx } from '../client.ts';
import type { Tenant } from '../queries/sql.ts';
import { assets, dataImports, inventoryItems, rawImportRecords } from '../schema/index.ts';

type Field = { item: AnyPgColumn; key: string; value: string; has?: string };
const i_ = inventoryItems;
const a_ = assets;
/** A field the item takes from the same column of its observations (`o.` is an observation: one asset with its drop). */
const same = (item: AnyPgColumn, asset: AnyPgColumn): Field => ({ item, key: getKey(item), value: `o.${asset.name}` });
const getKey = (c: AnyPgColumn) => Object.entries(i_).find(([, v]) => v === c)![0];

/** The reconciled fields of an item, named by the schema. A blank array counts as no value. */
const FIELDS: Field[] = [
  same(i_.hostname, a_.hostname),
  same(i_.fqdn, a_.fqdn),
  { ...same(i_.ipAddresses, a_.ipAddresses), has: `jsonb_typeof(o.${a_.ipAddresses.name}) = 'array' and o.${a_.ipAddresses.name} <> '[]'::jsonb` },
  { item: i_.macAddresses, key: 'macAddresses', value: `jsonb_build_array(o.${a_.macAddress.name})`, has: `o.${a_.macAddress.name} is not null` },
  same(i_.operatingSystem, a_.operatingSystem),
  same(i_.osVersion, a_.osVersion),
  same(i_.cpuCores, a_.cpuCores),
  same(i_.memoryGb, a_.memoryGb),
  same(i_.storageGb, a_.storageGb),
  same(i_.assetType, a_.assetType),
  same(i_.environment, a_.environment),
  same(i_.vmUuid, a_.vmUuid),
  same(i_.biosUuid, a_.biosUuid),
  same(i_.serialNumber, a_.serialNumber),
  same(i_.cloudInstanceId, a_.cloudInstanceId),
  same(i_.cmdbSysId, a_.cmdbSysId),
];

/**
 * Most recent drop first; within one drop, the observation carrying the stronger evidence (an
 * identifier, then an FQDN, a host name, a MAC), then file order.
 */
const NEWEST_FIRST = 'o.dropped_at desc, o.evidence, o.row_number, o.asset_id';

/**
 * Re-derives the items `itemIds` (a subquery of ids) from the observations they still have: each
 * field from the most recent drop with a value, `provenance` the asset it came from, `last_seen`
 * the latest drop per source system. Set-based: one aggregate over the items' observations (through
 * assets_inventory_item_id_idx), one UPDATE of the items that differ. Returns the items whose
 * values changed, with the drop that created each.
 */
export async function deriveItems(db: Tx, tenant: Tenant, itemIds: SQL): Promise<Array<{ id: string; originDataImportId: string | null }>> {
  const a = assets;
  const d = dataImports;
  const r = rawImportRecords;
  const i = inventoryItems;
  const agg = (expr: string, f: (typeof FIELDS)[number]) => `(array_agg(${expr} order by ${NEWEST_FIRST}) filter (where ${f.has ?? `${f.value} is not null`}))[1]`;
  const values = sql.raw(FIELDS.map((f) => `${agg(f.value, f)} as ${f.item.name}, ${agg('o.asset_id', f)} as ${f.item.name}__from`).join(',\n      '));
  const provenance = sql.raw(`jsonb_strip_nulls(jsonb_build_object(${FIELDS.map((f) => `'${f.key}', v.${f.item.name}__from`).join(', ')}))`);
  const current = sql.raw(`(${FIELDS.map((f) => `i.${f.item.name}`).join(', ')})`);
  const derived = sql.raw(`(${FIELDS.map((f) => `v.${f.item.name}`).join(', ')})`);
  const set = sql.raw(FIELDS.map((f) => `${f.item.name} = x.${f.item.name}`).join(', '));
  const rows = await db.execute<{ id: string; origin_data_import_id: string | null; changed: boolean }>(sql`
    with o as (
      select a.inventory_item_id as item_id, a.id as asset_id, d.id as data_import_id,
        coalesce(d.source_system, 'unknown') as source_system, d.created_at as dropped_at, coalesce(r.row_number, 0) as row_number,
        case when coalesce(a.vm_uuid, a.bios_uuid, a.serial_number, a.cloud_instance_id, a.cmdb_sys_id) is not null then 1
             when a.fqdn is not null then 6 when a.hostname is not null then 7 when a.mac_address is not null then 8 else 9 end as evidence,
        a.hostname, a.fqdn, a.ip_addresses, a.mac_address, a.operating_system, a.os_version, a.cpu_cores, a.memory_gb, a.storage_gb,
        a.asset_type, a.environment, a.vm_uuid, a.bios_uuid, a.serial_number, a.cloud_instance_id, a.cmdb_sys_id
      from ${a} a
      join ${d} d on d.master_flow_id = a.master_flow_id and d.client_account_id = a.client_account_id and d.engagement_id = a.engagement_id
      left join ${r} r on r.id = a.raw_import_record_id
      where a.inventory_item_id in (${itemIds})
        and a.client_account_id = ${tenant.clientAccountId} and a.engagement_id = ${tenant.engagementId}
    ),
    v as (
      select o.item_id,
      ${values}
      from o group by o.item_id
    ),
    seen as (
      select s.item_id, jsonb_object_agg(s.source_system, jsonb_build_object('dataImportId', s.data_import_id)) as last_seen
      from (select distinct on (o.item_id, o.source_system) o.item_id, o.source_system, o.data_import_id, o.dropped_at
            from o order by o.item_id, o.source_system, o.dropped_at desc) s
      group by s.item_id
    ),
    x as (
      select v.*, ${provenance} as provenance, seen.last_seen, ${current} is distinct from ${derived} as changed
      from v join seen on seen.item_id = v.item_id
      join ${i} i on i.id = v.item_id
      where i.client_account_id = ${tenant.clientAccountId} and i.engagement_id = ${tenant.engagementId}
        and (${current} is distinct from ${derived} or i.provenance is distinct from ${provenance} or i.last_seen is distinct from seen.last_seen)
    )
    update ${i} set ${set}, provenance = x.provenance, last_seen = x.last_seen, updated_at = now()
    from x
    where ${i}.id = x.item_id and ${i}.client_account_id = ${tenant.clientAccountId} and ${i}.engagement_id = ${tenant.engagementId}
    returning ${i}.id, ${i}.origin_data_import_id, x.changed`);
  return [...rows].filter((row) => row.changed).map((row) => ({ id: row.id, originDataImportId: row.origin_data_import_id }));
}
