/**
 * The canonical values the sample files of test/fixtures/inventory must give, worked out by hand
 * from each file and its format's documented units. Shared by the pure and the database tests.
 */
export interface ExpectedAsset {
  name: string;
  hostname: string | null;
  ip_address: string | null;
  operating_system: string | null;
  os_version?: string | null;
  cpu_cores: number | null;
  memory_gb: number | null;
  storage_gb: number | null;
  asset_type: string;
  environment?: string | null;
  ip_addresses?: string[];
}

export interface ExpectedFile {
  file: string;
  sourceSystem: string;
  assets: number;
  skipped: number;
  duplicateHostnames: number;
  mappings: Record<string, { target: string; matchType: string; confidence?: number }>;
  rows: ExpectedAsset[];
}

export const EXPECTED: ExpectedFile[] = [
  {
    file: 'rvtools-vinfo.csv',
    sourceSystem: 'rvtools_vinfo',
    assets: 5,
    skipped: 1,
    duplicateHostnames: 1,
    mappings: {
      VM: { target: 'name', matchType: 'exact', confidence: 1 },
      Memory: { target: 'memory_gb', matchType: 'exact', confidence: 1 },
      'Provisioned MiB': { target: 'storage_gb', matchType: 'exact' },
      Powerstate: { target: 'custom_attributes.power_state', matchType: 'exact' },
      'Network #1': { target: 'custom_attributes.Network #1', matchType: 'exact' },
    },
    rows: [
      { name: 'web-prd-01', hostname: 'web-prd-01', ip_address: '10.10.1.21', operating_system: 'Microsoft Windows Server', os_version: '2019', cpu_cores: 4, memory_gb: 16, storage_gb: 105, asset_type: 'server' },
      { name: 'db-prd-01', hostname: 'db-prd-01', ip_address: '10.10.2.15', ip_addresses: ['10.10.2.15', 'fe80::250:56ff:fe9a:1'], operating_system: 'Red Hat Enterprise Linux', os_version: '8', cpu_cores: 8, memory_gb: 64, storage_gb: 500, asset_type: 'server' },
      { name: 'app-test-02', hostname: 'app-test-02', ip_address: null, operating_system: 'CentOS', os_version: '7', cpu_cores: 2, memory_gb: 8, storage_gb: 40, asset_type: 'server' },
      { name: 'zürich-app-01', hostname: 'zürich-app-01', ip_address: '192.168.40.7', operating_system: 'Ubuntu Linux', os_version: null, cpu_cores: 2, memory_gb: 4, storage_gb: 50, asset_type: 'server' },
    ],
  },
  {
    file: 'rvtools-vinfo.xlsx',
    sourceSystem: 'rvtools_vinfo',
    assets: 5,
    skipped: 1,
    duplicateHostnames: 1,
    mappings: { CPUs: { target: 'cpu_cores', matchType: 'exact', confidence: 1 } },
    rows: [
      { name: 'web-prd-01', hostname: 'web-prd-01', ip_address: '10.10.1.21', operating_system: 'Microsoft Windows Server', os_version: '2019', cpu_cores: 4, memory_gb: 16, storage_gb: 105, asset_type: 'server' },
      { name: 'zürich-app-01', hostname: 'zürich-app-01', ip_address: '192.168.40.7', operating_system: 'Ubuntu Linux', cpu_cores: 2, memory_gb: 4, storage_gb: 50, asset_type: 'server' },
    ],
  },
  {
    file: 'rvtools-db-names.csv',
    sourceSystem: 'rvtools_vinfo_db',
    assets: 3,
    skipped: 1,
    duplicateHostnames: 0,
    mappings: {
      vInfoVMName: { target: 'name', matchType: 'exact', confidence: 1 },
      vInfoProvisioned: { target: 'storage_gb', matchType: 'exact' },
      'vInfo_tags_Prod-Dev-Test': { target: 'custom_attributes.vInfo_tags_Prod-Dev-Test', matchType: 'unmapped', confidence: 0 },
    },
    rows: [
      { name: 'erp-app-01', hostname: 'erp-app-01', ip_address: '172.20.1.10', operating_system: 'Microsoft Windows Server', os_version: '2016', cpu_cores: 4, memory_gb: 16, storage_gb: 150, asset_type: 'server' },
      { name: 'erp-db-01', hostname: 'erp-db-01', ip_address: '172.20.1.20', ip_addresses: ['172.20.1.20', '172.20.9.20'], operating_system: 'Oracle Linux', os_version: '7', cpu_cores: 16, memory_gb: 128, storage_gb: 1024, asset_type: 'server' },
      { name: 'jump-01', hostname: 'jump-01', ip_address: null, operating_system: 'Debian GNU/Linux', os_version: '11', cpu_cores: 1, memory_gb: 1, storage_gb: 20, asset_type: 'server' },
    ],
  },
  {
    file: 'aws-migration-hub.csv',
    sourceSystem: 'aws_migration_hub',
    assets: 3,
    skipped: 0,
    duplicateHostnames: 0,
    mappings: {
      'RAM.TotalSizeInMB': { target: 'memory_gb', matchType: 'exact', confidence: 1 },
      'CPU.NumberOfProcessors': { target: 'cpu_cores', matchType: 'exact' },
      'VMware.MoRefId': { target: 'custom_attributes.vmware_moref_id', matchType: 'exact' },
    },
    rows: [
      { name: 'VM-PAY-01', hostname: 'payments-db-01', ip_address: '10.12.31.233', ip_addresses: ['10.12.31.233', '10.12.32.11'], operating_system: 'Linux', os_version: '16.04.3', cpu_cores: 8, memory_gb: 64, storage_gb: null, asset_type: 'server' },
      { name: 'web-02', hostname: 'web-02', ip_address: '192.168.5.20', ip_addresses: ['fe80::1', '192.168.5.20'], operating_system: 'Windows Server 2016 Datacenter', os_version: '10.0.14393', cpu_cores: 2, memory_gb: 8, storage_gb: null, asset_type: 'server' },
      { name: 'batch-03', hostname: 'batch-03', ip_address: null, operating_system: null, cpu_cores: null, memory_gb: null, storage_gb: null, asset_type: 'server' },
    ],
  },
  {
    file: 'azure-migrate.csv',
    sourceSystem: 'azure_migrate',
    assets: 3,
    skipped: 0,
    duplicateHostnames: 0,
    mappings: {
      '*Server name': { target: 'name', matchType: 'exact', confidence: 1 },
      '*Memory (In MB)': { target: 'memory_gb', matchType: 'exact' },
      'Disk 2 size (In GB)': { target: 'storage_gb', matchType: 'exact' },
    },
    rows: [
      { name: 'fin-app-01', hostname: 'fin-app-01', ip_address: '10.9.0.11', ip_addresses: ['10.9.0.11', '10.9.0.12'], operating_system: 'Microsoft Windows Server 2019 Datacenter', os_version: '10.0.17763', cpu_cores: 4, memory_gb: 16, storage_gb: 639, asset_type: 'server' },
      { name: 'fin-db-01', hostname: 'fin-db-01', ip_address: '10.9.0.20', operating_system: 'Red Hat Enterprise Linux', os_version: '8.6', cpu_cores: 8, memory_gb: 64, storage_gb: 1536, asset_type: 'server' },
      { name: 'münchen-web-03', hostname: 'münchen-web-03', ip_address: null, operating_system: 'Ubuntu', os_version: '22.04 LTS', cpu_cores: 2, memory_gb: 4, storage_gb: 64, asset_type: 'server' },
    ],
  },
  {
    file: 'servicenow-cmdb-ci-server.csv',
    sourceSystem: 'servicenow_cmdb_ci_server',
    assets: 4,
    skipped: 0,
    duplicateHostnames: 0,
    mappings: {
      cpu_count: { target: 'cpu_cores', matchType: 'exact', confidence: 1 },
      ram: { target: 'memory_gb', matchType: 'exact' },
      sys_class_name: { target: 'asset_type', matchType: 'exact' },
      used_for: { target: 'environment', matchType: 'exact' },
    },
    rows: [
      { name: 'sap-prd-app01', hostname: 'sap-prd-app01', ip_address: '10.20.1.5', operating_system: 'Linux Red Hat', os_version: '8.4', cpu_cores: 16, memory_gb: 32, storage_gb: 500, asset_type: 'server', environment: 'production' },
      { name: 'hr-db-01', hostname: 'hr-db-01', ip_address: '10.20.2.8', operating_system: 'Windows 2019 Standard', os_version: '10.0.17763', cpu_cores: 4, memory_gb: 16, storage_gb: 250, asset_type: 'server', environment: 'test' },
      { name: 'esx-host-07', hostname: 'esx-host-07', ip_address: '10.30.0.7', operating_system: 'ESXi', os_version: '7.0.3', cpu_cores: 32, memory_gb: 512, storage_gb: null, asset_type: 'server', environment: 'production' },
      { name: 'dr-file-02', hostname: 'dr-file-02', ip_address: '10.40.0.2', operating_system: 'Windows', os_version: '2016 Datacenter', cpu_cores: 2, memory_gb: 8, storage_gb: 2048, asset_type: 'server', environment: 'disaster_recovery' },
    ],
  },
  {
    file: 'google-migration-center.csv',
    sourceSystem: 'google_migration_center',
    assets: 3,
    skipped: 0,
    duplicateHostnames: 0,
    mappings: {
      MachineName: { target: 'name', matchType: 'exact', confidence: 1 },
      MemoryGiB: { target: 'memory_gb', matchType: 'exact' },
      IsPhysical: { target: 'custom_attributes.is_physical', matchType: 'exact' },
    },
    rows: [
      { name: 'shop-web01', hostname: 'shop-web01', ip_address: '10.60.0.4', operating_system: 'Ubuntu', os_version: '22.04', cpu_cores: 4, memory_gb: 16, storage_gb: 120, asset_type: 'server' },
      { name: 'shop-db01', hostname: 'shop-db01', ip_address: '172.16.0.9', operating_system: 'Microsoft Windows Server', os_version: '2022', cpu_cores: 16, memory_gb: 64, storage_gb: 1024.5, asset_type: 'server' },
      { name: 'legacy-as400', hostname: 'legacy-as400', ip_address: '10.60.9.3', operating_system: 'IBM i', os_version: '7.4', cpu_cores: 8, memory_gb: 0.5, storage_gb: 2000, asset_type: 'server' },
    ],
  },
  {
    file: 'generic-cmdb.csv',
    sourceSystem: 'generic_cmdb',
    assets: 7,
    skipped: 1,
    duplicateHostnames: 1,
    mappings: {
      'Server Name': { target: 'name', matchType: 'synonym', confidence: 0.9 },
      'Asset Type': { target: 'asset_type', matchType: 'exact', confidence: 1 },
      'Operating Sys': { target: 'operating_system', matchType: 'fuzzy' },
      'Number of vCPUs': { target: 'cpu_cores', matchType: 'fuzzy', confidence: 0.8 },
      'RAM (GB)': { target: 'memory_gb', matchType: 'synonym' },
      'Backup Policy': { target: 'custom_attributes.Backup Policy', matchType: 'unmapped', confidence: 0 },
    },
    rows: [
      { name: 'CRM Web 01', hostname: 'crm-web-01', ip_address: '10.1.1.10', ip_addresses: ['10.1.1.10', '10.1.1.11'], operating_system: 'Windows Server', os_version: '2016 Standard', cpu_cores: 4, memory_gb: 16, storage_gb: 512, asset_type: 'server', environment: 'production' },
      { name: 'CRM DB 01', hostname: 'crm-db-01', ip_address: '10.1.2.20', operating_system: 'Oracle Linux', os_version: '7.9', cpu_cores: 8, memory_gb: 64, storage_gb: 2048, asset_type: 'database', environment: 'production' },
      { name: 'Core Switch A', hostname: null, ip_address: '10.1.0.1', operating_system: 'Cisco IOS XE', cpu_cores: null, memory_gb: null, storage_gb: null, asset_type: 'network', environment: 'production' },
      { name: 'Payroll', hostname: null, ip_address: null, operating_system: null, cpu_cores: null, memory_gb: null, storage_gb: null, asset_type: 'application', environment: 'development' },
      { name: 'nas-01', hostname: 'nas-01', ip_address: '10.1.5.5', operating_system: null, cpu_cores: null, memory_gb: null, storage_gb: 102400, asset_type: 'storage', environment: 'uat' },
      { name: 'srv-ohne-typ', hostname: 'srv-ohne-typ', ip_address: '192.168.10.5', operating_system: 'SUSE Linux Enterprise Server', os_version: '15 SP4', cpu_cores: 2, memory_gb: 8, storage_gb: 102.4, asset_type: 'server', environment: 'test' },
    ],
  },
];
