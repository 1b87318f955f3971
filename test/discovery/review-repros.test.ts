/**
 * The mapping defects of the code review (review-code F5, F6, F11) as they were reproduced, plus
 * properties of the new pure rules (size units by column, record paths, header rows, ports).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decideColumnUnits, decideSizeUnit, sizeStats } from '../../functions/_shared/inventory/column-units.ts';
import { planMapping } from '../../functions/_shared/inventory/field-mapper.ts';
import { parseHostname, parseIps, splitOs } from '../../functions/_shared/inventory/normalise.ts';
import { compilePlan, toAsset, type AssetValues } from '../../functions/_shared/inventory/to-asset.ts';
import { findHeaderRow } from '../../functions/store-import/formats/header-row.ts';
import { findRecords } from '../../functions/store-import/formats/json-records.ts';

/** The assets of a file given as header and rows, with the column decisions PlanDiscovery takes. */
function assetsOf(headers: string[], rows: string[][]): AssetValues[] {
  const records = rows.map((values) => Object.fromEntries(headers.map((h, i) => [h, values[i] ?? ''])));
  const plan = planMapping(headers);
  const units = Object.fromEntries(Object.entries(decideColumnUnits(plan.mappings, records)).map(([h, d]) => [h, d.unit]));
  const cp = compilePlan(plan, {}, units);
  return records.map((r) => {
    const out = toAsset(cp, r);
    if (out.kind !== 'asset') throw new Error(out.reason);
    return out.asset;
  });
}

describe('F5: one size column, one unit', () => {
  const headers = ['Hostname', 'IP Address', 'Operating System', 'CPU', 'Memory', 'Disk'];
  const rows = [
    ['web01.corp.example.com', '10.0.0.5:8080', 'Microsoft Windows Server 2019 Datacenter', '4 vCPU', '512', '51200'],
    ['CORP\\web02', '10.0.0.6, 10.0.0.7', 'Other 3.x or later Linux (64-bit)', '2', '768', '102400'],
    ['web03', '[2001:db8::1]:443', 'CentOS 7 (64-bit)', '2', '2048', '40'],
    ['web04', '10.0.0.9', 'Red Hat Enterprise Linux 8.9', '8', '16 GB', '120 GB'],
    ['web05', '10.0.0.10 / 10.0.0.11', 'Ubuntu 22.04.3 LTS', '16', '1536', '2048'],
  ];

  it('reads the whole Memory column in MB and the whole Disk column in MB (cells with a unit keep theirs)', () => {
    const assets = assetsOf(headers, rows);
    expect(assets.map((a) => a.memory_gb)).toEqual([0.5, 0.75, 2, 16, 1.5]);
    expect(assets.map((a) => a.storage_gb)).toEqual([50, 100, 0.039, 120, 2]);
  });

  it('F11: keeps an IP written with a port, the host of DOMAIN\\host, and "Linux" in the OS name', () => {
    const assets = assetsOf(headers, rows);
    expect(assets[0]!.ip_address).toBe('10.0.0.5');
    expect(assets[2]!.ip_address).toBe('2001:db8::1');
    expect(assets[1]!).toMatchObject({ hostname: 'web02', name: 'web02', operating_system: 'Other 3.x or later Linux', os_version: null });
  });

  it('property: the unit decided for a column does not depend on the order of its cells, and every cell of it is read in that unit', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: 4_000_000 }), { minLength: 1, maxLength: 30 }), fc.constantFrom('memory' as const, 'storage' as const), (values, kind) => {
        const a = decideSizeUnit(kind, sizeStats(values.map(String)));
        const b = decideSizeUnit(kind, sizeStats([...values].reverse().map(String)));
        expect(a.unit).toBe(b.unit);
        const header = kind === 'memory' ? 'Memory' : 'Disk';
        const assets = assetsOf(
          ['Hostname', header],
          values.map((v, i) => [`h${i}`, String(v)]),
        );
        const perGb = { B: 1024 ** 3, KB: 1024 ** 2, MB: 1024, GB: 1, TB: 1 / 1024 }[a.unit];
        // a size that rounds to 0 GB is no size
        for (const [i, asset] of assets.entries()) expect(asset[kind === 'memory' ? 'memory_gb' : 'storage_gb']).toBe(Math.round((values[i]! / perGb) * 1000) / 1000 || null);
      }),
      { numRuns: 300 },
    );
  });
});

describe('F6: headers that measure are not quantities; vSphere Host is the hypervisor', () => {
  it('maps the vSphere Client export: Host to virtualization_host, Guest Mem - % kept as a custom attribute', () => {
    const headers = ['Name', 'State', 'Status', 'Provisioned Space', 'Used Space', 'Host CPU', 'Host Mem', 'Guest Mem - %', 'Host', 'Guest OS', 'IP Address'];
    const plan = planMapping(headers);
    const by = Object.fromEntries(plan.mappings.map((m) => [m.sourceField, m.targetField]));
    expect(by).toMatchObject({ Host: 'custom_attributes.virtualization_host', 'Guest Mem - %': 'custom_attributes.guest_memory_percent', 'Host Mem': 'custom_attributes.host_memory_usage' });
    const [a] = assetsOf(headers, [['app-vm-01', 'Powered On', 'Normal', '120.5 GB', '80.2 GB', '120 MHz', '8.1 GB', '23', 'esx01.corp.local', 'Microsoft Windows Server 2019 (64-bit)', '10.1.0.11']]);
    expect(a).toMatchObject({ hostname: 'app-vm-01', fqdn: null, memory_gb: null, storage_gb: 120.5 });
  });

  it('a generic "Host" beside a name column is the hypervisor; alone it is the host name', () => {
    expect(planMapping(['VM Name', 'Host', 'IP']).mappings.find((m) => m.sourceField === 'Host')!.targetField).toBe('custom_attributes.virtualization_host');
    expect(planMapping(['Host', 'IP']).mappings.find((m) => m.sourceField === 'Host')!.targetField).toBe('hostname');
  });

  it('Disk Count and Mem % feed nothing: storage stays blank where the size is blank', () => {
    const assets = assetsOf(
      ['Hostname', 'IP Address', 'Disk Size (GB)', 'Disk Count', 'Mem %'],
      [
        ['dc1', '10.0.0.1', '500', '2', '35'],
        ['dc2', '10.0.0.2', '', '3', '80'],
      ],
    );
    expect(assets.map((a) => [a.storage_gb, a.memory_gb])).toEqual([
      [500, null],
      [null, null],
    ]);
  });

  it('sockets, clock speed and logical processors are never cores; 0 is unknown', () => {
    const assets = assetsOf(
      ['AssetName', 'NrProcessors', 'NumberOfCores', 'NumberOfLogicalProcessors', 'MaxClockSpeed'],
      [
        ['a', '2', '24', '48', '2600'],
        ['b', '1', '0', '0', '0'],
      ],
    );
    expect(assets.map((a) => a.cpu_cores)).toEqual([24, 1]);
  });
});

describe('generic path: other languages', () => {
  it('reads a French export: headers, Go units, a no-break-space thousands group, environments', () => {
    const assets = assetsOf(
      ['Nom du serveur', 'Adresse IP', "Système d'exploitation", 'Cœurs', 'Mémoire (Go)', 'Disque (Go)', 'Environnement'],
      [
        ['paris-web1', '10.7.0.1', 'Windows Server 2022', '4', '16', '2\u00a0048,5', 'Production'],
        ['paris-app2', '10.7.0.2', 'Debian 12', '8', '64', '500', 'Recette'],
      ],
    );
    expect(assets.map((a) => [a.name, a.ip_address, a.operating_system, a.cpu_cores, a.memory_gb, a.storage_gb, a.environment])).toEqual([
      ['paris-web1', '10.7.0.1', 'Windows Server', 4, 16, 2048.5, 'production'],
      ['paris-app2', '10.7.0.2', 'Debian', 8, 64, 500, 'uat'],
    ]);
  });
});

describe('pure rules of the readers', () => {
  it('finds ec2 instances under Reservations, the largest array elsewhere, never an array inside a record', () => {
    expect(findRecords({ Reservations: [{ Instances: [{ a: 1 }, { a: 2 }] }, { Instances: [{ a: 3 }] }] })).toMatchObject({
      path: 'Reservations[].Instances[]',
      records: [{ a: 1 }, { a: 2 }, { a: 3 }],
    });
    expect(findRecords({ count: 2, value: [{ name: 'x', tags: [{ k: 1 }, { k: 2 }, { k: 3 }] }, { name: 'y' }] })!.path).toBe('value[]');
    expect(findRecords({ hostname: 'a', cpu: 2 })).toMatchObject({ path: '$' });
    expect(findRecords({ servers: [] })).toBeNull();
    expect(findRecords({ web01: { os: 'a' }, db01: { os: 'b' } })).toMatchObject({
      path: '$.*',
      keyField: 'name',
      records: [
        { name: 'web01', os: 'a' },
        { name: 'db01', os: 'b' },
      ],
    });
  });

  it('finds the header below a title, notes and a merged group-header row', () => {
    const rows = [
      ['Contoso server list'],
      ['Notes: sizes by owners'],
      [],
      ['Identity', '', '', 'Platform', '', 'Sizing'],
      ['Server', 'IP address(es)', 'Environment', 'Operating system', 'Physical/Virtual', 'CPU', 'RAM', 'Disk'],
      ['CON-WEB-01', '10.9.1.10', 'Prod', 'Windows', 'Virtual', '4', '16 GB', '200 GB'],
    ];
    expect(findHeaderRow(rows)!.index).toBe(4);
  });

  it('property: an IPv4 or IPv6 address with a port is the address', () => {
    fc.assert(
      fc.property(fc.ipV4(), fc.ipV6(), fc.integer({ min: 1, max: 65535 }), (v4, v6, port) => {
        expect(parseIps(`${v4}:${port}`).all).toEqual([v4]);
        expect(parseIps(`[${v6}]:${port}`).all).toEqual([v6]);
      }),
      { numRuns: 500 },
    );
  });

  it('reads DOMAIN\\host and PowerCLI\'s "vm:OS" guest strings', () => {
    expect(parseHostname('CORP\\web02')).toEqual({ hostname: 'web02', fqdn: null });
    expect(splitOs('app-web-01:Microsoft Windows Server 2019 (64-bit)')).toEqual({ name: 'Microsoft Windows Server', version: '2019' });
    expect(splitOs('Cisco IOS 15.4(3)M')).toEqual({ name: 'Cisco IOS', version: '15.4(3)M' });
  });
});
