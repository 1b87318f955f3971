import { describe, expect, it } from 'vitest';
import { classifyAssetType } from '../../functions/_shared/inventory/asset-type.ts';
import { headerTokens } from '../../functions/_shared/inventory/headers.ts';
import { normaliseEnvironment, normalisePowerState, parseBoolean, parseHostname, parseIps, splitOs, text } from '../../functions/_shared/inventory/normalise.ts';
import { isBlank, parseCount, parseNumber, toGb, unitInCell, unitInHeader } from '../../functions/_shared/inventory/numbers.ts';

describe('parseNumber', () => {
  it.each([
    ['16,384', 16384],
    ['1,234,567', 1234567],
    ['1,5', 1.5],
    ['0,25', 0.25],
    ['1.234,5', 1234.5],
    ['1,234.5', 1234.5],
    ['16.384.000', 16384000],
    ['16 384', 16384],
    ['1 024,5', 1024.5],
    ['16\u00a0384', 16384],
    ['42', 42],
    ['3.75', 3.75],
    ['16 GB', 16],
    ['-', null],
    ['', null],
    ['n/a', null],
    ['abc', null],
    [12, 12],
  ])('%j → %j', (input, expected) => {
    expect(parseNumber(input)).toBe(expected);
  });
});

describe('sizes in GB', () => {
  it('reads the unit from the cell before the header, and the header before the fallback', () => {
    expect(toGb('16384', 'MB')).toBe(16);
    expect(toGb('16,384', 'MB')).toBe(16);
    expect(toGb('1,5 TB', 'GB')).toBe(1536);
    expect(toGb('512 MiB', null)).toBe(0.5);
    expect(toGb('2', 'TB')).toBe(2048);
    expect(toGb('8', null, 'GB')).toBe(8);
    expect(toGb('8', null, 'MB')).toBe(0.008);
    expect(toGb('1073741824', 'B')).toBe(1);
    expect(toGb('', 'MB')).toBeNull();
    expect(toGb('-5', 'GB')).toBeNull();
  });

  it('finds units in headers however they are written', () => {
    expect(unitInHeader('Memory (In MB)')).toBe('MB');
    expect(unitInHeader('RAM.TotalSizeInMB')).toBe('MB');
    expect(unitInHeader('MemoryGiB')).toBe('GB');
    expect(unitInHeader('Provisioned MiB')).toBe('MB');
    expect(unitInHeader('disk_space (GB)')).toBe('GB');
    expect(unitInHeader('Disk Capacity (TB)')).toBe('TB');
    expect(unitInHeader('ram gb')).toBe('GB');
    expect(unitInHeader('Memory')).toBeNull();
    expect(unitInHeader('Number of disks')).toBeNull();
    expect(unitInHeader('vInfoMemory')).toBeNull();
  });

  it('finds units in cells', () => {
    expect(unitInCell('16 GB')).toBe('GB');
    expect(unitInCell('16GiB')).toBe('GB');
    expect(unitInCell('1,5 TB')).toBe('TB');
    expect(unitInCell('16384')).toBeNull();
  });

  it('counts cores, multiplying "2 x 4"', () => {
    expect(parseCount('8')).toBe(8);
    expect(parseCount('2 x 4')).toBe(8);
    expect(parseCount('')).toBeNull();
  });
});

describe('text fields', () => {
  it('treats blanks and placeholders as null and keeps non-ASCII text', () => {
    expect(isBlank('  ')).toBe(true);
    expect(isBlank('N/A')).toBe(true);
    expect(text('  zürich-app-01 ')).toBe('zürich-app-01');
    expect(text('東京-web')).toBe('東京-web');
  });

  it('takes the first IPv4 of a multi-valued cell and keeps the rest', () => {
    expect(parseIps('10.0.0.5, 10.0.0.6')).toEqual({ primary: '10.0.0.5', all: ['10.0.0.5', '10.0.0.6'], mac: [] });
    expect(parseIps('fe80::1; 192.168.5.20')).toEqual({ primary: '192.168.5.20', all: ['fe80::1', '192.168.5.20'], mac: [] });
    expect(parseIps('2001:db8::9')).toEqual({ primary: '2001:db8::9', all: ['2001:db8::9'], mac: [] });
    expect(parseIps('10.1.1.1/24 | 10.1.1.1')).toEqual({ primary: '10.1.1.1', all: ['10.1.1.1'], mac: [] });
    expect(parseIps('not an ip 999.1.1.1')).toEqual({ primary: null, all: [], mac: [] });
  });

  it('splits OS name and version, unless a version column has one', () => {
    expect(splitOs('Microsoft Windows Server 2019 (64-bit)')).toEqual({ name: 'Microsoft Windows Server', version: '2019' });
    expect(splitOs('Ubuntu 22.04.3 LTS')).toEqual({ name: 'Ubuntu', version: '22.04.3 LTS' });
    expect(splitOs('Red Hat Enterprise Linux 8.6')).toEqual({ name: 'Red Hat Enterprise Linux', version: '8.6' });
    expect(splitOs('Other Linux (64-bit)')).toEqual({ name: 'Other Linux', version: null });
    expect(splitOs('Microsoft Windows Server 2019 Datacenter', '10.0.17763')).toEqual({ name: 'Microsoft Windows Server 2019 Datacenter', version: '10.0.17763' });
    expect(splitOs('', '')).toEqual({ name: null, version: null });
  });

  it.each([
    ['prod', 'production'],
    ['Production', 'production'],
    ['PRD', 'production'],
    ['live', 'production'],
    ['Dev', 'development'],
    ['QA', 'test'],
    ['tst', 'test'],
    ['UAT', 'uat'],
    ['Pre-Prod', 'staging'],
    ['Disaster recovery', 'disaster_recovery'],
    ['Lab', 'sandbox'],
    ['Gemischt', 'gemischt'],
    ['', null],
  ])('environment %j → %j', (input, expected) => {
    expect(normaliseEnvironment(input)).toBe(expected);
  });

  it('reads booleans, power states and host names', () => {
    expect(parseBoolean('True')).toBe(true);
    expect(parseBoolean('FALSE')).toBe(false);
    expect(parseBoolean('maybe')).toBeNull();
    expect(normalisePowerState('poweredOff')).toBe('off');
    expect(normalisePowerState('Running')).toBe('on');
    expect(normalisePowerState('suspended')).toBe('suspended');
    expect(parseHostname('web01.corp.example.com')).toEqual({ hostname: 'web01', fqdn: 'web01.corp.example.com' });
    expect(parseHostname('zürich-app-01')).toEqual({ hostname: 'zürich-app-01', fqdn: null });
    expect(parseHostname('Core Switch A')).toEqual({ hostname: null, fqdn: null });
    expect(parseHostname('10.0.0.1')).toEqual({ hostname: null, fqdn: null });
  });

  it('splits headers into words without their units', () => {
    expect(headerTokens('RAM.TotalSizeInMB')).toEqual(['ram', 'total', 'size']);
    expect(headerTokens('*Memory (In MB)')).toEqual(['memory']);
    expect(headerTokens('PrimaryIPAddress(optional)')).toEqual(['primary', 'ip', 'address']);
    expect(headerTokens('MemoryGiB')).toEqual(['memory']);
  });
});

describe('classifyAssetType', () => {
  const base = { hasHostAttributes: false };
  it('follows a type column first', () => {
    expect(classifyAssetType({ ...base, typeColumn: { header: 'sys_class_name', value: 'cmdb_ci_linux_server' } }).type).toBe('server');
    expect(classifyAssetType({ ...base, typeColumn: { header: 'Type', value: 'Database' } })).toEqual({
      type: 'database',
      reason: 'type column "Type" is "Database"',
    });
    expect(classifyAssetType({ ...base, typeColumn: { header: 'Type', value: 'Load Balancer' } }).type).toBe('network');
    expect(classifyAssetType({ ...base, typeColumn: { header: 'Class', value: 'NAS' } }).type).toBe('storage');
    expect(classifyAssetType({ ...base, typeColumn: { header: 'Class', value: 'Business Application' } }).type).toBe('application');
  });

  it('then network operating systems, machine formats, database names, bare applications, host attributes', () => {
    expect(classifyAssetType({ ...base, operatingSystem: 'Cisco NX-OS' }).type).toBe('network');
    expect(classifyAssetType({ ...base, formatRowsAreMachines: true, formatLabel: 'RVTools vInfo', name: 'db-01' })).toEqual({
      type: 'server',
      reason: 'every row of a RVTools vInfo file is a machine',
    });
    expect(classifyAssetType({ ...base, name: 'fin-sql02', hasHostAttributes: true }).type).toBe('database');
    expect(classifyAssetType({ ...base, name: 'Payroll', applicationName: 'Payroll' }).type).toBe('application');
    expect(classifyAssetType({ ...base, name: 'web01', hasHostAttributes: true }).reason).toMatch(/host attributes/);
    expect(classifyAssetType({ ...base, name: 'thing' }).reason).toMatch(/default/);
  });
});
