/**
 * Header → asset field decisions. A recognised format's known columns map exactly (confidence 1);
 * other headers go through, in order: the asset field's own name (exact, 1.0), a synonym
 * (0.9), the synonym left after dropping filler words like "total"/"primary" (fuzzy, 0.8), and
 * string similarity to a synonym ≥ 0.8 (fuzzy, 0.85 × similarity). Anything else is unmapped and
 * kept whole as `custom_attributes.<header>`.
 */
import { formatColumn, recogniseFormat } from './formats.ts';
import { headerTokens, similarity } from './headers.ts';
import { unitInHeader } from './numbers.ts';
import type { FieldMapping, MappingPlan, MatchType, Target } from './types.ts';

/** Synonyms per target, as header words (see headerTokens) joined by spaces. */
export const SYNONYMS: Record<Target, string[]> = {
  name: [
    'name',
    'server name',
    'asset name',
    'ci name',
    'computer name',
    'machine name',
    'vm name',
    'display name',
    'server',
    'asset',
    'device name',
    'system name',
    'vm',
    'virtual machine',
    'ci',
    'node',
    'nom du serveur',
    'nom',
    'servername',
    'rechnername',
    'nombre del servidor',
    'nombre',
    'nome server',
  ],
  hostname: ['hostname', 'host name', 'host', 'dns name', 'node name', 'netbios name', 'short name', 'guest hostname', 'computer', 'dns host name', 'computer name dns'],
  fqdn: ['fqdn', 'fully qualified domain name', 'dns fqdn', 'full dns name'],
  ip_address: [
    'ip',
    'ip address',
    'ip addresses',
    'ipv4',
    'ipv4 address',
    'primary ip',
    'primary ip address',
    'ips',
    'management ip',
    'ip addr',
    'ip adresse',
    'ip list',
    'network ip',
    'private ip',
    'private ip address',
    'private ips',
    'internal ip',
    'ipv4 addresses',
    'adresse ip',
    'adresses ip',
    'dirección ip',
    'direccion ip',
    'indirizzo ip',
    'ip adressen',
  ],
  mac_address: ['mac', 'mac address', 'mac addresses'],
  operating_system: [
    'os',
    'operating system',
    'os name',
    'platform',
    'guest os',
    'betriebssystem',
    'os description',
    'système d exploitation',
    'systeme d exploitation',
    'sistema operativo',
    'os edition',
  ],
  // the family ("Linux", "Windows") stands in for a blank OS name
  os_family: ['os family', 'os type', 'operating system family', 'os class', 'platform family'],
  os_version: ['os version', 'operating system version', 'os release', 'os build'],
  cpu_cores: [
    'cores',
    'cpu cores',
    'vcpu',
    'vcpus',
    'cpus',
    'cpu',
    'num cpu',
    'cpu count',
    'processors',
    'core count',
    'total cores',
    'number of cores',
    'v cpu',
    'vcores',
    'cpu anzahl',
    'cpu kerne',
    'kerne',
    'anzahl kerne',
    'prozessorkerne',
    'coeurs',
    'cœurs',
    'nombre de cœurs',
    'núcleos',
    'nucleos',
    'vcpu anzahl',
    'anzahl vcpu',
    'anzahl cpu',
  ],
  // Windows and asset tools count physical processors (sockets) as "processors"
  cpu_sockets: [
    'sockets',
    'cpu sockets',
    'number of sockets',
    'physical cpus',
    'socket count',
    'num sockets',
    'nr processors',
    'number of processors',
    'num processors',
    'processor count',
    'cpu packages',
  ],
  cores_per_socket: ['cores per socket', 'cores per processor', 'cores per cpu', 'cores p s'],
  memory_gb: [
    'memory',
    'ram',
    'mem',
    'memory size',
    'ram size',
    'total memory',
    'physical memory',
    'memory capacity',
    'installed memory',
    'vram',
    'arbeitsspeicher',
    'speicher',
    'mémoire',
    'memoire',
    'mémoire vive',
    'memoria',
    'ram gb',
    'hauptspeicher',
  ],
  storage_gb: [
    'storage',
    'disk',
    'disk size',
    'disk space',
    'total disk',
    'total storage',
    'provisioned storage',
    'storage capacity',
    'disk capacity',
    'total disk capacity',
    'hdd',
    'allocated storage',
    'provisioned space',
    'disks size',
    'storage size',
    'provisioned',
    'festplatte',
    'festplatten',
    'plattenplatz',
    'speicherplatz',
    'disque',
    'disques',
    'taille disque',
    'stockage',
    'almacenamiento',
    'disco',
    'disk total',
  ],
  storage_part: [],
  environment: ['environment', 'env', 'used for', 'stage', 'environment type', 'lifecycle', 'umgebung', 'environnement', 'entorno', 'ambiente'],
  asset_type: ['type', 'asset type', 'ci type', 'class', 'category', 'device type', 'server type', 'sys class name', 'kind', 'asset class', 'ci class', 'asset typename', 'asset type name'],
  datacenter: ['datacenter', 'data center', 'datacentre', 'data centre', 'dc', 'site'],
  location: ['location', 'region', 'city', 'country', 'building', 'hosting location', 'standort', 'emplacement', 'ubicación', 'ubicacion', 'ort'],
  business_owner: ['owner', 'business owner', 'application owner', 'app owner', 'owned by', 'service owner', 'verantwortlich', 'eigentümer', 'propriétaire', 'responsable'],
  technical_owner: ['technical owner', 'tech owner', 'it owner', 'managed by', 'support group', 'administrator', 'admin', 'sysadmin'],
  department: ['department', 'business unit', 'bu', 'division', 'abteilung'],
  application_name: ['application', 'app', 'application name', 'app name', 'service', 'business service', 'applications', 'workload'],
  criticality: ['criticality', 'business criticality', 'tier', 'service tier', 'importance', 'priority'],
  description: ['description', 'notes', 'note', 'comment', 'comments', 'annotation', 'short description', 'remarks', 'beschreibung'],
  power_state: ['power state', 'powerstate', 'power status', 'vm state', 'machine status', 'state', 'running state'],
  template: ['template', 'is template'],
  external_id: ['id', 'asset id', 'asset tag', 'ci id', 'external id', 'inventory id', 'inventory number', 'machine id', 'server id', 'vm id'],
  // the inventory's identifiers (see docs/inventory.md): kept as asset columns, matched before any name
  vm_uuid: ['vm uuid', 'uuid', 'instance uuid', 'vm instance uuid', 'virtual machine uuid'],
  bios_uuid: ['bios uuid', 'smbios uuid', 'system uuid', 'hardware uuid'],
  serial_number: ['serial number', 'serial', 'serial no', 'serialnumber', 'service tag'],
  cloud_instance_id: ['instance id', 'cloud instance id', 'ec2 instance id', 'resource id', 'azure resource id', 'vm resource id'],
  cmdb_sys_id: ['sys id', 'sysid', 'cmdb sys id', 'cmdb id'],
  storage_used_gb: ['used storage', 'disk used', 'in use', 'storage used', 'used space', 'used disk'],
  cluster: ['cluster', 'vm cluster'],
  virtualization_host: ['esx host', 'esxi host', 'hypervisor', 'vm host', 'physical host', 'host server'],
  // evidence for appliances (asset_type), kept as custom attributes
  manufacturer: ['manufacturer', 'vendor', 'make', 'hersteller', 'oem'],
  model: ['model', 'model id', 'model name', 'product', 'hardware model', 'modell'],
};

/** Words that qualify rather than name a field: "Total RAM", "Primary IP", "Number of CPUs". */
const FILLER = new Set([
  'total',
  'primary',
  'main',
  'allocated',
  'installed',
  'configured',
  'assigned',
  'current',
  'size',
  'number',
  'of',
  'the',
  'num',
  'no',
  'nr',
  'count',
  'amount',
  'capacity',
  'server',
  'vm',
  'guest',
  'system',
  'physical',
  'virtual',
  'asset',
  'ci',
]);

/** Targets that are asset columns; the rest live in custom_attributes. */
const ASSET_COLUMNS = new Set<Target>([
  'name',
  'hostname',
  'fqdn',
  'ip_address',
  'mac_address',
  'operating_system',
  'os_version',
  'cpu_cores',
  'memory_gb',
  'storage_gb',
  'environment',
  'asset_type',
  'datacenter',
  'location',
  'business_owner',
  'technical_owner',
  'department',
  'application_name',
  'criticality',
  'description',
  'vm_uuid',
  'bios_uuid',
  'serial_number',
  'cloud_instance_id',
  'cmdb_sys_id',
]);

/** The import_field_mappings.target_field of a target: its asset column, or where it is kept. */
export function targetFieldOf(target: Target): string {
  if (ASSET_COLUMNS.has(target)) return target;
  if (target === 'cpu_sockets' || target === 'cores_per_socket') return 'cpu_cores';
  if (target === 'storage_part') return 'storage_gb';
  return `custom_attributes.${target}`;
}

const SYNONYM_INDEX: Array<{ key: string; phrase: string; target: Target }> = Object.entries(SYNONYMS).flatMap(([target, phrases]) =>
  phrases.map((phrase) => ({ key: phrase.replace(/ /g, ''), phrase, target: target as Target })),
);

interface Match {
  target: Target;
  matchType: MatchType;
  confidence: number;
  rule: string;
}

/**
 * Headers that measure something about a quantity rather than state it: a percentage, a usage, a
 * count of disks, a clock speed, logical processors (threads). They never feed a size or a core
 * count, however close their words come to one ("Guest Mem - %", "Mem %", "Disk Count",
 * "MaxClockSpeed", "NumberOfLogicalProcessors").
 */
const MEASURE =
  /%|\b(percent|pct|usage|utili[sz]ation|used|demand|active|count|speed|clock|mhz|ghz|hz|logical|threads?|free|consumed|overhead|ready|latency|iops|throughput|reservation|limit|shares)\b/i;
const QUANTITY_TARGETS = new Set<Target>(['cpu_cores', 'cpu_sockets', 'cores_per_socket', 'memory_gb', 'storage_gb']);

/** Why a header may not feed a target, or null. */
function measureOf(header: string, target: Target): string | null {
  if (!QUANTITY_TARGETS.has(target)) return null;
  // camelCase words apart ("MaxClockSpeed" → "Max Clock Speed") so that the words are seen
  const spaced = header.replace(/([a-z])([A-Z])/g, '$1 $2').replace(/_/g, ' ');
  const m = MEASURE.exec(spaced);
  if (!m) return null;
  // "Used Space", "Disk Count" and friends measure; "Core count"/"CPU count" are counts of the very thing
  if (/^count$/i.test(m[1] ?? '') && /\b(core|cpu|processor|socket)s?\b/i.test(spaced) && target !== 'storage_gb' && target !== 'memory_gb') return null;
  return `"${m[0]}" measures something about ${target}, not ${target} itself`;
}

/**
 * The best generic match of one header, or null (a header that measures rather than states a
 * quantity: see MEASURE). A path into nested JSON ("networkInterfaces[].networkIP",
 * "storageProfile.osDisk.diskSizeGb") is matched as a whole, else by its last name, else by its
 * last two.
 */
export function matchHeader(header: string): Match | null {
  const candidates = [header];
  if (/[.[]/.test(header) && /^[A-Za-z_$][\w$]*(\[\])?(\.[A-Za-z_$][\w$-]*(\[\])?)+$/.test(header)) {
    const names = header.split('.').map((n) => n.replace(/\[\]$/, ''));
    candidates.push(names[names.length - 1]!, names.slice(-2).join(' '));
  }
  for (const candidate of candidates) {
    const match = matchWords(candidate);
    if (match) return measureOf(candidate, match.target) ? null : match;
  }
  return null;
}

function matchWords(header: string): Match | null {
  const tokens = headerTokens(header);
  const key = tokens.join('');
  if (!key) return null;
  for (const target of Object.keys(SYNONYMS) as Target[]) {
    if (key === target.replace(/_/g, '')) return { target, matchType: 'exact', confidence: 1, rule: `header is the asset field "${target}"` };
  }
  const syn = SYNONYM_INDEX.find((s) => s.key === key);
  if (syn) return { target: syn.target, matchType: 'synonym', confidence: 0.9, rule: `synonym "${syn.phrase}" of ${syn.target}` };
  const core = tokens.filter((t) => !FILLER.has(t)).join('');
  const cored = core && core !== key ? SYNONYM_INDEX.find((s) => s.key === core) : undefined;
  if (cored) {
    return { target: cored.target, matchType: 'fuzzy', confidence: 0.8, rule: `"${cored.phrase}" after dropping qualifier words` };
  }
  let best: { s: (typeof SYNONYM_INDEX)[number]; sim: number } | null = null;
  if (key.length >= 4) {
    for (const s of SYNONYM_INDEX) {
      if (s.key.length < 4) continue;
      const sim = similarity(key, s.key);
      if (sim >= 0.8 && (!best || sim > best.sim)) best = { s, sim };
    }
  }
  if (best) {
    const confidence = Math.round(0.85 * best.sim * 100) / 100;
    return { target: best.s.target, matchType: 'fuzzy', confidence, rule: `similar to "${best.s.phrase}" (${best.sim.toFixed(2)})` };
  }
  return null;
}

/**
 * "Host" beside a VM name is the hypervisor host (vSphere's, Hyper-V's), not the machine's own host
 * name: with another column naming the machine (name, host name, DNS name), it is the
 * virtualization host.
 */
function disambiguate(match: Match | null, header: string, headers: readonly string[]): Match | null {
  if (match?.target !== 'hostname' || headerTokens(header).join(' ') !== 'host') return match;
  const named = headers.some((h) => h !== header && ['name', 'hostname', 'fqdn'].includes(matchWords(h)?.target ?? ''));
  return named ? { target: 'virtualization_host', matchType: 'fuzzy', confidence: 0.7, rule: '"Host" beside a column naming the machine: the hypervisor host' } : match;
}

/**
 * The mapping plan of a file from its headers: its recognised format (source_system, `generic_cmdb`
 * when none) and one decision per header, none dropped; `paths`, the headers that are paths into
 * nested JSON values (record-view.ts), are left out when they map to no field.
 */
export function planMapping(headers: readonly string[], paths: ReadonlySet<string> = new Set()): MappingPlan {
  const format = recogniseFormat(headers);
  const planned: FieldMapping[] = headers.map((header, index) => {
    const known = format ? formatColumn(format, header) : undefined;
    if (known) {
      const target = known.target ?? null;
      return {
        sourceField: header,
        targetField: target && !(known.custom && !ASSET_COLUMNS.has(target)) ? targetFieldOf(target) : `custom_attributes.${known.custom || header}`,
        target,
        matchType: 'exact',
        confidence: 1,
        unit: known.unit ?? unitInHeader(header),
        unitColumn: known.unitColumn ?? null,
        priority: (known.priority ?? 0) * 1000 + index,
        rule: `${format!.label} column`,
      };
    }
    const match = disambiguate(matchHeader(header), header, headers);
    if (!match) {
      return {
        sourceField: header,
        targetField: `custom_attributes.${header}`,
        target: null,
        matchType: 'unmapped',
        confidence: 0,
        unit: null,
        priority: index,
        rule: 'no known field: kept as a custom attribute',
      };
    }
    return {
      sourceField: header,
      targetField: targetFieldOf(match.target),
      target: match.target,
      matchType: match.matchType,
      confidence: match.confidence,
      unit: unitInHeader(header),
      // Several columns may feed one field: the more certain one first, then file order.
      priority: Math.round((1 - match.confidence) * 100) * 1000 + index,
      rule: match.rule,
    };
  });
  // A nested value's path that maps to nothing stays inside its top-level value (kept whole).
  const mappings = paths.size ? planned.filter((m) => !(paths.has(m.sourceField) && m.targetField.startsWith('custom_attributes.') && m.target === null)) : planned;
  // Two columns kept under one custom key would overwrite each other: the later keeps its header.
  const claimed = new Set<string>();
  for (const m of [...mappings].sort((a, b) => a.priority - b.priority)) {
    if (!m.targetField.startsWith('custom_attributes.')) continue;
    if (claimed.has(m.targetField)) m.targetField = `custom_attributes.${m.sourceField}`;
    claimed.add(m.targetField);
  }
  return {
    sourceSystem: format?.id ?? 'generic_cmdb',
    formatLabel: format?.label ?? 'generic CMDB',
    rowsAreMachines: format?.rowsAreMachines ?? false,
    mappings,
  };
}

/**
 * The plan with the mappings a user defined (import_field_mappings.is_user_defined) in place of the
 * computed ones: an asset field by its column name (or the input it feeds), or any
 * `custom_attributes.<key>`. Targets it does not know leave the column kept as it is.
 */
export function applyUserMappings(plan: MappingPlan, userDefined: Array<{ sourceField: string; targetField: string }>): MappingPlan {
  if (!userDefined.length) return plan;
  const byTarget = new Map<string, Target>((Object.keys(SYNONYMS) as Target[]).map((t) => [t, t]));
  const mappings = plan.mappings.map((m) => {
    const user = userDefined.find((u) => u.sourceField === m.sourceField);
    if (!user) return m;
    const target = byTarget.get(user.targetField) ?? null;
    const custom = user.targetField.startsWith('custom_attributes.') ? user.targetField : `custom_attributes.${m.sourceField}`;
    return {
      ...m,
      target,
      targetField: target ? targetFieldOf(target) : custom,
      matchType: 'manual' as const,
      confidence: 1,
      priority: -1,
      rule: 'defined by a user',
    };
  });
  return { ...plan, mappings };
}
