import { describe, expect, it } from 'vitest';
import { planMapping } from '../../functions/_shared/inventory/field-mapper.ts';
import { checkFields } from '../../functions/_shared/inventory/field-warnings.ts';
import { compilePlan, toAsset, type AssetValues } from '../../functions/_shared/inventory/to-asset.ts';

const HEADERS = ['Hostname', 'FQDN', 'IP Address', 'MAC Address', 'CPU', 'Memory (GB)', 'Storage (GB)'];
const plan = compilePlan(planMapping(HEADERS));

/** The asset and warnings of one row: the cells given, the others a clean server's. */
function check(cells: Partial<Record<(typeof HEADERS)[number], unknown>>): { asset: AssetValues; warnings: Array<[string, string, string]> } {
  const row = { Hostname: 'web01', FQDN: 'web01.corp.example', 'IP Address': '10.0.0.1', 'MAC Address': '00:50:56:aa:bb:cc', CPU: '4', 'Memory (GB)': '16', 'Storage (GB)': '100', ...cells };
  const out = toAsset(plan, row);
  if (out.kind !== 'asset') throw new Error('no asset');
  return { asset: out.asset, warnings: checkFields(plan, row, out.asset).map((w) => [w.column, w.field, w.value]) };
}

describe('field warnings', () => {
  it('a clean row has none, and an empty cell is no warning', () => {
    expect(check({}).warnings).toEqual([]);
    expect(check({ CPU: '', 'Memory (GB)': '  ', 'IP Address': '' }).warnings).toEqual([]);
  });

  it.each([
    [{ 'Memory (GB)': 'sixteen' }, 'memory_gb', ['Memory (GB)', 'memory_gb', 'sixteen']],
    [{ 'Memory (GB)': '16 parsecs' }, 'memory_gb', ['Memory (GB)', 'memory_gb', '16 parsecs']],
    [{ 'Storage (GB)': '1e400' }, 'storage_gb', ['Storage (GB)', 'storage_gb', '1e400']],
    [{ CPU: 'n/a' }, 'cpu_cores', ['CPU', 'cpu_cores', 'n/a']],
    [{ CPU: '99999999999' }, 'cpu_cores', ['CPU', 'cpu_cores', '99999999999']],
    [{ CPU: 3_000_000_000 }, 'cpu_cores', ['CPU', 'cpu_cores', '3000000000']],
    [{ 'MAC Address': 'not-a-mac' }, 'mac_address', ['MAC Address', 'mac_address', 'not-a-mac']],
  ] as const)('%o leaves %s empty and says which column and value', (cells, field, warning) => {
    const { asset, warnings } = check(cells);
    expect(asset[field as keyof AssetValues]).toBeNull();
    expect(warnings).toEqual([warning]);
  });

  it('an address that is neither IPv4, IPv6 nor a MAC is warned; a list with one good address is not', () => {
    expect(check({ 'IP Address': 'tbd' }).warnings).toEqual([['IP Address', 'ip_address', 'tbd']]);
    expect(check({ 'IP Address': '10.0.0.1; fe80::1' }).warnings).toEqual([]);
  });

  it('a host name or DNS name longer than 253 characters is left empty, the value shortened in the warning', () => {
    const long = `${'a'.repeat(300)}`;
    const { asset, warnings } = check({ Hostname: long, FQDN: `${long}.example.com` });
    expect(asset.hostname).toBeNull();
    expect(asset.fqdn).toBeNull();
    expect(warnings.map(([column, field]) => [column, field])).toEqual([
      ['Hostname', 'hostname'],
      ['FQDN', 'fqdn'],
    ]);
    expect(warnings[0]![2]).toMatch(/^a{200}… \(300 characters\)$/);
  });
});
