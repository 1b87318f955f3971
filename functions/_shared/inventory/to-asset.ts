/**
 * One raw record → one canonical asset (or a recorded reason to skip it), by a mapping plan.
 * Pure: no I/O, so every rule is unit-tested without a database.
 */
import { classifyAssetType } from './asset-type.ts';
import { isBlank, parseCount, toGb, unitInHeader, unitWord, type DecimalMark, type SizeUnit } from './numbers.ts';
import { flattenRecord, hasNested } from './record-view.ts';
import { isIpv4, normaliseEnvironment, normalisePowerState, parseBoolean, parseHostname, parseIps, splitOs, text } from './normalise.ts';
import type { AssetType, FieldMapping, MappingPlan, Target } from './types.ts';

export interface AssetValues {
  name: string;
  hostname: string | null;
  fqdn: string | null;
  ip_address: string | null;
  ip_addresses: string[];
  mac_address: string | null;
  operating_system: string | null;
  os_version: string | null;
  cpu_cores: number | null;
  memory_gb: number | null;
  storage_gb: number | null;
  asset_type: AssetType;
  asset_type_reason: string;
  environment: string | null;
  datacenter: string | null;
  location: string | null;
  business_owner: string | null;
  technical_owner: string | null;
  department: string | null;
  application_name: string | null;
  criticality: string | null;
  description: string | null;
  vm_uuid: string | null;
  bios_uuid: string | null;
  serial_number: string | null;
  cloud_instance_id: string | null;
  cmdb_sys_id: string | null;
  custom_attributes: Record<string, unknown>;
}

export type RowOutcome = { kind: 'asset'; asset: AssetValues; poweredOff: boolean } | { kind: 'skipped'; reason: string; code: 'template' | 'no_identity' };

interface Source {
  header: string;
  unit: SizeUnit | null;
  decimal: DecimalMark;
  unitColumn: string | null;
}

/** A plan compiled for fast per-row use: the sources of each target in priority order. */
export interface CompiledPlan {
  plan: MappingPlan;
  sources: Partial<Record<Target, Source[]>>;
  custom: Array<{ key: string; header: string; target: Target | null; unit: SizeUnit | null; decimal: DecimalMark }>;
  /** Headers the plan knows; a row's other keys are kept as custom attributes under their own name. */
  known: Set<string>;
  /** Some mapped header may be a path into nested JSON (record-view.ts): rows are flattened when they nest. */
  readsPaths: boolean;
}

/** Targets whose cells are numbers: their columns' decimal marks are decided before the rows are read. */
export const NUMERIC_TARGETS: ReadonlySet<Target> = new Set<Target>(['cpu_cores', 'cpu_sockets', 'cores_per_socket', 'memory_gb', 'storage_gb', 'storage_part', 'storage_used_gb']);

/**
 * The plan compiled for per-row use. `decimals`: the decimal mark of each numeric column, decided
 * from the whole import (see decideDecimalMarks); a column not listed reads an ambiguous "1,234" with '.'.
 * `units`: the unit of each size column whose header and format state none, decided from the
 * magnitude of the whole column (column-units.ts); a column not listed is GB.
 */
export function compilePlan(plan: MappingPlan, decimals: Record<string, DecimalMark> = {}, units: Record<string, SizeUnit> = {}): CompiledPlan {
  const sources: Partial<Record<Target, Source[]>> = {};
  const custom: CompiledPlan['custom'] = [];
  const ordered = [...plan.mappings].sort((a, b) => a.priority - b.priority);
  for (const m of ordered) {
    const decimal = decimals[m.sourceField] ?? '.';
    const unit = m.unit ?? unitInHeader(m.sourceField) ?? units[m.sourceField] ?? null;
    if (m.target) (sources[m.target] ??= []).push({ header: m.sourceField, unit, decimal, unitColumn: m.unitColumn ?? null });
    if (m.targetField.startsWith('custom_attributes.')) {
      custom.push({ key: m.targetField.slice('custom_attributes.'.length), header: m.sourceField, target: m.target, unit: m.unit ?? null, decimal });
    }
  }
  const readsPaths = plan.mappings.some((m) => m.target !== null && /[.[]/.test(m.sourceField));
  return { plan, sources, custom, known: new Set(plan.mappings.map((m) => m.sourceField)), readsPaths };
}

type Row = Record<string, unknown>;

function first(cp: CompiledPlan, row: Row, target: Target): { value: unknown; source: Source } | null {
  for (const source of cp.sources[target] ?? []) {
    if (!Object.hasOwn(row, source.header)) continue; // a key a row lacks, never an inherited property
    const value = row[source.header];
    if (!isBlank(value)) return { value, source };
  }
  return null;
}

/**
 * A size in GB: the cell's own unit, else the unit its row's unit column names (Device42), else the
 * column's (header, format, or the magnitude of the whole column: compilePlan), else GB. Zero is
 * no size ("unknown" in the exports that write it), and the next source is tried.
 */
function size(cp: CompiledPlan, row: Row, target: Target): number | null {
  for (const source of cp.sources[target] ?? []) {
    if (!Object.hasOwn(row, source.header) || isBlank(row[source.header])) continue;
    const unit = (source.unitColumn ? unitWord(row[source.unitColumn]) : null) ?? source.unit;
    const cell = row[source.header];
    // a path through an array (disks[].diskSizeGb) holds one size per element: their sum
    const gb = Array.isArray(cell) ? sumGb(cell, unit, source.decimal) : toGb(cell, unit, 'GB', source.decimal);
    if (gb !== null && gb > 0) return gb;
  }
  return null;
}

/** The sum of the positive sizes of an array's cells, or null. */
function sumGb(cells: unknown[], unit: SizeUnit | null, decimal: DecimalMark): number | null {
  let gb: number | null = null;
  for (const cell of cells) {
    const part = toGb(cell, unit, 'GB', decimal);
    if (part !== null && part > 0) gb = Math.round(((gb ?? 0) + part) * 1000) / 1000;
  }
  return gb;
}

/** A custom attribute's value: nested JSON stays JSON; a scalar becomes its trimmed text. */
function attribute(value: unknown): unknown {
  return typeof value === 'object' && value !== null ? value : text(value);
}

/** A target's first non-blank value as trimmed text. */
function textOf(cp: CompiledPlan, row: Row, target: Target): string | null {
  return text(first(cp, row, target)?.value);
}

/** A count (CPUs, cores, sockets); 0 is no count ("unknown"), and the next source is tried. */
function countOf(cp: CompiledPlan, row: Row, target: Target): number | null {
  for (const source of cp.sources[target] ?? []) {
    if (!Object.hasOwn(row, source.header)) continue;
    const n = parseCount(row[source.header], source.decimal);
    if (n !== null && n > 0) return n;
  }
  return null;
}

/**
 * Maps and normalises one row. Templates and rows with nothing to name an asset by are skipped with
 * a reason. Called once per row, so it makes no closures.
 */
export function toAsset(cp: CompiledPlan, record: Row): RowOutcome {
  // nested JSON values are read by their paths; custom attributes keep the record's own keys
  const row = cp.readsPaths && hasNested(record) ? flattenRecord(record) : record;

  if (parseBoolean(first(cp, row, 'template')?.value) === true) {
    return { kind: 'skipped', code: 'template', reason: 'VMware template: an image to deploy from, not a workload to migrate' };
  }

  const ips: string[] = [];
  const macs: string[] = [];
  for (const source of cp.sources.ip_address ?? []) {
    if (!Object.hasOwn(row, source.header)) continue;
    const found = parseIps(row[source.header]);
    for (const ip of found.all) if (!ips.includes(ip)) ips.push(ip);
    macs.push(...found.mac);
  }
  const ip = ips.find(isIpv4) ?? ips[0] ?? null;

  const fromHost = parseHostname(textOf(cp, row, 'hostname'));
  const nameText = textOf(cp, row, 'name');
  // The name stands in for a host name only where the file has no host name column, or names machines.
  const fromName = cp.sources.hostname?.length && !cp.plan.rowsAreMachines ? { hostname: null, fqdn: null } : parseHostname(nameText);
  const hostname = fromHost.hostname ?? fromName.hostname;
  const fqdn = parseHostname(textOf(cp, row, 'fqdn')).fqdn ?? text(first(cp, row, 'fqdn')?.value) ?? fromHost.fqdn ?? fromName.fqdn;
  const name = nameText ?? hostname ?? fqdn ?? ip;
  if (!name) return { kind: 'skipped', code: 'no_identity', reason: 'no name, host name or IP address' };

  // a blank OS name falls back to the OS family column ("Linux", "Windows")
  const os = splitOs(first(cp, row, 'operating_system')?.value ?? first(cp, row, 'os_family')?.value, first(cp, row, 'os_version')?.value);

  let cpu = countOf(cp, row, 'cpu_cores');
  if (cpu === null) {
    const sockets = countOf(cp, row, 'cpu_sockets');
    const perSocket = countOf(cp, row, 'cores_per_socket');
    cpu = sockets !== null && perSocket !== null ? sockets * perSocket : (sockets ?? perSocket);
  }

  const memory = size(cp, row, 'memory_gb');
  let storage = size(cp, row, 'storage_gb');
  if (storage === null) {
    for (const source of cp.sources.storage_part ?? []) {
      if (!Object.hasOwn(row, source.header)) continue;
      // a path through an array of disks holds one size per disk
      const cell = row[source.header];
      const part = Array.isArray(cell) ? sumGb(cell, source.unit, source.decimal) : toGb(cell, source.unit, 'GB', source.decimal);
      if (part !== null && part > 0) storage = Math.round(((storage ?? 0) + part) * 1000) / 1000;
    }
  }

  const power = normalisePowerState(first(cp, row, 'power_state')?.value);
  // no prototype: a column named __proto__ or constructor keeps its value like any other
  const custom: Record<string, unknown> = Object.create(null);
  for (const { key, header, target, unit, decimal } of cp.custom) {
    const value = Object.hasOwn(row, header) ? row[header] : undefined;
    if (target === 'power_state') custom[key] = power ?? text(value);
    else if (target === 'storage_used_gb') custom[key] = toGb(value, unit, 'GB', decimal);
    else if (target === 'template') custom[key] = parseBoolean(value);
    else custom[key] = attribute(value);
  }
  for (const key of Object.keys(record)) if (!cp.known.has(key)) custom[key] = attribute(record[key]);

  const typeHit = first(cp, row, 'asset_type');
  const { type, reason } = classifyAssetType({
    typeColumn: typeHit ? { header: typeHit.source.header, value: String(typeHit.value).trim() } : null,
    manufacturer: textOf(cp, row, 'manufacturer'),
    model: textOf(cp, row, 'model'),
    operatingSystem: os.name,
    formatLabel: cp.plan.formatLabel,
    formatRowsAreMachines: cp.plan.rowsAreMachines,
    name: hostname ?? name,
    applicationName: textOf(cp, row, 'application_name'),
    hasHostAttributes: Boolean(ip || os.name || cpu !== null || memory !== null),
  });

  return {
    kind: 'asset',
    poweredOff: power === 'off',
    asset: {
      name,
      hostname,
      fqdn,
      ip_address: ip,
      ip_addresses: ips,
      // the MAC column, else a MAC address found among the addresses (never taken for an IPv6 one)
      mac_address: textOf(cp, row, 'mac_address') ?? macs[0] ?? null,
      operating_system: os.name,
      os_version: os.version,
      cpu_cores: cpu,
      memory_gb: memory,
      storage_gb: storage,
      asset_type: type,
      asset_type_reason: reason,
      environment: normaliseEnvironment(first(cp, row, 'environment')?.value),
      datacenter: textOf(cp, row, 'datacenter'),
      location: textOf(cp, row, 'location'),
      business_owner: textOf(cp, row, 'business_owner'),
      technical_owner: textOf(cp, row, 'technical_owner'),
      department: textOf(cp, row, 'department'),
      application_name: textOf(cp, row, 'application_name'),
      criticality: textOf(cp, row, 'criticality'),
      description: textOf(cp, row, 'description'),
      vm_uuid: textOf(cp, row, 'vm_uuid'),
      bios_uuid: textOf(cp, row, 'bios_uuid'),
      serial_number: textOf(cp, row, 'serial_number'),
      cloud_instance_id: textOf(cp, row, 'cloud_instance_id'),
      cmdb_sys_id: textOf(cp, row, 'cmdb_sys_id'),
      custom_attributes: custom,
    },
  };
}

export type { FieldMapping };
