/**
 * One raw record → one canonical asset (or a recorded reason to skip it), by a mapping plan.
 * Pure: no I/O, so every rule is unit-tested without a database.
 */
import { classifyAssetType } from './asset-type.ts';
import { isBlank, parseCount, toGb, unitInHeader, type SizeUnit } from './numbers.ts';
import {
  isIpv4, normaliseEnvironment, normalisePowerState, parseBoolean, parseHostname, parseIps, splitOs, text,
} from './normalise.ts';
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
  custom_attributes: Record<string, unknown>;
}

export type RowOutcome =
  | { kind: 'asset'; asset: AssetValues; poweredOff: boolean }
  | { kind: 'skipped'; reason: string; code: 'template' | 'no_identity' };

interface Source { header: string; unit: SizeUnit | null }

/** A plan compiled for fast per-row use: the sources of each target in priority order. */
export interface CompiledPlan {
  plan: MappingPlan;
  sources: Partial<Record<Target, Source[]>>;
  custom: Array<{ key: string; header: string; target: Target | null; unit: SizeUnit | null }>;
  /** Headers the plan knows; a row's other keys are kept as custom attributes under their own name. */
  known: Set<string>;
}

export function compilePlan(plan: MappingPlan): CompiledPlan {
  const sources: Partial<Record<Target, Source[]>> = {};
  const custom: CompiledPlan['custom'] = [];
  const ordered = [...plan.mappings].sort((a, b) => a.priority - b.priority);
  for (const m of ordered) {
    if (m.target) (sources[m.target] ??= []).push({ header: m.sourceField, unit: m.unit ?? unitInHeader(m.sourceField) });
    if (m.targetField.startsWith('custom_attributes.')) {
      custom.push({ key: m.targetField.slice('custom_attributes.'.length), header: m.sourceField, target: m.target, unit: m.unit ?? null });
    }
  }
  return { plan, sources, custom, known: new Set(plan.mappings.map((m) => m.sourceField)) };
}

type Row = Record<string, unknown>;

function first(cp: CompiledPlan, row: Row, target: Target): { value: unknown; source: Source } | null {
  for (const source of cp.sources[target] ?? []) {
    const value = row[source.header];
    if (!isBlank(value)) return { value, source };
  }
  return null;
}

/**
 * A size with no unit in the cell or the header, in a generic file: memory ≥ 1024 is taken as MB
 * (nobody has a 1024 GB VM in a CMDB sheet without saying so), storage ≥ 100 000 as MB.
 */
function guessUnit(value: unknown, kind: 'memory' | 'storage'): SizeUnit {
  const n = Number(String(value).replace(/[^\d.]/g, ''));
  return n >= (kind === 'memory' ? 1024 : 100_000) ? 'MB' : 'GB';
}

function size(cp: CompiledPlan, row: Row, target: Target, kind: 'memory' | 'storage'): number | null {
  const hit = first(cp, row, target);
  if (!hit) return null;
  return toGb(hit.value, hit.source.unit, guessUnit(hit.value, kind));
}

/** Maps and normalises one row. Templates and rows with nothing to name an asset by are skipped with a reason. */
export function toAsset(cp: CompiledPlan, row: Row): RowOutcome {
  const get = (t: Target) => text(first(cp, row, t)?.value);

  if (parseBoolean(first(cp, row, 'template')?.value) === true) {
    return { kind: 'skipped', code: 'template', reason: 'VMware template: an image to deploy from, not a workload to migrate' };
  }

  const ips: string[] = [];
  for (const source of cp.sources.ip_address ?? []) {
    for (const ip of parseIps(row[source.header]).all) if (!ips.includes(ip)) ips.push(ip);
  }
  const ip = ips.find(isIpv4) ?? ips[0] ?? null;

  const fromHost = parseHostname(get('hostname'));
  const nameText = get('name');
  // The name stands in for a host name only where the file has no host name column, or names machines.
  const fromName = cp.sources.hostname?.length && !cp.plan.rowsAreMachines ? { hostname: null, fqdn: null } : parseHostname(nameText);
  const hostname = fromHost.hostname ?? fromName.hostname;
  const fqdn = parseHostname(get('fqdn')).fqdn ?? text(first(cp, row, 'fqdn')?.value) ?? fromHost.fqdn ?? fromName.fqdn;
  const name = nameText ?? hostname ?? fqdn ?? ip;
  if (!name) return { kind: 'skipped', code: 'no_identity', reason: 'no name, host name or IP address' };

  const os = splitOs(first(cp, row, 'operating_system')?.value, first(cp, row, 'os_version')?.value);

  let cpu = parseCount(first(cp, row, 'cpu_cores')?.value);
  if (cpu === null) {
    const sockets = parseCount(first(cp, row, 'cpu_sockets')?.value);
    const perSocket = parseCount(first(cp, row, 'cores_per_socket')?.value);
    cpu = sockets !== null && perSocket !== null ? sockets * perSocket : (sockets ?? perSocket);
  }

  const memory = size(cp, row, 'memory_gb', 'memory');
  let storage = size(cp, row, 'storage_gb', 'storage');
  if (storage === null) {
    for (const source of cp.sources.storage_part ?? []) {
      const part = toGb(row[source.header], source.unit, 'GB');
      if (part !== null) storage = Math.round(((storage ?? 0) + part) * 1000) / 1000;
    }
  }

  const power = normalisePowerState(first(cp, row, 'power_state')?.value);
  const custom: Record<string, unknown> = {};
  for (const { key, header, target, unit } of cp.custom) {
    const value = row[header];
    if (target === 'power_state') custom[key] = power ?? text(value);
    else if (target === 'storage_used_gb') custom[key] = toGb(value, unit, 'GB');
    else if (target === 'template') custom[key] = parseBoolean(value);
    else custom[key] = text(value);
  }
  for (const key of Object.keys(row)) if (!cp.known.has(key)) custom[key] = text(row[key]);

  const typeHit = first(cp, row, 'asset_type');
  const { type, reason } = classifyAssetType({
    typeColumn: typeHit ? { header: typeHit.source.header, value: String(typeHit.value).trim() } : null,
    operatingSystem: os.name,
    formatLabel: cp.plan.formatLabel,
    formatRowsAreMachines: cp.plan.rowsAreMachines,
    name: hostname ?? name,
    applicationName: get('application_name'),
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
      mac_address: get('mac_address'),
      operating_system: os.name,
      os_version: os.version,
      cpu_cores: cpu,
      memory_gb: memory,
      storage_gb: storage,
      asset_type: type,
      asset_type_reason: reason,
      environment: normaliseEnvironment(first(cp, row, 'environment')?.value),
      datacenter: get('datacenter'),
      location: get('location'),
      business_owner: get('business_owner'),
      technical_owner: get('technical_owner'),
      department: get('department'),
      application_name: get('application_name'),
      criticality: get('criticality'),
      description: get('description'),
      custom_attributes: custom,
    },
  };
}

export type { FieldMapping };
