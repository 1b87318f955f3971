/**
 * The corpus of test/fixtures/inventory/tools: exports of inventory tools in the layouts those tools
 * write (not the layouts the mapper was tuned on), with the canonical values each row must give,
 * worked out by hand from the file and the tool's documented units. Scored by tools-corpus.test.ts.
 * GB is the binary gigabyte, as everywhere in discovery (16384 MB = 16 GB).
 */
export interface ToolAsset {
  name: string;
  hostname: string | null;
  ip_address: string | null;
  operating_system: string | null;
  os_version: string | null;
  cpu_cores: number | null;
  memory_gb: number | null;
  storage_gb: number | null;
  asset_type: string;
  environment: string | null;
}

export interface ToolFile {
  file: string;
  /** What the tool is, and where its layout comes from. */
  tool: string;
  rows: ToolAsset[];
}

const a = (
  name: string,
  hostname: string | null,
  ip_address: string | null,
  os: [string | null, string | null],
  cpu: number | null,
  memory: number | null,
  storage: number | null,
  asset_type = 'server',
  environment: string | null = null,
): ToolAsset => ({ name, hostname, ip_address, operating_system: os[0], os_version: os[1], cpu_cores: cpu, memory_gb: memory, storage_gb: storage, asset_type, environment });

export const TOOLS: ToolFile[] = [
  {
    file: 'powercli-get-vm.csv',
    tool: 'VMware PowerCLI Get-VM | Export-Csv (Windows PowerShell 5.1: #TYPE line first)',
    rows: [
      a('app-web-01', 'app-web-01', null, ['Microsoft Windows Server', '2019'], 4, 16, 102.004),
      a('app-db-02', 'app-db-02', null, ['Red Hat Enterprise Linux', '8'], 8, 64, 500),
      a('tools-03', 'tools-03', null, [null, null], 2, 2, 40),
    ],
  },
  {
    file: 'hyperv-get-vm.csv',
    tool: 'Hyper-V Get-VM | Export-Csv (PowerShell 5.1; ComputerName is the Hyper-V host; memory in bytes)',
    rows: [a('FS01', 'FS01', null, [null, null], 4, 8, null), a('PRINT01', 'PRINT01', null, [null, null], 2, 4, null), a('APP07', 'APP07', null, [null, null], 8, 16, null)],
  },
  {
    file: 'excel-de-1252.csv',
    tool: 'German Excel "CSV (Trennzeichen-getrennt)": Windows-1252, ";", decimal commas',
    rows: [
      a('muc-fs01', 'muc-fs01', '10.20.1.11', ['Windows Server', '2016 Standard'], 4, 7.5, 1024.5, 'server', 'production'),
      a('muc-app02', 'muc-app02', '10.20.1.12', ['SUSE Linux Enterprise Server', '15 SP4'], 8, 32, 250, 'server', 'test'),
      a('dus-web03', 'dus-web03', '10.30.1.5', ['Windows Server', '2019 Datacenter'], 2, 0.5, 80.25, 'server', 'development'),
    ],
  },
  {
    file: 'aws-ec2-describe-instances.json',
    tool: 'aws ec2 describe-instances (Reservations[].Instances[], the name in Tags[])',
    rows: [
      a('web-frontend-01', 'ip-10-0-1-12', '10.0.1.12', ['Linux/UNIX', null], 2, null, null, 'server', 'production'),
      a('sql-reporting', 'ip-10-0-2-40', '10.0.2.40', ['Windows with SQL Server Standard', null], 4, null, null, 'server', 'staging'),
      a('bastion', 'ip-10-0-3-7', '10.0.3.7', ['Red Hat Enterprise Linux', null], 1, null, null),
    ],
  },
  {
    file: 'azure-az-vm-list-d.json',
    tool: 'az vm list -d (nested OS, disks and tags)',
    rows: [
      a('vm-web-01', 'web01', '10.1.0.4', ['Windows', null], null, null, 639, 'server', 'production'),
      a('vm-build-02', 'build02', '10.2.0.5', ['Linux', null], null, null, 30, 'server', 'development'),
    ],
  },
  {
    file: 'osquery-system-info.log',
    tool: 'osquery results log, system_info query ({"name": <query>, "columns": {...}} per line)',
    rows: [a('web01', 'web01', null, [null, null], 4, 16, null), a('db02', 'db02', null, [null, null], 16, 128, null), a('mac-ops-7', 'mac-ops-7', null, [null, null], 10, 32, null)],
  },
  {
    file: 'sccm-v-r-system.csv',
    tool: 'ConfigMgr/SCCM views (v_R_System, v_GS_*): TotalPhysicalMemory0 in KB, Size0 in MB',
    rows: [
      a('WKS-0142', 'WKS-0142', '10.40.12.8', ['Microsoft Windows 10 Enterprise', '10.0.19045'], 8, 15.88, 476.374),
      a('SRV-FILE01', 'SRV-FILE01', '10.40.1.20', ['Microsoft Windows Server 2016 Standard', '10.0.14393'], 16, 64, 2048),
      a('SRV-APP02', 'SRV-APP02', '10.40.1.31', ['Microsoft Windows Server 2022 Datacenter', '10.0.20348'], 2, 8, 100),
    ],
  },
  {
    file: 'device42-devices.csv',
    tool: 'Device42 device export (IPs joined with " | ", Service_Level, t/f flags, unit columns)',
    rows: [
      a('lnx-web-01.corp.example.com', 'lnx-web-01', '10.5.0.11', ['Red Hat Enterprise Linux', '8.6'], 4, 8, 120, 'server', 'production'),
      a('core-sw-01', 'core-sw-01', '10.5.255.1', ['Cisco IOS XE', '17.3.4'], 4, 8, null, 'network', 'production'),
      a('lb-ext-01', 'lb-ext-01', '10.5.254.10', ['TMOS', '15.1.8'], 8, 32, 480, 'network', 'production'),
      a('sqlreports-web', 'sqlreports-web', '10.5.1.40', ['Microsoft Windows Server 2019 Standard', '1809'], 4, 16, 100, 'server', 'test'),
    ],
  },
  {
    file: 'azure-migrate-assessment.csv',
    tool: 'Azure Migrate assessment export (Machine, Memory(MB), Storage(GB), usage percentages)',
    rows: [
      a('ws-frontend-1', 'ws-frontend-1', '192.168.10.21', ['Microsoft Windows Server', '2016'], 2, 8, 127),
      a('ws-backend-2', 'ws-backend-2', '192.168.10.22', ['CentOS', '7'], 4, 32, 300),
      a('ws-legacy-3', 'ws-legacy-3', '192.168.10.23', ['Other 3.x or later Linux', null], 1, 2, 40),
    ],
  },
  {
    file: 'lansweeper-assets.csv',
    tool: 'Asset-management export (Lansweeper-style: sockets beside cores, MHz beside CPU counts, memory in MB, 0 = unknown)',
    rows: [
      a('ESXHOST-07', 'ESXHOST-07', '10.8.0.7', ['VMware ESXi', '7.0.3'], 48, 768, null),
      a('DC01', 'DC01', '10.8.0.10', ['Windows Server', '2019 Standard'], 12, 32, null),
      a('EDGE-RTR-1', 'EDGE-RTR-1', '10.8.255.1', ['Cisco IOS', '15.4(3)M'], null, 4, null, 'network'),
      a('SRX-FW-2', 'SRX-FW-2', '10.8.255.2', ['Junos', '20.4R3'], null, null, null, 'network'),
    ],
  },
  {
    file: 'vsphere-client-vms.csv',
    tool: 'vSphere Client VM list export (Host is the ESXi host; Guest Mem - % is a percentage)',
    rows: [
      a('app-vm-01', 'app-vm-01', '10.1.0.11', ['Microsoft Windows Server', '2019'], 4, 16, 120.5),
      a('app-vm-02', 'app-vm-02', '10.1.0.12', ['Ubuntu Linux', null], 2, 4, 60),
      a('db-vm-03', 'db-vm-03', '10.1.0.13', ['Red Hat Enterprise Linux', '8'], 8, 64, 1228.8),
    ],
  },
  {
    file: 'server-list-workbook.xlsx',
    tool: 'A workbook made by people (cover sheet, title and notes above a header at row 5, merged group headers, blank rows, units in cells)',
    rows: [
      a('CON-WEB-01', 'CON-WEB-01', '10.9.1.10', ['Windows Server', '2019'], 4, 16, 200, 'server', 'production'),
      a('CON-ERP-02', 'CON-ERP-02', '10.9.1.20', ['SLES', '15 SP3'], 24, 512, 2048, 'server', 'production'),
      a('CON-TST-03', 'CON-TST-03', '10.9.2.5', ['Ubuntu', '20.04'], 2, 0.5, 40, 'server', 'test'),
      a('CON-LEG-04', 'CON-LEG-04', '10.9.3.40', ['Windows Server', '2012 R2'], 1, 4, 60, 'server', 'development'),
    ],
  },
  {
    file: 'gcloud-compute-instances-list.json',
    tool: 'gcloud compute instances list --format=json (disks[] sized as strings in GB, networkInterfaces[], labels)',
    rows: [a('web-1', 'web-1', '10.132.0.2', [null, null], null, null, 250, 'server', 'production'), a('batch-2', 'batch-2', '10.132.0.3', [null, null], null, null, 10)],
  },
  {
    file: 'proxmox-cluster-resources.json',
    tool: 'Proxmox VE pvesh get /cluster/resources --output-format json (maxmem/maxdisk in bytes; mem/disk are usage)',
    rows: [a('web01', 'web01', null, [null, null], 4, 8, 32), a('db01', 'db01', null, [null, null], 8, 16, 100)],
  },
  {
    file: 'ad-get-adcomputer.csv',
    tool: 'Get-ADComputer -Properties * | Export-Csv (PowerShell 5.1: #TYPE line; DNSHostName is the FQDN)',
    rows: [
      a('WEB01', 'WEB01', '10.1.1.5', ['Windows Server 2019 Standard', '10.0 (17763)'], null, null, null),
      a('FS02', 'FS02', '10.1.1.6', ['Windows Server 2016 Datacenter', '10.0 (14393)'], null, null, null),
    ],
  },
  {
    file: 'ansible-hostvars.json',
    tool: 'Ansible facts keyed by host (hostvars / fact cache): processor_count sockets × processor_cores, vcpus are threads, memtotal_mb',
    rows: [a('web01', 'web01', '10.3.0.11', ['Ubuntu', '22.04'], 4, 7.775, null), a('db01', 'db01', '10.3.0.12', ['RedHat', '8.8'], 8, 62.711, null)],
  },
];
