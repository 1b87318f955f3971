/**
 * The inventory formats recognised by their header signature, with every known column mapped
 * exactly. Sources (checked against public material, see docs/discovery.md):
 * - RVTools vInfo, GUI names and database-style names (vInfoVMName …): RVTools exports and
 *   public converters that translate one into the other;
 * - AWS Migration Hub import template: docs.aws.amazon.com/application-discovery/latest/userguide/discovery-import.html;
 * - Azure Migrate CSV import: the column set Azure Migrate's import template uses (as written by
 *   public RVTools → Azure Migrate converters);
 * - ServiceNow cmdb_ci_server list export: CMDB computer/server attribute names (cpu_count,
 *   cpu_core_count, sys_class_name …) and their labels;
 * - Google Migration Center / StratoZone vmInfo table: the import-data-tables column set
 *   (MachineId, MachineName, AllocatedProcessorCoreCount, MemoryGiB …).
 */
import { rawKey } from './headers.ts';
import { TOOL_PROFILES } from './tool-profiles.ts';
import type { FormatColumn, InventoryFormat, Target } from './types.ts';

export type { FormatColumn, InventoryFormat };

const c = (header: string, target: Target, extra: Partial<FormatColumn> = {}): FormatColumn => ({ header, target, ...extra });
const x = (header: string, custom: string): FormatColumn => ({ header, custom });
/** A known family of columns kept under their own header ("Disk 1 read ops …"). */
const family = (pattern: RegExp): FormatColumn => ({ pattern, custom: '' });
const all = (keys: Set<string>, ...need: string[]) => need.every((k) => keys.has(k));
const some = (keys: Set<string>, ...any: string[]) => any.some((k) => keys.has(k));
const count = (keys: Set<string>, ...any: string[]) => any.filter((k) => keys.has(k)).length;

export const RVTOOLS_VINFO: InventoryFormat = {
  id: 'rvtools_vinfo',
  label: 'RVTools vInfo',
  rowsAreMachines: true,
  columns: [
    c('VM', 'name'),
    c('DNS Name', 'hostname'),
    c('Powerstate', 'power_state'),
    c('Template', 'template'),
    c('CPUs', 'cpu_cores'),
    c('Memory', 'memory_gb', { unit: 'MB' }),
    c('Provisioned MiB', 'storage_gb', { unit: 'MB' }),
    c('Provisioned MB', 'storage_gb', { unit: 'MB' }),
    c('Total disk capacity MiB', 'storage_gb', { unit: 'MB', priority: 1 }),
    c('Total disk capacity MB', 'storage_gb', { unit: 'MB', priority: 1 }),
    c('In Use MiB', 'storage_used_gb', { unit: 'MB' }),
    c('In Use MB', 'storage_used_gb', { unit: 'MB' }),
    c('OS according to the VMware Tools', 'operating_system'),
    c('OS according to the configuration file', 'operating_system', { priority: 1 }),
    c('Primary IP Address', 'ip_address'),
    c('Datacenter', 'datacenter'),
    c('Cluster', 'cluster'),
    c('Host', 'virtualization_host'),
    c('Annotation', 'description'),
    c('VM UUID', 'vm_uuid'),
    x('Connection state', 'connection_state'),
    x('Guest state', 'guest_state'),
    x('NICs', 'nic_count'),
    x('Disks', 'disk_count'),
    x('VI SDK Server', 'vcenter'),
    x('Folder', 'folder'),
    x('Resource pool', 'resource_pool'),
    x('VM ID', 'vm_id'),
    x('SRM Placeholder', 'srm_placeholder'),
    x('Config status', 'config_status'),
    x('Heartbeat', 'heartbeat'),
    x('Consolidation Needed', 'consolidation_needed'),
    x('PowerOn', 'powered_on_at'),
    x('Creation date', 'created_at'),
    x('Active Memory', 'active_memory_mib'),
    x('Unshared MiB', 'unshared_mib'),
    family(/^network\d+$/),
  ],
  matches: (k) => all(k, 'vm', 'powerstate', 'cpus', 'memory') && some(k, 'provisionedmib', 'provisionedmb', 'inusemib', 'inusemb', 'osaccordingtotheconfigurationfile', 'dnsname'),
};

export const RVTOOLS_VINFO_DB: InventoryFormat = {
  id: 'rvtools_vinfo_db',
  label: 'RVTools vInfo (database column names)',
  rowsAreMachines: true,
  columns: [
    c('vInfoVMName', 'name'),
    c('vInfoGuestHostName', 'hostname'),
    c('vInfoPowerstate', 'power_state'),
    c('vInfoTemplate', 'template'),
    c('vInfoCPUs', 'cpu_cores'),
    c('vInfoMemory', 'memory_gb', { unit: 'MB' }),
    c('vInfoProvisioned', 'storage_gb', { unit: 'MB' }),
    c('vInfoTotalDiskCapacityMiB', 'storage_gb', { unit: 'MB', priority: 1 }),
    c('vInfoInUse', 'storage_used_gb', { unit: 'MB' }),
    c('vInfoOSTools', 'operating_system'),
    c('vInfoOS', 'operating_system', { priority: 1 }),
    c('vInfoPrimaryIPAddress', 'ip_address'),
    c('vInfoDataCenter', 'datacenter'),
    c('vInfoCluster', 'cluster'),
    c('vInfoHost', 'virtualization_host'),
    c('vInfoNotes', 'description'),
    c('vInfoUUID', 'vm_uuid'),
    x('vInfoConnectionState', 'connection_state'),
    x('vInfoGuestState', 'guest_state'),
    x('vInfoNICs', 'nic_count'),
    x('vInfoNumVirtualDisks', 'disk_count'),
    x('vInfoVISDKServer', 'vcenter'),
    x('vInfoFolder', 'folder'),
    x('vInfoResourcepool', 'resource_pool'),
  ],
  matches: (k) => k.has('vinfovmname') && some(k, 'vinfocpus', 'vinfomemory', 'vinfopowerstate'),
};

export const AWS_MIGRATION_HUB: InventoryFormat = {
  id: 'aws_migration_hub',
  label: 'AWS Migration Hub import template',
  rowsAreMachines: true,
  columns: [
    c('ExternalId', 'external_id'),
    c('VMware.VMName', 'name'),
    c('HostName', 'hostname'),
    c('IPAddress', 'ip_address'),
    c('MACAddress', 'mac_address'),
    c('OS.Name', 'operating_system'),
    c('OS.Version', 'os_version'),
    // NumberOfCores is the total of physical cores; NumberOfProcessors counts CPUs (sockets).
    c('CPU.NumberOfCores', 'cpu_cores'),
    c('CPU.NumberOfProcessors', 'cpu_sockets'),
    c('RAM.TotalSizeInMB', 'memory_gb', { unit: 'MB' }),
    c('Applications', 'application_name'),
    x('CPU.NumberOfLogicalCores', 'logical_cores'),
    x('SMBiosId', 'smbios_id'),
    x('VMware.MoRefId', 'vmware_moref_id'),
    x('VMware.VCenterId', 'vmware_vcenter_id'),
    x('ApplicationWave', 'application_wave'),
    x('Tags', 'tags'),
    x('ServerId', 'migration_hub_server_id'),
    x('RAM.UsedSizeInMB.Avg', 'ram_used_mb_avg'),
    x('RAM.UsedSizeInMB.Max', 'ram_used_mb_max'),
    x('CPU.UsagePct.Avg', 'cpu_usage_pct_avg'),
    x('CPU.UsagePct.Max', 'cpu_usage_pct_max'),
    family(/^(disk|network)(reads|writes|read|write)\w*persecond\w*(avg|max)$/),
  ],
  matches: (k) =>
    count(k, 'externalid', 'vmwaremorefid', 'vmwarevcenterid', 'cpunumberofprocessors', 'cpunumberofcores', 'cpunumberoflogicalcores', 'ramtotalsizeinmb', 'osname', 'osversion', 'vmwarevmname') >=
      3 && some(k, 'cpunumberofcores', 'cpunumberofprocessors', 'ramtotalsizeinmb', 'vmwaremorefid'),
};

export const AZURE_MIGRATE: InventoryFormat = {
  id: 'azure_migrate',
  label: 'Azure Migrate CSV import',
  rowsAreMachines: true,
  columns: [
    c('*Server name', 'name'),
    c('IP addresses', 'ip_address'),
    c('*Cores', 'cpu_cores'),
    c('*Memory (In MB)', 'memory_gb', { unit: 'MB' }),
    c('*OS name', 'operating_system'),
    c('OS version', 'os_version'),
    { pattern: /^disk\d+sizeingb$/, target: 'storage_part', unit: 'GB' },
    x('OS architecture', 'os_architecture'),
    x('Number of disks', 'disk_count'),
    x('Boot type', 'boot_type'),
    x('CPU utilization percentage', 'cpu_utilization_percent'),
    x('Memory utilization percentage', 'memory_utilization_percent'),
    x('Network adapters', 'nic_count'),
    c('MAC address', 'mac_address'),
    x('Server type', 'server_type'),
    x('Network In throughput', 'network_in_throughput'),
    x('Network Out throughput', 'network_out_throughput'),
    family(/^disk\d+(read|write)(throughput|ops)\w*$/),
  ],
  matches: (k) => all(k, 'servername', 'cores') && some(k, 'memoryinmb', 'osname'),
};

export const SERVICENOW_CMDB_CI_SERVER: InventoryFormat = {
  id: 'servicenow_cmdb_ci_server',
  label: 'ServiceNow cmdb_ci_server export',
  rowsAreMachines: false,
  columns: [
    c('name', 'name'),
    c('Name', 'name'),
    c('host_name', 'hostname'),
    c('Host name', 'hostname'),
    c('fqdn', 'fqdn'),
    c('Fully qualified domain name', 'fqdn'),
    c('ip_address', 'ip_address'),
    c('IP Address', 'ip_address'),
    c('mac_address', 'mac_address'),
    c('MAC Address', 'mac_address'),
    c('os', 'operating_system'),
    c('Operating System', 'operating_system'),
    c('os_version', 'os_version'),
    c('OS Version', 'os_version'),
    // cpu_count counts CPUs (sockets); cpu_core_count is the cores of each CPU.
    c('cpu_count', 'cpu_sockets'),
    c('CPU count', 'cpu_sockets'),
    c('cpu_core_count', 'cores_per_socket'),
    c('CPU core count', 'cores_per_socket'),
    c('ram', 'memory_gb', { unit: 'MB' }),
    c('RAM (MB)', 'memory_gb', { unit: 'MB' }),
    c('disk_space', 'storage_gb', { unit: 'GB' }),
    c('Disk space (GB)', 'storage_gb', { unit: 'GB' }),
    c('used_for', 'environment'),
    c('Used for', 'environment'),
    c('environment', 'environment', { priority: 1 }),
    c('sys_class_name', 'asset_type'),
    c('Class', 'asset_type'),
    c('location', 'location'),
    c('Location', 'location'),
    c('department', 'department'),
    c('Department', 'department'),
    c('owned_by', 'business_owner'),
    c('Owned by', 'business_owner'),
    c('managed_by', 'technical_owner'),
    c('Managed by', 'technical_owner'),
    c('support_group', 'technical_owner', { priority: 1 }),
    c('Support group', 'technical_owner', { priority: 1 }),
    c('short_description', 'description'),
    c('Description', 'description'),
    c('sys_id', 'cmdb_sys_id'),
    c('serial_number', 'serial_number'),
    c('Serial number', 'serial_number'),
    x('install_status', 'install_status'),
    x('Status', 'install_status'),
    x('operational_status', 'operational_status'),
    x('Operational status', 'operational_status'),
    x('virtual', 'virtual'),
    x('Virtual', 'virtual'),
    c('manufacturer', 'manufacturer', { custom: 'manufacturer' }),
    c('Manufacturer', 'manufacturer', { custom: 'manufacturer' }),
    c('model_id', 'model', { custom: 'model' }),
    c('Model ID', 'model', { custom: 'model' }),
  ],
  matches: (k) =>
    (k.has('name') || k.has('hostname')) &&
    count(k, 'sysclassname', 'class', 'cpucount', 'cpucorecount', 'ram', 'rammb', 'diskspace', 'diskspacegb', 'osversion', 'ipaddress', 'sysid', 'usedfor', 'fqdn', 'os', 'operatingsystem') >= 4 &&
    some(k, 'sysclassname', 'sysid', 'cpucorecount', 'usedfor', 'diskspace', 'diskspacegb', 'rammb'),
};

export const GOOGLE_MIGRATION_CENTER: InventoryFormat = {
  id: 'google_migration_center',
  label: 'Google Migration Center / StratoZone vmInfo',
  rowsAreMachines: true,
  columns: [
    c('MachineId', 'external_id'),
    c('MachineName', 'name'),
    c('PrimaryIPAddress', 'ip_address'),
    c('IpAddressListSemiColonDelimited', 'ip_address', { priority: 1 }),
    c('PrimaryMACAddress', 'mac_address'),
    c('TotalDiskAllocatedGiB', 'storage_gb', { unit: 'GB' }),
    c('TotalDiskUsedGiB', 'storage_used_gb', { unit: 'GB' }),
    c('AllocatedProcessorCoreCount', 'cpu_cores'),
    c('MemoryGiB', 'memory_gb', { unit: 'GB' }),
    c('HostingLocation', 'location'),
    c('OsName', 'operating_system'),
    c('OsVersion', 'os_version'),
    c('MachineStatus', 'power_state'),
    x('PublicIPAddress', 'public_ip_address'),
    x('MachineTypeLabel', 'machine_type'),
    c('OsType', 'os_family', { custom: 'os_type' }),
    x('OsPublisher', 'os_publisher'),
    x('ProvisioningState', 'provisioning_state'),
    x('CreateDate', 'create_date'),
    x('IsPhysical', 'is_physical'),
    x('Source', 'source'),
  ],
  matches: (k) => all(k, 'machineid', 'machinename') && some(k, 'allocatedprocessorcorecount', 'memorygib', 'osname'),
};

/** Most specific first: the first whose signature matches names the file's source system. */
export const FORMATS: InventoryFormat[] = [RVTOOLS_VINFO_DB, RVTOOLS_VINFO, AWS_MIGRATION_HUB, AZURE_MIGRATE, GOOGLE_MIGRATION_CENTER, ...TOOL_PROFILES, SERVICENOW_CMDB_CI_SERVER];

/** The format whose header signature the headers carry, or null (a generic CMDB sheet). */
export function recogniseFormat(headers: readonly string[]): InventoryFormat | null {
  const keys = new Set(headers.map(rawKey));
  return FORMATS.find((f) => f.matches(keys)) ?? null;
}

/** The known column of a format that a header is, if any. */
export function formatColumn(format: InventoryFormat, header: string): FormatColumn | undefined {
  const key = rawKey(header);
  return format.columns.find((col) => (col.header !== undefined ? rawKey(col.header) === key : col.pattern!.test(key)));
}
