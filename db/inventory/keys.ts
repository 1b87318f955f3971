import { sql, type SQL } from 'drizzle-orm';

/**
 * The order of evidence (docs/inventory.md): stable identifiers first, then FQDN, short host name,
 * MAC. A lower rank is stronger. Two observations join when the strongest key they share agrees
 * and no key of a lower rank contradicts it (both carry that kind, with different values). The IP
 * address (rank 9) never joins on its own: it only proposes a candidate match.
 */
export const KEY_KINDS = [
  { kind: 'vm_uuid', rank: 1, label: 'VM UUID' },
  { kind: 'bios_uuid', rank: 2, label: 'BIOS UUID' },
  { kind: 'serial_number', rank: 3, label: 'serial number' },
  { kind: 'cloud_instance_id', rank: 4, label: 'cloud instance id' },
  { kind: 'cmdb_sys_id', rank: 5, label: 'CMDB sys_id' },
  { kind: 'fqdn', rank: 6, label: 'FQDN' },
  { kind: 'host', rank: 7, label: 'host name' },
  { kind: 'mac', rank: 8, label: 'MAC address' },
  { kind: 'ip', rank: 9, label: 'IP address' },
] as const;
export type KeyKind = (typeof KEY_KINDS)[number]['kind'];

/** The weakest rank that joins: below it (the IP address) only a candidate. */
export const JOIN_RANK = 8;
/** Ranks of the stable identifiers. */
export const IDENTIFIER_RANK = 5;

/** Placeholder values exports write where they have no identifier (normalised as identifiers are). */
const NO_IDENTIFIER = ['0', 'na', 'none', 'null', 'unknown', 'notapplicable', 'tobefilledbyoem', 'defaultstring', 'systemserialnumber', 'notspecified', 'chassisserialnumber'];

/** An identifier compared without case, braces, dashes or spaces; null for a placeholder (or all zeros). */
const identifier = (column: SQL) => {
  const v = sql`lower(regexp_replace(${column}, '[^0-9A-Za-z]', '', 'g'))`;
  return sql`case when ${v} = '' or ${v} ~ '^0+$' or ${v} in (${sql.raw(NO_IDENTIFIER.map((x) => `'${x}'`).join(', '))}) then null else ${v} end`;
};

const ipv4 = `'^[0-9]{1,3}(\\.[0-9]{1,3}){3}$'`;

/**
 * The keys of the assets `a` (an alias in the caller's FROM) as rows (kind, rank, value): a LATERAL
 * subquery. Host name: case-insensitive, without a `DOMAIN\` prefix or the domain; taken from the
 * FQDN when the row has no host name. MAC: 12 hex digits, separators dropped.
 */
export const assetKeys = (a: string): SQL => {
  const col = (name: string) => sql.raw(`${a}.${name}`);
  const hostSource = sql`regexp_replace(btrim(coalesce(nullif(btrim(${col('hostname')}), ''), ${col('fqdn')})), '^.*\\\\', '')`;
  const fqdn = sql`lower(rtrim(btrim(${col('fqdn')}), '.'))`;
  const mac = sql`lower(regexp_replace(${col('mac_address')}, '[^0-9A-Fa-f]', '', 'g'))`;
  return sql`(
    select k.kind, k.rank, k.value from (values
      ('vm_uuid', 1, ${identifier(col('vm_uuid'))}),
      ('bios_uuid', 2, ${identifier(col('bios_uuid'))}),
      ('serial_number', 3, ${identifier(col('serial_number'))}),
      ('cloud_instance_id', 4, nullif(lower(btrim(${col('cloud_instance_id')})), '')),
      ('cmdb_sys_id', 5, ${identifier(col('cmdb_sys_id'))}),
      ('fqdn', 6, case when ${fqdn} like '%_._%' and ${fqdn} !~ ${sql.raw(ipv4)} then ${fqdn} end),
      ('host', 7, case when ${hostSource} !~ ${sql.raw(ipv4)} then nullif(lower(split_part(${hostSource}, '.', 1)), '') end),
      ('mac', 8, case when ${mac} ~ '^[0-9a-f]{12}$' and ${mac} not in ('000000000000', 'ffffffffffff') then ${mac} end)
    ) as k(kind, rank, value)
    where k.value is not null
    union
    select 'ip', 9, ip from (
      select btrim(e) as ip from jsonb_array_elements_text(
        case when jsonb_typeof(${col('ip_addresses')}) = 'array' and jsonb_array_length(${col('ip_addresses')}) > 0
          then ${col('ip_addresses')} else jsonb_build_array(${col('ip_address')}) end) as e
    ) ips
    where ip is not null and ip <> '' and ip not in ('127.0.0.1', '0.0.0.0', '::1'))`;
};

/** SQL: the label of a key kind, for a candidate's reason. */
export const kindLabel = (kind: SQL): SQL => sql`(case ${kind} ${sql.raw(KEY_KINDS.map((k) => `when '${k.kind}' then '${k.label}'`).join(' '))} end)`;
