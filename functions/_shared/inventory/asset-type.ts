/**
 * asset_type (server, database, application, network, storage) decided by explicit rules, each
 * answer with the reason recorded in assets.asset_type_reason. First rule that applies wins:
 * 1. a type column (Type, CI class, sys_class_name …) whose value names a kind other than server
 *    (a class hierarchy "Hardware > Network Gear > Load Balancer" is read from its most specific end);
 * 1b. an appliance named by the class, the manufacturer or the model: a load balancer (F5 BIG-IP,
 *    Citrix ADC/NetScaler, A10) or a firewall (Palo Alto, Fortinet, Check Point) → network; a
 *    storage array (NetApp/Network Appliance, Pure Storage, Dell EMC and HPE array lines) → storage;
 * 1c. a type column naming a server;
 * 2. an operating system that only network devices run (IOS, NX-OS, Junos, PAN-OS, FortiOS …);
 * 3. a file format whose every row is a machine (RVTools vInfo, AWS, Azure, Google) → server;
 * 4. a database token in the name ("db", "sql", "ora" …) → database;
 * 5. an application name with no host attributes (no IP, OS, CPU, memory) → application;
 * 6. host attributes (OS, CPU, memory or IP) → server; otherwise server by default, said so.
 */
import type { AssetType } from './types.ts';

const TYPE_WORDS: Array<[RegExp, AssetType]> = [
  [/(^|[^a-z])(db|database|dbms|sql|mssql|mysql|postgres\w*|oracle|mongo\w*|cmdb_ci_db\w*)([^a-z]|$)/, 'database'],
  [/(^|[^a-z])(appl?|application|software|service|business app\w*|cmdb_ci_appl\w*|cmdb_ci_service\w*)([^a-z]|$)/, 'application'],
  [/(^|[^a-z])(network|switch|router|firewall|load ?balancer|lb|netgear|cmdb_ci_netgear|cmdb_ci_ip_\w+|access point|wlc)([^a-z]|$)/, 'network'],
  [/(^|[^a-z])(storage|san|nas|array|storage_device|cmdb_ci_storage\w*|cmdb_ci_san\w*|filer)([^a-z]|$)/, 'storage'],
  [/(^|[^a-z])(server|vm|virtual machine|host|computer|physical|cmdb_ci_\w*server|cmdb_ci_computer|cmdb_ci_vm\w*|instance)([^a-z]|$)/, 'server'],
];

/** Appliances by product or vendor name, as a class, manufacturer or model cell writes them. */
const APPLIANCES: Array<{ re: RegExp; type: AssetType; kind: string }> = [
  { re: /\b(f5|big-?ip|citrix adc|netscaler|a10( networks)?|thunder adc|load ?balanc\w*|cmdb_ci_lb\w*|kemp|avi networks)\b/i, type: 'network', kind: 'load balancer' },
  { re: /\b(catalyst|nexus \d+|isr ?\d{3,4}|asr ?\d{3,4}|meraki|arista|juniper (ex|mx|qfx)\d*|(ex|mx|qfx)\d{3,5})\b/i, type: 'network', kind: 'switch or router' },
  { re: /\b(palo ?alto|pan-os|fortinet|fortigate|check ?point|cmdb_ci_ip_firewall|cmdb_ci_firewall\w*|firewall|sonicwall|juniper srx)\b/i, type: 'network', kind: 'firewall' },
  { re: /\b(netapp|network appliance|pure ?storage|flasharray|flashblade|cmdb_ci_storage\w*|cmdb_ci_san\w*|cmdb_ci_nas\w*|storage array)\b/i, type: 'storage', kind: 'storage array' },
  // vendors that sell servers too: only their array lines
  {
    re: /\b(unity|vnx|vmax|powermax|powerstore|isilon|powerscale|xtremio|data ?domain|compellent|equallogic|3par|storeserv|nimble|primera|alletra|storeonce|msa \d+)\b/i,
    type: 'storage',
    kind: 'storage array',
  },
];

const NETWORK_OS = /\b(ios|ios-xe|ios xe|ios-xr|nx-os|nxos|junos|pan-os|fortios|eos|routeros|asa|comware|sonic|tmos)\b/i;
const DB_NAME = /(^|[^a-z])(db|sql|ora|orcl|pg|pgsql|mysql|mongo|cassandra|redis|hana)\d*([^a-z]|$)/i;

export interface AssetTypeEvidence {
  typeColumn?: { header: string; value: string } | null;
  manufacturer?: string | null;
  model?: string | null;
  operatingSystem?: string | null;
  formatLabel?: string | null;
  formatRowsAreMachines?: boolean;
  name?: string | null;
  applicationName?: string | null;
  hasHostAttributes: boolean;
}

/** The asset type and the sentence that explains it. */
export function classifyAssetType(e: AssetTypeEvidence): { type: AssetType; reason: string } {
  let serverClass: { type: AssetType; reason: string } | null = null;
  if (e.typeColumn) {
    // a hierarchy ("cmdb_ci_hardware > cmdb_ci_netgear > cmdb_ci_lb_bigip") from its most specific class
    const levels = e.typeColumn.value
      .split(/\s*(?:>|\/|\\)\s*/)
      .filter(Boolean)
      .reverse();
    for (const level of levels) {
      const appliance = APPLIANCES.find((a) => a.re.test(level));
      if (appliance) {
        return { type: appliance.type, reason: `${appliance.kind}: type column "${e.typeColumn.header}" is "${e.typeColumn.value}"` };
      }
      const v = level.toLowerCase();
      const hit = TYPE_WORDS.find(([re]) => re.test(v));
      if (!hit) continue;
      const answer = { type: hit[1], reason: `type column "${e.typeColumn.header}" is "${e.typeColumn.value}"` };
      if (hit[1] !== 'server') return answer;
      serverClass = answer;
      break;
    }
  }
  // A generic server class does not outrank a manufacturer or model that names an appliance.
  for (const [field, value] of [
    ['manufacturer', e.manufacturer],
    ['model', e.model],
  ] as const) {
    if (!value) continue;
    const appliance = APPLIANCES.find((a) => a.re.test(value));
    if (appliance) return { type: appliance.type, reason: `${appliance.kind}: ${field} "${value}"` };
  }
  // an OS only network devices run outranks a generic server or "physical" class too
  if (e.operatingSystem && NETWORK_OS.test(e.operatingSystem)) {
    return { type: 'network', reason: `operating system "${e.operatingSystem}" runs on network devices` };
  }
  if (serverClass) return serverClass;
  if (e.formatRowsAreMachines) return { type: 'server', reason: `every row of a ${e.formatLabel} file is a machine` };
  const dbToken = e.name ? DB_NAME.exec(e.name) : null;
  if (dbToken) return { type: 'database', reason: `name "${e.name}" has the database token "${dbToken[2]}"` };
  if (e.applicationName && !e.hasHostAttributes) {
    return { type: 'application', reason: `application "${e.applicationName}" with no host attributes (IP, OS, CPU, memory)` };
  }
  if (e.hasHostAttributes) return { type: 'server', reason: 'has host attributes (IP, OS, CPU or memory)' };
  return { type: 'server', reason: 'no type column and no other evidence: server by default' };
}
