/**
 * Recognised profiles of the inventory tools consultants meet, each a header signature and the
 * mapping and units its documentation gives (docs/tools.md lists them with their sources):
 * - VMware PowerCLI `Get-VM | Export-Csv` (NumCpu is the VM's vCPUs, CoresPerSocket only their layout;
 *   MemoryMB/MemoryGB; ProvisionedSpaceGB; VMHost is the ESXi host);
 * - Hyper-V `Get-VM | Export-Csv` (ComputerName is the Hyper-V host, memory in bytes, 0 while off);
 * - `aws ec2 describe-instances` (records Reservations[].Instances[], the name in Tags[]; cores in
 *   CpuOptions.CoreCount; no memory or disk size in the output);
 * - `az vm list -d` (computer name in osProfile, OS type and disk sizes in storageProfile, tags);
 * - osquery's results log of a system_info query (`name` is the query, the row under `columns`;
 *   physical_memory in bytes; logical cores are threads);
 * - ConfigMgr/SCCM views (v_R_System, v_GS_*): TotalPhysicalMemory0 in KB, Size0 in MB;
 * - Device42 device export (ram/hdd sizes with their unit in a sibling column, total_cpus are
 *   sockets, all_listener_device_ips joined by " | ", Service_Level is the environment);
 * - Azure Migrate assessment export (Machine, Memory(MB), Storage(GB), usage percentages);
 * - vSphere Client VM list export (Host is the ESXi host; Host CPU/Host Mem/Guest Mem - % are usage).
 * Paths of nested JSON values are written as the flattened record view names them (record-view.ts).
 */
import type { FormatColumn, InventoryFormat, Target } from './types.ts';

const c = (header: string, target: Target, extra: Partial<FormatColumn> = {}): FormatColumn => ({ header, target, ...extra });
const x = (header: string, custom: string): FormatColumn => ({ header, custom });
const count = (keys: Set<string>, ...any: string[]) => any.filter((k) => keys.has(k)).length;

export const POWERCLI_GET_VM: InventoryFormat = {
  id: 'powercli_get_vm',
  label: 'VMware PowerCLI Get-VM',
  rowsAreMachines: true,
  columns: [
    c('Name', 'name'),
    c('PowerState', 'power_state'),
    c('Notes', 'description'),
    c('Guest', 'operating_system'),
    c('NumCpu', 'cpu_cores'),
    x('CoresPerSocket', 'cores_per_socket'),
    c('MemoryMB', 'memory_gb', { unit: 'MB' }),
    c('MemoryGB', 'memory_gb', { unit: 'GB', priority: 1 }),
    c('ProvisionedSpaceGB', 'storage_gb', { unit: 'GB' }),
    c('UsedSpaceGB', 'storage_used_gb', { unit: 'GB' }),
    c('VMHost', 'virtualization_host'),
    x('VMHostId', 'vmhost_id'),
    x('GuestId', 'guest_id'),
    x('Folder', 'folder'),
    x('ResourcePool', 'resource_pool'),
    c('PersistentId', 'external_id'),
    x('Id', 'vm_id'),
    x('Uid', 'uid'),
    x('Version', 'vm_version'),
    x('HardwareVersion', 'hardware_version'),
  ],
  matches: (k) => count(k, 'numcpu', 'corespersocket', 'memorymb', 'memorygb', 'vmhost', 'provisionedspacegb', 'usedspacegb', 'guestid', 'persistentid') >= 3,
};

export const HYPERV_GET_VM: InventoryFormat = {
  id: 'hyperv_get_vm',
  label: 'Hyper-V Get-VM',
  rowsAreMachines: true,
  columns: [
    c('Name', 'name'),
    c('ComputerName', 'virtualization_host'),
    c('State', 'power_state'),
    c('ProcessorCount', 'cpu_cores'),
    // the configured startup memory; MemoryAssigned is what a running VM has now (0 when off)
    c('MemoryStartup', 'memory_gb', { unit: 'B' }),
    c('MemoryAssigned', 'memory_gb', { unit: 'B', priority: 1 }),
    x('MemoryDemand', 'memory_demand_bytes'),
    x('MemoryMinimum', 'memory_minimum_bytes'),
    x('MemoryMaximum', 'memory_maximum_bytes'),
    x('CPUUsage', 'cpu_usage_percent'),
    c('Notes', 'description'),
    c('VMId', 'external_id'),
    x('Id', 'vm_id'),
    x('Generation', 'generation'),
    x('Version', 'vm_version'),
    x('DynamicMemoryEnabled', 'dynamic_memory'),
    x('Uptime', 'uptime'),
  ],
  matches: (k) => k.has('processorcount') && count(k, 'memorystartup', 'memoryassigned', 'vmid', 'computername', 'dynamicmemoryenabled') >= 2,
};

export const AWS_EC2_INSTANCES: InventoryFormat = {
  id: 'aws_ec2_describe_instances',
  label: 'aws ec2 describe-instances',
  rowsAreMachines: true,
  columns: [
    c('Tags.Name', 'name'),
    c('PrivateDnsName', 'hostname'),
    c('PrivateIpAddress', 'ip_address'),
    c('NetworkInterfaces[].PrivateIpAddress', 'ip_address', { priority: 1 }),
    c('PlatformDetails', 'operating_system'),
    c('Platform', 'os_family', { custom: 'platform' }),
    c('CpuOptions.CoreCount', 'cpu_cores'),
    x('CpuOptions.ThreadsPerCore', 'threads_per_core'),
    c('State.Name', 'power_state'),
    c('InstanceId', 'external_id'),
    x('InstanceType', 'instance_type'),
    c('Placement.AvailabilityZone', 'location'),
    c('Tags.Environment', 'environment'),
    c('Tags.environment', 'environment'),
    c('Tags.Owner', 'business_owner'),
    c('NetworkInterfaces[].MacAddress', 'mac_address'),
  ],
  matches: (k) => k.has('instanceid') && count(k, 'instancetype', 'imageid', 'privateipaddress', 'privatednsname', 'placementavailabilityzone') >= 2,
};

export const AZURE_VM_LIST: InventoryFormat = {
  id: 'azure_vm_list',
  label: 'az vm list -d',
  rowsAreMachines: true,
  columns: [
    c('name', 'name'),
    c('osProfile.computerName', 'hostname'),
    c('privateIps', 'ip_address'),
    c('storageProfile.osDisk.osType', 'operating_system'),
    c('storageProfile.osDisk.diskSizeGb', 'storage_part', { unit: 'GB' }),
    c('storageProfile.dataDisks[].diskSizeGb', 'storage_part', { unit: 'GB' }),
    c('powerState', 'power_state'),
    c('tags.env', 'environment'),
    c('tags.environment', 'environment'),
    c('tags.Environment', 'environment'),
    c('tags.owner', 'business_owner'),
    c('location', 'location'),
    c('vmId', 'external_id'),
    x('hardwareProfile.vmSize', 'vm_size'),
    c('macAddresses', 'mac_address'),
    c('fqdns', 'fqdn'),
    x('resourceGroup', 'resource_group'),
    x('publicIps', 'public_ips'),
  ],
  matches: (k) => count(k, 'hardwareprofilevmsize', 'storageprofileosdiskostype', 'osprofilecomputername', 'vmid', 'resourcegroup') >= 3,
};

export const OSQUERY_SYSTEM_INFO: InventoryFormat = {
  id: 'osquery_system_info',
  label: 'osquery results (system_info)',
  rowsAreMachines: true,
  columns: [
    // `name` is the query's name, never the machine's
    x('name', 'query_name'),
    x('hostIdentifier', 'host_identifier'),
    x('host', 'host'),
    c('columns.computer_name', 'name'),
    c('columns.hostname', 'hostname'),
    c('columns.local_hostname', 'hostname', { priority: 1 }),
    c('columns.cpu_physical_cores', 'cpu_cores'),
    x('columns.cpu_logical_cores', 'logical_processors'),
    x('columns.cpu_sockets', 'cpu_sockets'),
    c('columns.physical_memory', 'memory_gb', { unit: 'B' }),
    c('columns.hardware_vendor', 'manufacturer', { custom: 'manufacturer' }),
    c('columns.hardware_model', 'model', { custom: 'model' }),
    c('columns.uuid', 'external_id'),
    x('columns.hardware_serial', 'serial_number'),
    x('columns.cpu_brand', 'cpu_model'),
  ],
  matches: (k) => count(k, 'hostidentifier', 'calendartime', 'unixtime', 'columnshostname', 'columnscomputername') >= 3,
};

export const SCCM_VIEWS: InventoryFormat = {
  id: 'sccm_views',
  label: 'ConfigMgr (SCCM) views',
  rowsAreMachines: true,
  columns: [
    c('Netbios_Name0', 'name'),
    c('Name0', 'name', { priority: 1 }),
    x('Full_Domain_Name0', 'domain'),
    x('Resource_Domain_OR_Workgroup0', 'domain_or_workgroup'),
    c('Caption0', 'operating_system'),
    c('Operating_System_Name_and0', 'operating_system', { priority: 1 }),
    c('Version0', 'os_version'),
    c('Manufacturer0', 'manufacturer', { custom: 'manufacturer' }),
    c('Model0', 'model', { custom: 'model' }),
    c('TotalPhysicalMemory0', 'memory_gb', { unit: 'KB' }),
    c('NumberOfCores0', 'cpu_cores'),
    x('NumberOfLogicalProcessors0', 'logical_processors'),
    c('NumberOfProcessors0', 'cpu_sockets'),
    c('Size0', 'storage_gb', { unit: 'MB' }),
    x('FreeSpace0', 'free_space_mb'),
    c('IPAddress0', 'ip_address'),
    c('IP_Addresses0', 'ip_address'),
    c('MACAddress0', 'mac_address'),
    c('MAC_Addresses0', 'mac_address'),
    c('AD_Site_Name0', 'location'),
    c('ResourceID', 'external_id'),
    x('SystemType0', 'system_type'),
  ],
  matches: (k) => count(k, 'netbiosname0', 'caption0', 'totalphysicalmemory0', 'size0', 'numberofcores0', 'version0', 'manufacturer0', 'model0', 'resourcedomainorworkgroup0') >= 3,
};

export const DEVICE42: InventoryFormat = {
  id: 'device42',
  label: 'Device42 device export',
  rowsAreMachines: false,
  columns: [
    c('name', 'name'),
    c('Service_Level', 'environment'),
    c('type', 'asset_type'),
    c('os_name', 'operating_system'),
    c('os_version', 'os_version'),
    c('total_cpus', 'cpu_sockets'),
    c('core_per_cpu', 'cores_per_socket'),
    x('cpu_speed', 'cpu_speed_mhz'),
    c('ram', 'memory_gb', { unitColumn: 'ram_size_type' }),
    x('ram_size_type', 'ram_size_type'),
    x('total_hdd_count', 'disk_count'),
    c('total_hdd_size', 'storage_gb', { unitColumn: 'hdd_size_type' }),
    x('hdd_size_type', 'hdd_size_type'),
    x('in_service', 'in_service'),
    x('is_it_switch', 'is_it_switch'),
    x('is_it_virtual_host', 'is_it_virtual_host'),
    c('virtual_host_name', 'virtualization_host'),
    c('all_listener_device_ips', 'ip_address'),
    c('manufacturer', 'manufacturer', { custom: 'manufacturer' }),
    c('hardware', 'model', { custom: 'model' }),
    c('device_pk', 'external_id'),
  ],
  matches: (k) => count(k, 'devicepk', 'servicelevel', 'alllistenerdeviceips', 'ramsizetype', 'corepercpu', 'totalcpus', 'isitswitch', 'totalhddsize') >= 3,
};

export const AZURE_MIGRATE_ASSESSMENT: InventoryFormat = {
  id: 'azure_migrate_assessment',
  label: 'Azure Migrate assessment export',
  rowsAreMachines: true,
  columns: [
    c('Machine', 'name'),
    c('Operating system', 'operating_system'),
    c('Cores', 'cpu_cores'),
    c('Memory(MB)', 'memory_gb', { unit: 'MB' }),
    c('Storage(GB)', 'storage_gb', { unit: 'GB' }),
    c('IP address', 'ip_address'),
    c('MAC address', 'mac_address'),
    x('CPU usage(%)', 'cpu_usage_percent'),
    x('Memory usage(%)', 'memory_usage_percent'),
    x('Azure VM readiness', 'azure_vm_readiness'),
    x('Readiness issues', 'readiness_issues'),
    x('Recommended size', 'recommended_size'),
    x('Boot type', 'boot_type'),
    x('Network adapters', 'nic_count'),
    x('Group name', 'group_name'),
    x('Disks', 'disk_count'),
  ],
  matches: (k) => k.has('machine') && count(k, 'azurevmreadiness', 'recommendedsize', 'readinessissues', 'memorymb', 'storagegb') >= 2,
};

export const VSPHERE_CLIENT: InventoryFormat = {
  id: 'vsphere_client',
  label: 'vSphere Client VM list export',
  rowsAreMachines: true,
  columns: [
    c('Name', 'name'),
    c('State', 'power_state'),
    x('Status', 'status'),
    c('Provisioned Space', 'storage_gb'),
    c('Used Space', 'storage_used_gb'),
    x('Host CPU', 'host_cpu_usage'),
    x('Host Mem', 'host_memory_usage'),
    x('Guest Mem - %', 'guest_memory_percent'),
    c('Host', 'virtualization_host'),
    c('Guest OS', 'operating_system'),
    c('IP Address', 'ip_address'),
    c('CPUs', 'cpu_cores'),
    c('Memory Size', 'memory_gb'),
    c('DNS Name', 'hostname'),
    c('Cluster', 'cluster'),
    x('Managed By', 'managed_by'),
  ],
  matches: (k) => count(k, 'guestmem', 'hostmem', 'hostcpu', 'provisionedspace', 'usedspace') >= 3,
};

export const PROXMOX_RESOURCES: InventoryFormat = {
  id: 'proxmox_cluster_resources',
  label: 'Proxmox VE cluster resources',
  rowsAreMachines: true,
  columns: [
    // maxcpu/maxmem/maxdisk are what the guest is given; cpu/mem/disk what it uses now
    c('name', 'name'),
    c('node', 'virtualization_host'),
    c('status', 'power_state'),
    c('maxcpu', 'cpu_cores'),
    c('maxmem', 'memory_gb', { unit: 'B' }),
    c('maxdisk', 'storage_gb', { unit: 'B' }),
    c('vmid', 'external_id'),
    c('template', 'template'),
    x('mem', 'memory_used_bytes'),
    x('disk', 'disk_used_bytes'),
    x('cpu', 'cpu_usage'),
    x('type', 'guest_type'),
    x('id', 'resource_id'),
    x('uptime', 'uptime_seconds'),
    x('pool', 'pool'),
    x('tags', 'tags'),
  ],
  matches: (k) => k.has('vmid') && count(k, 'maxmem', 'maxcpu', 'maxdisk', 'node') >= 3,
};

/** Ansible facts (`ansible -m setup`, a fact cache, hostvars): with or without the `ansible_facts.` level. */
const ansible = (prefix: string): FormatColumn[] => [
  c(`${prefix}ansible_hostname`, 'hostname'),
  c(`${prefix}ansible_fqdn`, 'fqdn'),
  c(`${prefix}ansible_nodename`, 'name', { priority: 1 }),
  c(`${prefix}ansible_default_ipv4.address`, 'ip_address'),
  c(`${prefix}ansible_all_ipv4_addresses`, 'ip_address', { priority: 1 }),
  c(`${prefix}ansible_default_ipv4.macaddress`, 'mac_address'),
  c(`${prefix}ansible_distribution`, 'operating_system'),
  c(`${prefix}ansible_distribution_version`, 'os_version'),
  c(`${prefix}ansible_os_family`, 'os_family', { custom: 'os_family' }),
  // processor_count are sockets, processor_cores the cores of each, processor_vcpus the threads
  c(`${prefix}ansible_processor_count`, 'cpu_sockets'),
  c(`${prefix}ansible_processor_cores`, 'cores_per_socket'),
  x(`${prefix}ansible_processor_vcpus`, 'vcpus'),
  x(`${prefix}ansible_processor_nproc`, 'nproc'),
  c(`${prefix}ansible_memtotal_mb`, 'memory_gb', { unit: 'MB' }),
  c(`${prefix}ansible_product_uuid`, 'external_id'),
  c(`${prefix}ansible_system_vendor`, 'manufacturer', { custom: 'manufacturer' }),
  c(`${prefix}ansible_product_name`, 'model', { custom: 'model' }),
  c(`${prefix}ansible_virtualization_role`, 'asset_type', { custom: 'virtualization_role' }),
];

export const ANSIBLE_FACTS: InventoryFormat = {
  id: 'ansible_facts',
  label: 'Ansible facts',
  rowsAreMachines: true,
  columns: [c('name', 'name'), ...ansible('ansible_facts.'), ...ansible('')],
  matches: (k) => count(k, 'ansiblefactsansiblehostname', 'ansiblehostname', 'ansiblefactsansiblememtotalmb', 'ansiblememtotalmb', 'ansiblefactsansibledistribution', 'ansibledistribution') >= 2,
};

/** The tool profiles, most specific first. */
export const TOOL_PROFILES: InventoryFormat[] = [
  POWERCLI_GET_VM,
  HYPERV_GET_VM,
  AWS_EC2_INSTANCES,
  AZURE_VM_LIST,
  OSQUERY_SYSTEM_INFO,
  SCCM_VIEWS,
  DEVICE42,
  AZURE_MIGRATE_ASSESSMENT,
  VSPHERE_CLIENT,
  PROXMOX_RESOURCES,
  ANSIBLE_FACTS,
];
