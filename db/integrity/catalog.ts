import { getTableName, sql } from 'drizzle-orm';
import type { Tx } from '../client.ts';
import { assessments, assets, dataImports, discoveryFlows, importFieldMappings, masterFlows, migrationWaves, rawImportRecords, sixrAnalyses, wavePlans } from '../schema/index.ts';
import { flowType } from '../schema/enums.ts';

export const MASTER_TABLE = getTableName(masterFlows);

/**
 * The columns the checks read, named by the schema. The checks run over whatever the catalog holds
 * (an adopted database may carry more tables): every table under a master flow has these names.
 */
export const LINK = {
  masterFlowId: dataImports.masterFlowId.name,
  clientAccountId: dataImports.clientAccountId.name,
  engagementId: dataImports.engagementId.name,
  id: dataImports.id.name,
  importStatus: dataImports.status.name,
} as const;

/** Flow types the product knows; an adopted database may hold others in a text column. */
export const KNOWN_FLOW_TYPES: readonly string[] = flowType.enumValues;

/** Import states in which a data import (and its raw records) may still lack a master flow. */
export const UNLINKED_IMPORT_STATES = ['pending', 'stored', 'failed'] as const;

/**
 * The tables the product puts under a master flow. The catalog may add more (every public table with
 * a master_flow_id column is checked); a table of this list that is absent is itself a violation.
 */
export const EXPECTED_TABLES = [dataImports, rawImportRecords, discoveryFlows, importFieldMappings, assets, assessments, sixrAnalyses, migrationWaves, wavePlans].map(getTableName);

/**
 * A child's parent under the same master flow: the child's master_flow_id must equal its parent's
 * (a raw record and its import, an asset and its discovery flow, ...).
 */
export const PARENTS: Record<string, { column: string; table: string }> = Object.fromEntries(
  (
    [
      [rawImportRecords, rawImportRecords.dataImportId, dataImports],
      [importFieldMappings, importFieldMappings.dataImportId, dataImports],
      [discoveryFlows, discoveryFlows.dataImportId, dataImports],
      [assets, assets.discoveryFlowId, discoveryFlows],
      [sixrAnalyses, sixrAnalyses.assessmentId, assessments],
      [wavePlans, wavePlans.migrationWaveId, migrationWaves],
    ] as const
  ).map(([child, column, parent]) => [getTableName(child), { column: column.name, table: getTableName(parent) }]),
);

/** Tables of the legacy platform that must not remain in the public schema after adoption. */
export const LEGACY_TABLES = [
  'alembic_version',
  'data_import_sessions',
  'workflow_states',
  'discovery_assets',
  'mapping_learning_patterns',
  'data_quality_issues',
  'workflow_progress',
  'import_processing_steps',
] as const;
/** Legacy tables recognised by prefix (the v3_* generation). */
export const LEGACY_TABLE_PATTERN = 'v3\\_%';

/** What the catalog says about one table under a master flow. */
export interface ChildTable {
  name: string;
  columns: Set<string>;
  /** The parent link checked for consistency, when both sides exist. */
  parent: { column: string; table: string } | null;
}

export interface Catalog {
  masterTableExists: boolean;
  /** Expected tables absent from public, or present without master_flow_id. */
  missingTables: string[];
  /** Tables to check: expected ones present plus any other public table with master_flow_id. */
  tables: ChildTable[];
}

/** Reads the public schema once: which tables hang under a master flow and which columns they have. */
export async function readCatalog(db: Tx): Promise<Catalog> {
  const rows = await db.execute<{ table_name: string; columns: string[] }>(sql`
    select c.relname as table_name, array_agg(a.attname::text order by a.attnum) as columns
    from pg_class c
    join pg_namespace n on n.oid = c.relnamespace and n.nspname = 'public'
    join pg_attribute a on a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped
    where c.relkind in ('r', 'p')
    group by c.relname`);
  const byName = new Map(rows.map((r) => [r.table_name, new Set(r.columns)]));
  const underMaster = (name: string) => byName.get(name)?.has(LINK.masterFlowId) ?? false;
  const names = [...new Set([...EXPECTED_TABLES, ...[...byName.keys()].filter((n) => n !== MASTER_TABLE && underMaster(n)).sort()])];
  const tables: ChildTable[] = [];
  const missingTables: string[] = [];
  for (const name of names) {
    if (!underMaster(name)) {
      missingTables.push(name);
      continue;
    }
    const columns = byName.get(name)!;
    const declared = PARENTS[name];
    const parent = declared && columns.has(declared.column) && underMaster(declared.table) && byName.get(declared.table)!.has(LINK.id) ? declared : null;
    tables.push({ name, columns, parent });
  }
  return { masterTableExists: byName.get(MASTER_TABLE)?.has(masterFlows.flowId.name) ?? false, missingTables, tables };
}
