/**
 * Input fidelity of the normaliser (issue 14, items 7–11): every number means what it meant, in
 * any locale style and notation; addresses are validated by a real parser; appliances are not
 * servers; the OS family stands in for a blank OS name. Examples plus fast-check properties.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { printSummary } from '../../cli/workflow-report.ts';
import { classifyAssetType } from '../../functions/_shared/inventory/asset-type.ts';
import { decideColumnUnits } from '../../functions/_shared/inventory/column-units.ts';
import { planMapping } from '../../functions/_shared/inventory/field-mapper.ts';
import { parseIps } from '../../functions/_shared/inventory/normalise.ts';
import { decimalEvidence, parseNumber, toGb, type DecimalMark, type SizeUnit } from '../../functions/_shared/inventory/numbers.ts';
import { compilePlan, toAsset, type AssetValues } from '../../functions/_shared/inventory/to-asset.ts';
import type { RunSummary } from '../../workflows/local/pipeline.ts';

/** The asset one row of a file with these headers gives. */
function assetOf(headers: string[], values: string[], decimals?: Record<string, DecimalMark>): AssetValues {
  const row = Object.fromEntries(headers.map((h, i) => [h, values[i] ?? '']));
  const mapping = planMapping(headers);
  // the size units of a one-row column, as PlanDiscovery decides them for a whole one
  const units = Object.fromEntries(Object.entries(decideColumnUnits(mapping.mappings, [row], decimals)).map(([h, d]) => [h, d.unit]));
  const plan = compilePlan(mapping, decimals, units);
  const out = toAsset(plan, row);
  if (out.kind !== 'asset') throw new Error(`skipped: ${out.reason}`);
  return out.asset;
}

// ---- locale styles, written the way exports write them ----
interface Style {
  name: string;
  decimal: DecimalMark;
  group: string;
}
const STYLES: Style[] = [
  { name: '1,234.5', decimal: '.', group: ',' },
  { name: '1.234,5', decimal: ',', group: '.' },
  { name: '1 234,5', decimal: ',', group: ' ' },
  { name: '1\u00a0234,5', decimal: ',', group: '\u00a0' },
  { name: "1'234.5", decimal: '.', group: "'" },
  { name: '1234.5', decimal: '.', group: '' },
  { name: '1234,5', decimal: ',', group: '' },
];

/** `cents / 100` written in a style: digits grouped by three, the decimals as given (0–2). */
function write(cents: number, decimals: 0 | 1 | 2, style: Style): string {
  const fixed = (cents / 100).toFixed(decimals);
  const [int, frac] = fixed.split('.');
  const grouped = int!.replace(/\B(?=(\d{3})+(?!\d))/g, style.group);
  return frac ? `${grouped}${style.decimal}${frac}` : grouped;
}

const valueArb = fc
  .record({
    // every magnitude equally often: 1,234 and 1.234 shapes need values below a million
    cents: fc.integer({ min: 0, max: 11 }).chain((digits) => fc.integer({ min: 0, max: 10 ** digits })),
    decimals: fc.constantFrom(0 as const, 1 as const, 2 as const),
    style: fc.constantFrom(...STYLES),
  })
  .map(({ cents, decimals, style }) => {
    const exact = Number((cents / 100).toFixed(decimals));
    return { text: write(cents, decimals, style), value: exact, style };
  });

describe('numbers: one parser for every path (item 7)', () => {
  it('reads a decimal comma in a size column the same way with or without a unit: 4.096,00 MB is 4 GB', () => {
    // the generic guess for a memory column without a unit (≥ 1024 → MB) must see 4096, not 4.096
    expect(assetOf(['Host Name', 'RAM'], ['web01', '4.096,00']).memory_gb).toBe(4);
    expect(assetOf(['Host Name', 'Disk'], ['web01', '1.000.000']).storage_gb).toBe(976.563);
    expect(assetOf(['Host Name', 'RAM (MB)'], ['web01', '4.096,00']).memory_gb).toBe(4);
    expect(assetOf(['Host Name', 'RAM'], ['web01', '4.096,00 MB']).memory_gb).toBe(4);
  });

  it("property: any value in any locale style parses back to the same value, given the column's decimal mark", () => {
    fc.assert(
      fc.property(valueArb, ({ text, value, style }) => {
        expect(parseNumber(text, style.decimal)).toBe(value);
      }),
      { numRuns: 2000 },
    );
  });

  it('property: without context, a cell either proves its style or reads the same in both', () => {
    fc.assert(
      fc.property(valueArb, ({ text, value, style }) => {
        const evidence = decimalEvidence(text);
        // a cell never proves the opposite of the style it was written in
        if (evidence !== null) expect(evidence).toBe(style.decimal);
        if (evidence !== null || parseNumber(text, '.') === parseNumber(text, ',')) expect(parseNumber(text)).toBe(value);
      }),
      { numRuns: 2000 },
    );
  });

  it('property: sizes with the unit in the cell, the header or neither give the same GB', () => {
    const units: SizeUnit[] = ['MB', 'GB', 'TB'];
    const perGb: Record<string, number> = { MB: 1 / 1024, GB: 1, TB: 1024 };
    fc.assert(
      fc.property(valueArb, fc.constantFrom(...units), fc.constantFrom('cell', 'cell-nospace', 'header'), ({ text, value, style }, unit, where) => {
        const cell = where === 'cell' ? `${text} ${unit}` : where === 'cell-nospace' ? `${text}${unit}` : text;
        const expected = Math.round(value * perGb[unit]! * 1000) / 1000;
        expect(toGb(cell, where === 'header' ? unit : null, 'GB', style.decimal)).toBe(expected);
      }),
      { numRuns: 2000 },
    );
  });

  it('decides an ambiguous cell (1,234) by its column: thousands in a column of 16,384s, a decimal comma beside 0,5', () => {
    expect(parseNumber('1,234')).toBe(1234);
    expect(parseNumber('1,234', ',')).toBe(1.234);
    expect(parseNumber('1.234', ',')).toBe(1234);
    expect(decimalEvidence('1,234')).toBeNull();
    expect(decimalEvidence('0,5')).toBe(',');
    expect(decimalEvidence('1.234.567')).toBe(',');
    expect(decimalEvidence('1,234,567')).toBe('.');
    expect(assetOf(['Host Name', 'Disk (TB)'], ['web01', '1,250'], { 'Disk (TB)': ',' }).storage_gb).toBe(1280);
    expect(assetOf(['Host Name', 'Disk (TB)'], ['web01', '1,250'], { 'Disk (TB)': '.' }).storage_gb).toBe(1280000);
  });
});

describe('scientific notation (item 8)', () => {
  it('reads 1.07374E+11 bytes as Excel wrote it, not its mantissa', () => {
    expect(parseNumber('1.07374E+11')).toBe(107374000000);
    expect(parseNumber('1,07374E+11')).toBe(107374000000);
    expect(parseNumber('2.5e3')).toBe(2500);
    expect(toGb('1.07374E+11', 'B')).toBe(100);
    expect(assetOf(['Host Name', 'Disk (Bytes)'], ['web01', '1.07374E+11']).storage_gb).toBe(100);
  });

  it('property: any finite number written with toExponential/toPrecision reads back', () => {
    fc.assert(
      fc.property(fc.double({ min: 0, max: 1e15, noNaN: true }), fc.integer({ min: 1, max: 15 }), (n, digits) => {
        const written = n
          .toExponential(digits - 1)
          .toUpperCase()
          .replace('E', 'E');
        expect(parseNumber(written)).toBe(Number(written));
        expect(parseNumber(written.replace('.', ','), ',')).toBe(Number(written));
      }),
      { numRuns: 1000 },
    );
  });
});

describe('addresses (item 9)', () => {
  it('does not take a MAC address for an IPv6 address; keeps it as the MAC', () => {
    expect(parseIps('00:1B:44:11:3A:B7').all).toEqual([]);
    const a = assetOf(['Host Name', 'IP Address'], ['web01', '10.0.0.1, 00:50:56:aa:01:05']);
    expect(a.ip_addresses).toEqual(['10.0.0.1']);
    expect(a.mac_address).toBe('00:50:56:aa:01:05');
    expect(assetOf(['*Server name', '*Cores', '*Memory (In MB)', 'MAC address'], ['web01', '2', '1024', '00-50-56-AA-01-05']).mac_address).toBe('00-50-56-AA-01-05');
  });

  const macArb = fc.tuple(fc.array(fc.integer({ min: 0, max: 255 }), { minLength: 6, maxLength: 6 }), fc.constantFrom(':', '-'), fc.boolean()).map(([bytes, sep, upper]) =>
    bytes
      .map((b) => b.toString(16).padStart(2, '0'))
      .join(sep)
      [upper ? 'toUpperCase' : 'toLowerCase'](),
  );

  it('property: every IPv4/IPv6 address is kept; no MAC address is ever an IP', () => {
    fc.assert(
      fc.property(fc.oneof(fc.ipV4(), fc.ipV6()), macArb, (ip, mac) => {
        expect(parseIps(`${ip}; ${mac}`)).toMatchObject({ all: [ip], mac: [mac] });
      }),
      { numRuns: 2000 },
    );
  });
});

describe('appliances are not servers (item 10)', () => {
  const cases: Array<[string, Record<string, string>, 'network' | 'storage', RegExp]> = [
    ['F5 in the class', { Class: 'F5 BIG-IP' }, 'network', /load balancer/],
    ['ServiceNow LB class', { sys_class_name: 'cmdb_ci_lb_bigip' }, 'network', /load balancer/],
    ['Citrix ADC by model', { Class: 'cmdb_ci_server', Model: 'Citrix ADC MPX 8900' }, 'network', /load balancer/],
    ['A10 by manufacturer', { Class: 'Server', Manufacturer: 'A10 Networks' }, 'network', /load balancer/],
    ['Palo Alto by manufacturer', { Class: 'cmdb_ci_server', Manufacturer: 'Palo Alto Networks' }, 'network', /firewall/],
    ['Fortinet', { Manufacturer: 'Fortinet', Model: 'FortiGate 600E' }, 'network', /firewall/],
    ['Check Point', { Class: 'Server', Manufacturer: 'Check Point Software' }, 'network', /firewall/],
    ['NetApp', { Class: 'cmdb_ci_server', Manufacturer: 'NetApp' }, 'storage', /storage array/],
    ['NetApp former name', { Manufacturer: 'Network Appliance, Inc.' }, 'storage', /storage array/],
    ['Pure Storage', { Class: 'Server', Manufacturer: 'Pure Storage' }, 'storage', /storage array/],
    ['Dell EMC array', { Class: 'Server', Manufacturer: 'Dell EMC', Model: 'Unity 480F' }, 'storage', /storage array/],
    ['HPE array', { Manufacturer: 'HPE', Model: '3PAR StoreServ 8200' }, 'storage', /storage array/],
    ['class hierarchy', { Class: 'Hardware > Network Gear > Load Balancer' }, 'network', /load balancer/],
  ];
  it.each(cases)('%s', (_, columns, type, reason) => {
    const headers = ['Host Name', 'IP Address', ...Object.keys(columns)];
    const a = assetOf(headers, ['app-01', '10.0.0.9', ...Object.values(columns)]);
    expect(a.asset_type).toBe(type);
    expect(a.asset_type_reason).toMatch(reason);
  });

  it('keeps servers of vendors that also sell arrays (HPE ProLiant, Dell EMC PowerEdge) servers', () => {
    expect(assetOf(['Host Name', 'IP Address', 'Manufacturer', 'Model'], ['web01', '10.0.0.1', 'HPE', 'ProLiant DL380 Gen10']).asset_type).toBe('server');
    expect(assetOf(['Host Name', 'IP Address', 'Manufacturer', 'Model'], ['web01', '10.0.0.1', 'Dell EMC', 'PowerEdge R740']).asset_type).toBe('server');
    expect(classifyAssetType({ hasHostAttributes: true, manufacturer: 'Citrix', model: 'Virtual Apps' }).type).toBe('server');
  });
});

describe('OS family and version (item 11)', () => {
  it('falls back to the OS family when the OS name is blank', () => {
    const headers = ['MachineId', 'MachineName', 'AllocatedProcessorCoreCount', 'MemoryGiB', 'OsType', 'OsName', 'OsVersion'];
    const a = assetOf(headers, ['vm-1', 'web01', '2', '4', 'Linux', '', '']);
    expect(a.operating_system).toBe('Linux');
    expect(a.custom_attributes).toMatchObject({ os_type: 'Linux' });
    expect(assetOf(['Host Name', 'OS Name', 'OS Family'], ['web01', '', 'Windows']).operating_system).toBe('Windows');
    expect(assetOf(['Host Name', 'OS Name', 'OS Family'], ['web01', 'Ubuntu 22.04', 'Linux']).operating_system).toBe('Ubuntu');
  });

  it('shows the OS name and version in the run summary', () => {
    const lines: string[] = [];
    const summary = {
      execution: 'import-x',
      status: 'SUCCEEDED',
      error: null,
      dataImportId: 'i',
      importStatus: 'completed',
      flowId: 'f',
      flowStatus: 'completed',
      rowsStored: 2,
      rowsLinked: 2,
      discoveryFlowId: 'd',
      assetsDiscovered: 2,
      fieldMappings: 3,
      integrity: { ok: true, healthScore: 100 },
      errorMessage: null,
      sourceSystem: 'generic_cmdb',
      assetsByType: { server: 2 },
      sampleAssets: [
        {
          rowNumber: 1,
          hostname: 'old',
          assetType: 'server',
          ipAddress: null,
          operatingSystem: 'Microsoft Windows Server',
          osVersion: '2012 R2',
          cpuCores: 2,
          memoryGb: 4,
          storageGb: null,
          environment: null,
        },
        {
          rowNumber: 2,
          hostname: 'new',
          assetType: 'server',
          ipAddress: null,
          operatingSystem: 'Microsoft Windows Server',
          osVersion: '2022',
          cpuCores: 2,
          memoryGb: 4,
          storageGb: null,
          environment: null,
        },
      ],
    } as unknown as RunSummary;
    printSummary(summary, (l) => lines.push(l));
    const out = lines.join('\n');
    expect(out).toContain('Microsoft Windows Server 2012 R2');
    expect(out).toContain('Microsoft Windows Server 2022');
  });
});
