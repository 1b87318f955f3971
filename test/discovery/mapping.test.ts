import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { describe, expect, it } from 'vitest';
import { matchHeader, planMapping } from '../../functions/_shared/inventory/field-mapper.ts';
import { recogniseFormat } from '../../functions/_shared/inventory/formats.ts';
import { compilePlan, toAsset, type AssetValues } from '../../functions/_shared/inventory/to-asset.ts';
import { EXPECTED } from './expected.ts';

const FIXTURES = join(import.meta.dirname, '..', 'fixtures', 'inventory');

/** A sample CSV as StoreImport stores it: one object per row keyed by header, values as strings. */
function readCsv(file: string) {
  const text = readFileSync(join(FIXTURES, file), 'utf8');
  const firstLine = text.slice(0, text.indexOf('\n'));
  const delimiter = firstLine.split(';').length > firstLine.split(',').length ? ';' : ',';
  const records = parse(text, { delimiter, bom: true, relax_column_count: true }) as string[][];
  const [headers, ...rows] = records;
  return { headers: headers!, rows: rows.map((r) => Object.fromEntries(headers!.map((h, i) => [h, r[i] ?? '']))) };
}

describe('format recognition', () => {
  for (const expected of EXPECTED.filter((e) => e.file.endsWith('.csv'))) {
    it(`recognises ${expected.file} as ${expected.sourceSystem}`, () => {
      const { headers } = readCsv(expected.file);
      expect(planMapping(headers).sourceSystem).toBe(expected.sourceSystem);
    });
  }

  it('needs the signature, not one shared column name', () => {
    expect(recogniseFormat(['VM', 'CPUs', 'Owner'])).toBeNull();
    expect(recogniseFormat(['name', 'ip_address'])).toBeNull();
    expect(recogniseFormat(['ExternalId', 'HostName'])).toBeNull();
    expect(recogniseFormat(['MachineId', 'MachineName', 'MemoryGiB'])?.id).toBe('google_migration_center');
    expect(recogniseFormat(['Server name', 'Cores', 'Memory (In MB)'])?.id).toBe('azure_migrate');
  });
});

describe('field mapping', () => {
  for (const expected of EXPECTED.filter((e) => e.file.endsWith('.csv'))) {
    it(`maps the columns of ${expected.file}, keeping every one`, () => {
      const { headers } = readCsv(expected.file);
      const plan = planMapping(headers);
      expect(plan.mappings.map((m) => m.sourceField)).toEqual(headers);
      for (const [source, want] of Object.entries(expected.mappings)) {
        const m = plan.mappings.find((x) => x.sourceField === source);
        expect(m, source).toBeDefined();
        expect({ target: m!.targetField, matchType: m!.matchType }, source).toEqual({ target: want.target, matchType: want.matchType });
        if (want.confidence !== undefined) expect(m!.confidence, source).toBe(want.confidence);
      }
      // no two columns share a custom attribute key (one would overwrite the other)
      const custom = plan.mappings.filter((m) => m.targetField.startsWith('custom_attributes.')).map((m) => m.targetField);
      expect(new Set(custom).size).toBe(custom.length);
    });
  }

  it.each([
    ['Host Name', 'hostname', 'exact'],
    ['DNS Name', 'hostname', 'synonym'],
    ['hostname', 'hostname', 'exact'],
    ['Total RAM', 'memory_gb', 'fuzzy'],
    ['Operating Sytem', 'operating_system', 'fuzzy'],
    ['Primary IP', 'ip_address', 'synonym'],
    ['Environment', 'environment', 'exact'],
    ['Cores per Socket', 'cores_per_socket', 'exact'],
    ['Sockets', 'cpu_sockets', 'synonym'],
  ])('generic header %j → %s (%s)', (header, target, matchType) => {
    expect(matchHeader(header)).toMatchObject({ target, matchType });
  });

  it('leaves unrelated headers unmapped rather than guessing', () => {
    expect(matchHeader('Backup Server')).toBeNull();
    expect(matchHeader('Cost Center Code')).toBeNull();
    expect(matchHeader('Rack')).toBeNull();
  });
});

describe('normalised assets per sample file', () => {
  for (const expected of EXPECTED.filter((e) => e.file.endsWith('.csv'))) {
    it(`turns ${expected.file} into its canonical assets`, () => {
      const { headers, rows } = readCsv(expected.file);
      const cp = compilePlan(planMapping(headers));
      const outcomes = rows.map((r) => toAsset(cp, r));
      const assets = outcomes.flatMap((o) => (o.kind === 'asset' ? [o.asset] : []));
      expect(assets).toHaveLength(expected.assets);
      expect(outcomes.filter((o) => o.kind === 'skipped')).toHaveLength(expected.skipped);
      for (const want of expected.rows) {
        const got = assets.find((a) => a.name === want.name);
        expect(got, want.name).toBeDefined();
        expect(pick(got!, Object.keys(want) as (keyof AssetValues)[]), want.name).toEqual(want);
      }
    });
  }

  it('keeps unmapped columns as custom attributes and records power state', () => {
    const { headers, rows } = readCsv('rvtools-vinfo.csv');
    const cp = compilePlan(planMapping(headers));
    const out = toAsset(cp, rows.find((r) => r.VM === 'app-test-02')!);
    expect(out.kind).toBe('asset');
    if (out.kind !== 'asset') return;
    expect(out.poweredOff).toBe(true);
    expect(out.asset.custom_attributes).toMatchObject({ power_state: 'off', srm_placeholder: 'False', 'Network #1': 'PG-TEST', heartbeat: 'gray', cluster: 'CL-TEST-01' });
    expect(Object.keys(out.asset.custom_attributes).length).toBeGreaterThan(15);
  });

  it('skips templates with the reason', () => {
    const { headers, rows } = readCsv('rvtools-vinfo.csv');
    const out = toAsset(compilePlan(planMapping(headers)), rows.find((r) => r.VM === 'tmpl-win2019')!);
    expect(out).toMatchObject({ kind: 'skipped', code: 'template' });
  });
});

function pick<T extends object>(obj: T, keys: (keyof T)[]) {
  return Object.fromEntries(keys.map((k) => [k, obj[k]]));
}
