import { describe, expect, it } from 'vitest';
import type { Sql } from '../../db/client.ts';
import type { Tenant } from '../support/fixtures.ts';
import { retractImport } from '../../db/inventory/retract.ts';
import { decideCandidate } from '../../db/inventory/candidates.ts';
import { readInventory } from '../../db/inventory/read.ts';
import { orm } from '../../db/client.ts';
import { tenantSnapshot, useWorkflowWorld } from '../workflow/harness.ts';

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
    group by i.id order by lower(coalesce(i.hostname, '')), min(d.filename || '#' || r.row_number)`;
  return rows;
}

async function candidates(sql: Sql, tenant: Tenant) {
  return sql<{ reason: string; status: string }[]>`
    select reason, status::text from inventory_candidates
    where client_account_id = ${tenant.clientAccountId} and engagement_id = ${tenant.engagementId} order by reason`;
}

const FILE_A = ['Hostname,IP Address,Operating System,RAM (GB)', 'web01,10.0.0.1,Ubuntu,8', 'db01,10.0.0.2,Ubuntu,32', 'app01,10.0.0.3,Windows Server,16'].join('\n');

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
    const view = await readInventory(orm(world.sql), tenant);
    expect(view.items.map((i) => [i.hostname, i.seenInLatest])).toEqual([
      ['app01', { generic_cmdb: false }],
      ['db01', { generic_cmdb: true }],
      ['web01', { generic_cmdb: true }],
    ]);
    expect(view.items.find((i) => i.hostname === 'web01')!.provenance.memoryGb).toBe(view.items.find((i) => i.hostname === 'web01')!.sources.find((s) => s.filename === 'rvtools-v2.csv')!.assetId);
    const [counts] = await world.sql<{ new_items: number; matched: number; updated: number; candidates: number }[]>`
      select new_items, matched, updated, candidates from inventory_reconciliations r join data_imports d on d.id = r.data_import_id
      where d.filename = 'rvtools-v2.csv' and d.client_account_id = ${tenant.clientAccountId}`;
    expect(counts).toEqual({ new_items: 0, matched: 2, updated: 1, candidates: 0 });
  });

  it('a retract leaves exactly the inventory of the remaining imports, and nothing of another tenant changes', async () => {
    const both = await world.tenant();
    const onlyA = await world.tenant();
    const other = await world.tenant();
    await world.drop(both, 'rvtools-week1.csv', FILE_A);
    const b = await world.drop(both, 'cmdb.csv', FILE_B);
    await world.drop(onlyA, 'rvtools-week1.csv', FILE_A);
    await world.drop(other, 'cmdb.csv', FILE_B);
    const otherBefore = await tenantSnapshot(world.sql, other);
    const [imp] = await world.sql<{ id: string }[]>`select id from data_imports where client_account_id = ${both.clientAccountId} and filename = 'cmdb.csv'`;
    expect(b.record.status).toBe('SUCCEEDED');

    const before = await inventory(world.sql, both);
    const dry = await retractImport(world.sql, imp!.id);
    expect(dry).toMatchObject({ applied: false, removed: { rawRecords: 3, assets: 3, fieldMappings: 5, inventoryItems: 1 }, rederivedItems: 2 });
    expect(await inventory(world.sql, both)).toEqual(before);

    const applied = await retractImport(world.sql, imp!.id, { apply: true });
    expect(applied).toMatchObject({ applied: true, removed: { inventoryItems: 1 }, rederivedItems: 2 });
    const strip = (items: Awaited<ReturnType<typeof inventory>>) => items.map(({ id: _, ...rest }) => rest);
    expect(strip(await inventory(world.sql, both))).toEqual(strip(await inventory(world.sql, onlyA)));
    const [keys] = await world.sql<{ a: string[]; b: string[] }[]>`
      select (select array_agg(kind || ':' || value order by kind, value) from inventory_item_keys where client_account_id = ${both.clientAccountId}) as a,
             (select array_agg(kind || ':' || value order by kind, value) from inventory_item_keys where client_account_id = ${onlyA.clientAccountId}) as b`;
    expect(keys!.a).toEqual(keys!.b);
    expect(await tenantSnapshot(world.sql, other)).toEqual(otherBefore);
  });

  it('a confirmed candidate merges the two items; a rejected one is never proposed again', async () => {
    const tenant = await world.tenant();
    await world.drop(tenant, 'one.csv', ['Hostname,IP Address', 'web01,10.0.0.1', 'db01,10.0.0.2'].join('\n'));
    await world.drop(tenant, 'two.csv', ['Hostname,IP Address', 'web01-new,10.0.0.1', 'db01-new,10.0.0.2'].join('\n'));
    const pending = await world.sql<{ id: string; reason: string }[]>`
      select id, reason from inventory_candidates where client_account_id = ${tenant.clientAccountId} order by reason`;
    expect(pending.map((p) => p.reason)).toEqual(['only the IP address 10.0.0.1 is shared (the host name differs)', 'only the IP address 10.0.0.2 is shared (the host name differs)']);
    await decideCandidate(world.sql, tenant, pending[0]!.id, 'confirmed');
    await decideCandidate(world.sql, tenant, pending[1]!.id, 'rejected');
    expect((await inventory(world.sql, tenant)).map((i) => [i.hostname, i.sources])).toEqual([
      ['db01', ['one.csv#2']],
      ['db01-new', ['two.csv#2']],
      ['web01-new', ['one.csv#1', 'two.csv#1']],
    ]);
    // a later drop of the same machines: the merged item matches, the rejected pair is not asked again
    const third = await world.drop(tenant, 'three.csv', ['Hostname,IP Address', 'web01-new,10.0.0.1', 'db01-new,10.0.0.2'].join('\n'));
    expect(third.record.status).toBe('SUCCEEDED');
    expect(await candidates(world.sql, tenant)).toEqual([{ reason: 'only the IP address 10.0.0.2 is shared (the host name differs)', status: 'rejected' }]);
    expect((await inventory(world.sql, tenant)).length).toBe(3);
  });

  it('two drops of one engagement at once give the inventory one after the other gives', async () => {
    const together = await world.tenant();
    const apart = await world.tenant();
    const [x, y] = await Promise.all([world.drop(together, 'rvtools-week1.csv', FILE_A), world.drop(together, 'cmdb.csv', FILE_B)]);
    expect([x.record.status, y.record.status]).toEqual(['SUCCEEDED', 'SUCCEEDED']);
    await world.drop(apart, 'rvtools-week1.csv', FILE_A);
    await world.drop(apart, 'cmdb.csv', FILE_B);
    const sources = async (t: Tenant) => (await inventory(world.sql, t)).map((i) => [i.hostname?.toLowerCase(), i.sources]);
    expect(await sources(together)).toEqual(await sources(apart));
  });
});
