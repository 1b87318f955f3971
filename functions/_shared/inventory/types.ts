/** The vocabulary shared by recognition, mapping, normalisation and the asset writer. */
import type { SizeUnit } from './numbers.ts';

export type AssetType = 'server' | 'database' | 'application' | 'network' | 'storage';
export type MatchType = 'exact' | 'synonym' | 'fuzzy' | 'unmapped' | 'manual';

/**
 * What a column can feed. Asset columns by their SQL names, plus inputs that become one
 * (cpu_sockets × cores_per_socket → cpu_cores; template/power_state decide skipping and are kept
 * in custom_attributes; storage_part columns are summed into storage_gb).
 */
export type Target =
  | 'name'
  | 'hostname'
  | 'fqdn'
  | 'ip_address'
  | 'mac_address'
  | 'operating_system'
  | 'os_version'
  | 'cpu_cores'
  | 'cpu_sockets'
  | 'cores_per_socket'
  | 'memory_gb'
  | 'storage_gb'
  | 'storage_part'
  | 'environment'
  | 'asset_type'
  | 'datacenter'
  | 'location'
  | 'business_owner'
  | 'technical_owner'
  | 'department'
  | 'application_name'
  | 'criticality'
  | 'description'
  | 'power_state'
  | 'template'
  | 'external_id'
  | 'storage_used_gb'
  | 'cluster'
  | 'virtualization_host'
  | 'os_family'
  | 'manufacturer'
  | 'model'
  // identifiers stable for the source: the strongest evidence the inventory matches on (docs/inventory.md)
  | 'vm_uuid'
  | 'bios_uuid'
  | 'serial_number'
  | 'cloud_instance_id'
  | 'cmdb_sys_id';

/** One column's mapping decision, as stored in import_field_mappings. */
export interface FieldMapping {
  sourceField: string;
  /** An asset column, or `custom_attributes.<key>` for what has none. */
  targetField: string;
  target: Target | null;
  matchType: MatchType;
  confidence: number;
  /** Unit of the column's values when it holds a size (from the format, or stated by the header). */
  unit?: SizeUnit | null;
  /** A column of the same row whose cell names the unit (a format's unit column). */
  unitColumn?: string | null;
  /** Lower comes first when several columns feed one target (first non-blank wins). */
  priority: number;
  rule: string;
}

/** The mapping plan of one import: its recognised format and a decision per column. */
export interface MappingPlan {
  sourceSystem: string;
  formatLabel: string;
  /** Rows of this format are machines by construction (asset_type rule 3). */
  rowsAreMachines: boolean;
  mappings: FieldMapping[];
}

/** A column a recognised format (or tool profile) writes, and what it means. */
export interface FormatColumn {
  /** The header as the format writes it; `pattern` for numbered families ("Disk 1 size (In GB)"). */
  header?: string;
  pattern?: RegExp;
  target?: Target;
  /** A custom attribute key, for known columns no asset column holds ('' keeps the header as the key). */
  custom?: string;
  unit?: SizeUnit;
  /** A column of the same row whose cell names this column's unit ("GB", "MB": Device42's ram_size_type). */
  unitColumn?: string;
  priority?: number;
}

export interface InventoryFormat {
  id: string;
  label: string;
  rowsAreMachines: boolean;
  columns: FormatColumn[];
  /** True when a file's header keys (see rawKey) carry this format's signature. */
  matches(keys: Set<string>): boolean;
}
