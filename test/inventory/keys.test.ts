import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { orm } from '../../db/client.ts';
import { assetKeys } from '../../db/inventory/keys.ts';
import { useTestDatabase } from '../support/db.ts';

const database = useTestDatabase();

interface Row {
  hostname?: string | null;
  fqdn?: string | null;
  mac_address?: string | null;
  ip_address?: string | null;
  ip_addresses?: string[] | null;
  vm_uuid?: string | null;
  bios_uuid?: string | null;
  serial_number?: string | null;
  cloud_instance_id?: string | null;
  cmdb_sys_id?: string | null;
}

/** The keys reconciliation matches an asset with these values on, as `kind:value`. */
async function keysOf(row: Row): Promise<string[]> {
  const rows = await orm(database.current.sql).execute<{ key: string }>(sql`
    select k.kind || ':' || k.value as key
    from jsonb_to_record(${JSON.stringify(row)}::jsonb) as a(hostname text, fqdn text, mac_address text, ip_address text, ip_addresses jsonb,
      vm_uuid text, bios_uuid text, serial_number text, cloud_instance_id text, cmdb_sys_id text)
    cross join lateral ${assetKeys('a')} k
    order by k.rank, k.value`);
  return rows.map((r) => r.key);
}

describe('the keys an observation is matched on', () => {
  it('a host name without case, domain or DOMAIN\\ prefix; the FQDN in lower case; the MAC without separators', async () => {
    expect(await keysOf({ hostname: 'CORP\\WEB01', ip_address: '10.0.0.1' })).toEqual(['host:web01', 'ip:10.0.0.1']);
    expect(await keysOf({ hostname: 'Web01.Corp.Example.com.', fqdn: 'WEB01.corp.example.com.' })).toEqual(['fqdn:web01.corp.example.com', 'host:web01']);
    expect(await keysOf({ fqdn: 'web01.corp.example.com' })).toEqual(['fqdn:web01.corp.example.com', 'host:web01']);
    expect(await keysOf({ mac_address: '00-50-56-AA-BB-01' })).toEqual(['mac:005056aabb01']);
  });

  it('identifiers without case, braces or dashes; placeholders and addresses are no host name or identifier', async () => {
    expect(await keysOf({ vm_uuid: '{4215A1B2-0000-1111-2222-333344445555}', serial_number: 'To be filled by O.E.M.', bios_uuid: '00000000-0000-0000-0000-000000000000' })).toEqual([
      'vm_uuid:4215a1b2000011112222333344445555',
    ]);
    expect(await keysOf({ hostname: '10.0.0.7', fqdn: '10.0.0.7', mac_address: '00:00:00:00:00:00', ip_addresses: ['10.0.0.7', '127.0.0.1'] })).toEqual(['ip:10.0.0.7']);
    expect(await keysOf({ serial_number: 'SN 123-45', cmdb_sys_id: '9D385017C611228701D22104CC95C371', cloud_instance_id: 'I-0ABC' })).toEqual([
      'serial_number:sn12345',
      'cloud_instance_id:i-0abc',
      'cmdb_sys_id:9d385017c611228701d22104cc95c371',
    ]);
  });
});
