import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import type { Sql } from '../../db/client.ts';
import { closeLambdaDatabase } from '../../functions/_shared/database.ts';
import { createdObjects } from '../../functions/trigger/s3-event.ts';
import { startImport, type Chunking, type StartedImport } from '../../functions/trigger/trigger.ts';
import { ExecutionStore, type ExecutionRecord } from '../../workflows/local/execution-store.ts';
import { importKey } from '../../workflows/local/pipeline.ts';
import { LocalWorkflow, type LocalRunnerOptions } from '../../workflows/local/runner.ts';
import { startLocalS3, type LocalS3 } from '../../workflows/local/s3.ts';
import { LOCAL_TASK_STATES } from '../../workflows/definition.ts';
import { useTestDatabase } from '../support/db.ts';
import { createTenant, type Tenant } from '../support/fixtures.ts';

/** No waits between retries: the backoff is the definition's business, not the tests'. */
export const NO_RETRY_WAIT = Object.fromEntries(LOCAL_TASK_STATES.map((s) => [s, 0]));

export interface Dropped {
  started: StartedImport;
  record: ExecutionRecord;
}

/**
 * The chunk size the workflow tests run with: FLOWLINK_TEST_CHUNK_ROWS (e.g. 10: the 25-row sample
 * in 3 chunks) runs the whole suite chunked; otherwise the definition's default (one chunk).
 */
export const TEST_CHUNK_ROWS = process.env.FLOWLINK_TEST_CHUNK_ROWS ? Number(process.env.FLOWLINK_TEST_CHUNK_ROWS) : undefined;

/**
 * A test file's local pipeline: a fresh database, s3rver in a temporary folder, an execution store
 * there too, and the environment the in-process Lambda handlers read (DATABASE_URL, S3_ENDPOINT).
 * `drop` uploads a file under a tenant's prefix, passes s3rver's event to the trigger core and
 * waits for the execution.
 */

export function useWorkflowWorld(chunking: Chunking = { chunkRows: TEST_CHUNK_ROWS }) {
  const database = useTestDatabase();
  const world = {} as {
    sql: Sql;
    s3: LocalS3;
    dir: string;
    store: ExecutionStore;
    tenant(): Promise<Tenant>;
    workflow(options?: LocalRunnerOptions): LocalWorkflow;
    upload(tenant: Tenant, name: string, body: string | Buffer): Promise<ReturnType<typeof createdObjects>[number]>;
    drop(tenant: Tenant, name: string, body: string | Buffer, options?: LocalRunnerOptions, chunking?: Chunking): Promise<Dropped>;
  };
  beforeAll(async () => {
    world.sql = database.current.sql;
    world.dir = mkdtempSync(join(tmpdir(), 'flowlink-workflow-'));
    world.s3 = await startLocalS3(join(world.dir, 's3'));
    world.store = new ExecutionStore(join(world.dir, 'executions'));
    process.env.DATABASE_URL = database.current.url;
    process.env.S3_ENDPOINT = world.s3.endpoint;
    world.tenant = () => createTenant(world.sql);
    world.workflow = (options = {}) => new LocalWorkflow({ store: world.store, retryIntervalOverrides: NO_RETRY_WAIT, ...options });
    world.upload = async (tenant, name, body) => {
      const file = join(world.dir, name);
      writeFileSync(file, body);
      const [ref] = createdObjects(await world.s3.upload(importKey(tenant, file), file));
      return ref!;
    };
    world.drop = async (tenant, name, body, options, chunks = chunking) => {
      const workflow = world.workflow(options);
      const ref = await world.upload(tenant, name, body);
      const started = await startImport({ sql: world.sql, sfn: workflow, stateMachineArn: workflow.stateMachineArn, chunking: chunks }, ref);
      return { started, record: await workflow.wait(started.executionName) };
    };
  });
  afterAll(async () => {
    await closeLambdaDatabase();
    await world.s3?.stop();
    if (world.dir) rmSync(world.dir, { recursive: true, force: true });
  });
  return world;
}

/** Columns that say when, not what: two runs of the same drop differ there and nowhere else. */
const WHEN = new Set(['created_at', 'updated_at', 'completed_at', 'processed_at', 'discovery_timestamp', 'imported_at']);
const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g;

/** The engagement's inventory: the conclusion drawn from the drops' assets. */
export const INVENTORY_TABLES = ['inventory_items', 'inventory_item_keys', 'inventory_candidates', 'inventory_reconciliations'];

/** Per-table row counts and content checksums of one tenant's rows. */
export type TenantSnapshot = Record<string, { rows: number; checksum: string }>;

/**
 * Everything a tenant has in the workflow's tables, as counts and checksums that two runs of the
 * same file (for two tenants, or before and after a replay) can be compared by. Excluded: the
 * timestamps (WHEN). Generated ids are not dropped but replaced by a label derived from the row's
 * business identity (the import by file name, a raw record by row number, a mapping by source
 * field, an asset by its raw record, the flows by their name), everywhere they occur, foreign keys
 * and jsonb included; so a link to the wrong row still changes the checksum, and an id that
 * belongs to nothing of the tenant shows up as `?uuid`.
 */
export async function tenantSnapshot(sql: Sql, tenant: Tenant): Promise<TenantSnapshot> {
  const scope = (table: string) => sql`select to_jsonb(t) as row from ${sql(table)} t where client_account_id = ${tenant.clientAccountId} and engagement_id = ${tenant.engagementId}`;
  const tables = [
    'crewai_flow_state_extensions',
    'data_imports',
    'raw_import_records',
    'discovery_flows',
    'import_field_mappings',
    'assets',
    'assessments',
    'sixr_analyses',
    'migration_waves',
    'wave_plans',
    ...INVENTORY_TABLES,
  ];
  const rows: Record<string, Record<string, unknown>[]> = {};
  for (const table of tables) rows[table] = (await scope(table)).map((r) => r.row as Record<string, unknown>);

  const labels = new Map<string, string>([
    [tenant.clientAccountId, 'CLIENT'],
    [tenant.engagementId, 'ENGAGEMENT'],
  ]);
  const importName = new Map<unknown, string>();
  for (const r of rows.data_imports!) {
    labels.set(r.id as string, `import:${r.filename}`);
    importName.set(r.id, String(r.filename));
  }
  for (const r of rows.crewai_flow_state_extensions!) labels.set(r.flow_id as string, `flow:${r.flow_type}:${r.flow_name}`);
  for (const r of rows.discovery_flows!) labels.set(r.id as string, `discovery:${r.flow_name}`);
  for (const r of rows.raw_import_records!) labels.set(r.id as string, `raw:${importName.get(r.data_import_id)}#${r.row_number}`);
  for (const r of rows.import_field_mappings!) labels.set(r.id as string, `mapping:${importName.get(r.data_import_id)}:${r.source_field}`);
  for (const r of rows.assets!) labels.set(r.id as string, `asset:${labels.get(r.raw_import_record_id as string) ?? r.name}`);
  // an inventory item by its observations, a candidate by its two items
  const observations = new Map<string, string[]>();
  for (const r of rows.assets!) if (r.inventory_item_id) observations.set(r.inventory_item_id as string, [...(observations.get(r.inventory_item_id as string) ?? []), labels.get(r.id as string)!]);
  for (const r of rows.inventory_items!) labels.set(r.id as string, `item:${(observations.get(r.id as string) ?? []).sort().join('+')}`);
  for (const r of rows.inventory_candidates!) labels.set(r.id as string, `candidate:${[labels.get(r.inventory_item_id as string), labels.get(r.candidate_item_id as string)].sort().join('~')}`);

  const snapshot: TenantSnapshot = {};
  for (const table of tables) {
    const lines = rows[table]!.map((r) => {
      const kept = Object.fromEntries(
        Object.entries(r)
          .filter(([k]) => !WHEN.has(k))
          .sort(([a], [b]) => a.localeCompare(b)),
      );
      return JSON.stringify(kept).replace(UUID, (id) => labels.get(id) ?? '?uuid');
    }).sort();
    snapshot[table] = { rows: lines.length, checksum: createHash('sha256').update(lines.join('\n')).digest('hex').slice(0, 16) };
  }
  return snapshot;
}

/** The import a tenant's drop produced, with its flow and discovery flow (or nulls). */
export async function importState(sql: Sql, tenant: Tenant) {
  const [row] = await sql<
    {
      id: string;
      status: string;
      total_records: number | null;
      master_flow_id: string | null;
      error_message: string | null;
      error_details: Record<string, unknown> | null;
      raw: number;
      linked: number;
      flow_status: string | null;
      flow_error: string | null;
      flow_configuration: Record<string, unknown> | null;
      discovery_status: string | null;
      discovery_id: string | null;
      error_phase: string | null;
      flows: number;
    }[]
  >`
    select i.id, i.status, i.total_records, i.master_flow_id, i.error_message, i.error_details,
           (select count(*)::int from raw_import_records r where r.data_import_id = i.id) as raw,
           (select count(*)::int from raw_import_records r where r.data_import_id = i.id and r.master_flow_id = i.master_flow_id) as linked,
           f.flow_status, f.error_message as flow_error, f.flow_configuration,
           d.status as discovery_status, d.id as discovery_id, d.error_phase,
           (select count(*)::int from crewai_flow_state_extensions x where x.client_account_id = i.client_account_id and x.engagement_id = i.engagement_id) as flows
    from data_imports i
    left join crewai_flow_state_extensions f on f.flow_id = i.master_flow_id
    left join discovery_flows d on d.master_flow_id = i.master_flow_id
    where i.client_account_id = ${tenant.clientAccountId} and i.engagement_id = ${tenant.engagementId}`;
  return row;
}

/**
 * Every row of the tenant in the workflow's tables, whole (timestamps and ids included), in a
 * stable order: what "a replay changes nothing" is compared by, strictly.
 */
export async function tenantRows(sql: Sql, tenant: Tenant): Promise<Record<string, unknown[]>> {
  const tables = ['crewai_flow_state_extensions', 'data_imports', 'raw_import_records', 'discovery_flows', 'import_field_mappings', 'assets', ...INVENTORY_TABLES];
  const out: Record<string, unknown[]> = {};
  for (const table of tables) {
    const rows = await sql`select to_jsonb(t) as row from ${sql(table)} t
      where client_account_id = ${tenant.clientAccountId} and engagement_id = ${tenant.engagementId}`;
    out[table] = rows.map((r) => JSON.stringify(r.row)).sort();
  }
  return out;
}
