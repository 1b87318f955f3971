import { describe, expect, it } from 'vitest';
import type { Sql } from '../../db/client.ts';
import type { Tenant } from '../support/fixtures.ts';
import { useWorkflowWorld } from '../workflow/harness.ts';

const world = useWorkflowWorld();

/** The tenant's inventory: per item its host name and the files (and rows) it was seen in. */
async function inventory(sql: Sql, tenant: Tenant) {
  const rows = await sql<{ id: string; hostname: string | null; fqdn: string | null; operating_system: string | null; memory_gb: number | null; sources: string[] }[]>`
    select i.id, i.hostname, i.fqdn, i.operating_system, i.memory_gb,
      array_agg(d.filename || '#' || r.row_number order by d.filename, r.row_number) as sources
    from inventory_items i
    join assets a on a.inventory_item_id = i.id
    join raw_import_records r on r.id = a.raw_import_record_id
    join data_imports d on d.id = r.data_import_id
    where i.client_account_id = ${tenant.clientAccountId} and i.engagement_id = ${tenant.engagementId}
    group by i.id order by min(lower(coalesce(i.hostname, ''))), i.id`;
  return rows;
}

async function candidates(sql: Sql, tenant: Tenant) {
  return sql<{ reason: string; status: string }[]>`
    select reason, status::text from inventory_candidates
    where client_account_id = ${tenant.clientAccountId} and engagement_id = ${tenant.engagementId} order by reason`;
}

const FILE_A = [
  'Hostname,IP Address,Operating System,RAM (GB)',
  'web01,10.0.0.1,Ubuntu,8',
  'db01,10.0.0.2,Ubuntu,32',
  'app01,10.0.0.3,Windows Server,16',
].join('\n');

const FILE_B = [
  'Hostname,FQDN,IP Address,Operating System,RAM (GB)',
  'WEB01,web01.corp.example.com,10.0.0.1,Ubuntu,16',
  'db01,db01.corp.example.com,10.0.0.2,,32',
  'mail01,mail01.corp.example.com,10.0.0.9,Windows Server,8',
].join('\n');

describe('the engagement inventory, through the workflow', () => {
  it('two overlapping files give one item per machine with both sources; a case-and-domain variant of a host name is matched', async () => {
    const tenant = await world.tenant();
    const a = await world.drop(tenant, 'rvtools-week1.csv', FILE_A);
    expect(a.record.status).toBe('SUCCEEDED');
    const b = await world.drop(tenant, 'cmdb.csv', FILE_B);
    expect(b.record.status).toBe('SUCCEEDED');
    const items = await inventory(world.sql, tenant);
    expect(items.map((i) => [i.hostname?.toLowerCase(), i.sources])).toEqual([
      ['app01', ['rvtools-week1.csv#3']],
      ['db01', ['cmdb.csv#2', 'rvtools-week1.csv#2']],
      ['mail01', ['cmdb.csv#3']],
      ['web01', ['cmdb.csv#1', 'rvtools-week1.csv#1']],
    ]);
    // the most recent drop with a value wins, field by field
    const web = items.find((i) => i.hostname?.toLowerCase() === 'web01')!;
    expect(web.fqdn).toBe('web01.corp.example.com');
    expect(web.memory_gb).toBe(16);
    const db = items.find((i) => i.hostname === 'db01')!;
    expect(db.operating_system).toBe('Ubuntu');
    expect(await candidates(world.sql, tenant)).toEqual([]);
  });

  it('rows of one file that are the same machine are one item', async () => {
    const tenant = await world.tenant();
    const file = ['Hostname,FQDN,MAC Address', 'web01,,00:50:56:aa:bb:01', 'WEB01,web01.corp.example.com,', ',web01.corp.example.com,'].join('\n');
    expect((await world.drop(tenant, 'dupes.csv', file)).record.status).toBe('SUCCEEDED');
    const items = await inventory(world.sql, tenant);
    expect(items.map((i) => i.sources)).toEqual([['dupes.csv#1', 'dupes.csv#2', 'dupes.csv#3']]);
  });

  it('an IP address alone is not a merge: a candidate match with its reason', async () => {
    const tenant = await world.tenant();
    await world.drop(tenant, 'one.csv', ['Hostname,IP Address', 'web01,10.0.0.1'].join('\n'));
    await world.drop(tenant, 'two.csv', ['Hostname,IP Address', 'web99,10.0.0.1'].join('\n'));
    expect((await inventory(world.sql, tenant)).map((i) => i.sources)).toEqual([['one.csv#1'], ['two.csv#1']]);
    expect(await candidates(world.sql, tenant)).toEqual([{ reason: 'only the IP address 10.0.0.1 is shared (the host name differs)', status: 'pending' }]);
  });

  it('a host name whose identifiers disagree is a candidate, not a merge', async () => {
    const tenant = await world.tenant();
    await world.drop(tenant, 'one.csv', ['Hostname,Serial Number', 'web01,SN-1'].join('\n'));
    await world.drop(tenant, 'two.csv', ['Hostname,Serial Number', 'web01,SN-2'].join('\n'));
    expect((await inventory(world.sql, tenant)).map((i) => i.sources)).toEqual([['one.csv#1'], ['two.csv#1']]);
    expect(await candidates(world.sql, tenant)).toEqual([{ reason: 'host name web01 matches, but the serial number differs', status: 'pending' }]);
  });

  it('an updated re-drop updates values without new items; a machine missing from it is kept, not seen in the latest drop', async () => {
    const tenant = await world.tenant();
    await world.drop(tenant, 'rvtools.csv', FILE_A);
    const before = await inventory(world.sql, tenant);
    const updated = ['Hostname,IP Address,Operating System,RAM (GB)', 'web01,10.0.0.1,Ubuntu,64', 'db01,10.0.0.2,Ubuntu,32'].join('\n');
    const again = await world.drop(tenant, 'rvtools-v2.csv', updated);
    expect(again.record.status).toBe('SUCCEEDED');
    const after = await inventory(world.sql, tenant);
    expect(after.map((i) => i.id)).toEqual(before.map((i) => i.id));
    expect(after.find((i) => i.hostname === 'web01')!.memory_gb).toBe(64);
    expect(after.find((i) => i.hostname === 'app01')!.sources).toEqual(['rvtools.csv#3']);
    const [counts] = await world.sql<{ new_items: number; matched: number; updated: number; candidates: number }[]>`
      select new_items, matched, updated, candidates from inventory_reconciliations r join data_imports d on d.id = r.data_import_id
      where d.filename = 'rvtools-v2.csv' and d.client_account_id = ${tenant.clientAccountId}`;
    expect(counts).toEqual({ new_items: 0, matched: 2, updated: 1, candidates: 0 });
  });
});
