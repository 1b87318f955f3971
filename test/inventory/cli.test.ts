import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runFlowlink } from '../support/cli.ts';
import { useTestDatabase } from '../support/db.ts';

const database = useTestDatabase();
let dir: string;

async function flowlink(...args: string[]) {
  const r = await runFlowlink(args, { DATABASE_URL: database.current.url, FLOWLINK_LOCAL_DIR: dir, S3_ENDPOINT: '' });
  return { code: r.code, out: r.stdout, err: r.stderr };
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'flowlink-inventory-cli-'));
  writeFileSync(join(dir, 'rvtools.csv'), ['Hostname,IP Address,RAM (GB)', 'web01,10.0.0.1,8', 'db01,10.0.0.2,32'].join('\n'));
  writeFileSync(join(dir, 'cmdb.csv'), ['Hostname,FQDN,IP Address,RAM (GB)', 'WEB01,web01.corp.example.com,10.0.0.1,16', 'web99,,10.0.0.2,4'].join('\n'));
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

const TENANT = ['--client', 'demo', '--engagement', 'demo-migration'];

describe('flowlink inventory, candidates, reject and retract', () => {
  it('run prints the inventory counts; inventory lists one item per machine with its sources; a candidate is rejected; a retract is a dry run until --apply', { timeout: 240_000 }, async () => {
    const first = await flowlink('run', join(dir, 'rvtools.csv'));
    expect(first.code, first.out + first.err).toBe(0);
    expect(first.out).toMatch(/^inventory\s+2 new, 0 matched, 0 updated, 0 candidate match\(es\)/m);
    const second = await flowlink('run', join(dir, 'cmdb.csv'));
    expect(second.code, second.out + second.err).toBe(0);
    expect(second.out).toMatch(/^inventory\s+1 new, 1 matched, 1 updated, 1 candidate match\(es\)/m);

    const json = await flowlink('inventory', ...TENANT, '--json');
    expect(json.code, json.err).toBe(0);
    const view = JSON.parse(json.out) as { items: Array<Record<string, unknown> & { sources: Array<Record<string, unknown>> }>; candidates: Array<{ id: string; reason: string }> };
    expect(view.items.map((i) => [i.hostname, i.fqdn, i.memoryGb, i.sources.map((s) => `${s.filename}#${s.rowNumber}`)])).toEqual([
      ['db01', null, 32, ['rvtools.csv#2']],
      ['WEB01', 'web01.corp.example.com', 16, ['rvtools.csv#1', 'cmdb.csv#1']],
      ['web99', null, 4, ['cmdb.csv#2']],
    ]);
    expect(Object.keys(view.items[0]!)).toEqual(
      expect.arrayContaining(['id', 'hostname', 'fqdn', 'ipAddresses', 'macAddresses', 'operatingSystem', 'osVersion', 'cpuCores', 'memoryGb', 'storageGb', 'assetType', 'environment', 'sources']),
    );
    expect(Object.keys(view.items[0]!.sources[0]!).sort()).toEqual(['assetId', 'dataImportId', 'filename', 'rowNumber']);
    expect(view.candidates.map((c) => c.reason)).toEqual(['only the IP address 10.0.0.2 is shared (the host name differs)']);

    const table = await flowlink('inventory', ...TENANT);
    expect(table.out).toMatch(/^WEB01\s+web01\.corp\.example\.com\s+10\.0\.0\.1 .*rvtools\.csv#1, cmdb\.csv#1/m);

    const rejected = await flowlink('inventory', 'reject', view.candidates[0]!.id, ...TENANT);
    expect(rejected.code, rejected.err).toBe(0);
    expect(rejected.out).toMatch(/rejected: items .* stay apart/);
    expect((await flowlink('inventory', 'candidates', ...TENANT)).out.trim()).toBe('no candidate matches');

    const cmdbImport = view.items[1]!.sources[1]!.dataImportId as string;
    const dry = await flowlink('retract', cmdbImport);
    expect(dry.code, dry.err).toBe(0);
    expect(dry.out).toMatch(/inventory items\s+1 removed \(no observation left\), 1 re-derived/);
    expect(dry.out).toMatch(/dry run: nothing changed/);
    const applied = await flowlink('retract', cmdbImport, '--apply', '--json');
    expect(JSON.parse(applied.out)).toMatchObject({ applied: true, removed: { rawRecords: 2, assets: 2, inventoryItems: 1 }, rederivedItems: 1 });
    const after = JSON.parse((await flowlink('inventory', ...TENANT, '--json')).out) as typeof view;
    expect(after.items.map((i) => [i.hostname, i.fqdn, i.memoryGb])).toEqual([
      ['db01', null, 32],
      ['web01', null, 8],
    ]);
    expect((await flowlink('retract', cmdbImport)).code).toBe(2);
  });
});
