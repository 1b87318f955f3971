import { existsSync, statSync } from 'node:fs';
import { basename, resolve } from 'node:path';
import { connect, type DbHandle } from '../db/client.ts';
import { openDatabase, type DatabaseTarget } from '../db/database.ts';
import { runMigrations } from '../db/migrate.ts';
import { closeLambdaDatabase } from '../functions/_shared/database.ts';
import { createdObjects } from '../functions/trigger/s3-event.ts';
import { IMPORT_PREFIX, startImport, type Chunking, type StartedImport } from '../functions/trigger/trigger.ts';
import type { ExecutionRecord } from './execution-store.ts';
import type { LocalWorkflow } from './local-runner.ts';
import { startLocalS3, type LocalS3 } from './local-s3.ts';
import type { LocalTenant } from './local-tenant.ts';

/** The bundled sample inventory `npm start` drops when no file is given. */
export const SAMPLE_FILE = resolve(import.meta.dirname, 'samples', 'servers.csv');

/** Local state: FLOWLINK_LOCAL_DIR, else the project's git-ignored .flowlink/. */
export function localDir(env: NodeJS.ProcessEnv = process.env): string {
  return resolve(env.FLOWLINK_LOCAL_DIR ?? resolve(import.meta.dirname, '..', '.flowlink'));
}

export class MissingFileError extends Error {
  override name = 'MissingFileError';
}

export interface LocalEnvironment {
  target: DatabaseTarget;
  db: DbHandle;
  s3: LocalS3;
  close(): Promise<void>;
}

/**
 * Everything a local execution needs: the database (DATABASE_URL or the embedded one), migrated;
 * s3rver on a free port with its objects in <localDir>/s3. The step handlers find both through
 * DATABASE_URL and S3_ENDPOINT, as deployed Lambdas find theirs through their environment.
 */
export async function openLocalEnvironment(log: (line: string) => void = () => {}): Promise<LocalEnvironment> {
  const target = await openDatabase();
  let db: DbHandle | undefined;
  let s3: LocalS3 | undefined;
  try {
    const migrated = await runMigrations(target.url);
    if (migrated.applied.length) log(`applied ${migrated.applied.length} migration(s)`);
    db = connect(target.url, { application: 'flowlink-run' });
    s3 = await startLocalS3(resolve(localDir(), 's3'));
    process.env.DATABASE_URL = target.url;
    process.env.S3_ENDPOINT = s3.endpoint;
  } catch (err) {
    await s3?.stop();
    await db?.close();
    await target.stop();
    throw err;
  }
  const opened = { db, s3 };
  return {
    target,
    ...opened,
    async close() {
      await closeLambdaDatabase().catch(() => {});
      await opened.s3.stop().catch(() => {});
      await opened.db.close();
      await target.stop();
    },
  };
}

/** `imports/<client_account_id>/<engagement_id>/<file name>`: where a drop goes. */
export function importKey(tenant: Pick<LocalTenant, 'clientAccountId' | 'engagementId'>, file: string): string {
  return `${IMPORT_PREFIX}${tenant.clientAccountId}/${tenant.engagementId}/${basename(file)}`;
}

/**
 * Drops a file like a consultant would: uploads it through @aws-sdk/client-s3, hands the S3 event
 * to the trigger's core, which starts (or finds) the execution on the local Step Functions.
 */
export async function dropFile(env: Pick<LocalEnvironment, 'db' | 's3'>, workflow: LocalWorkflow, file: string, tenant: LocalTenant, chunking: Chunking = {}): Promise<StartedImport> {
  if (!existsSync(file) || !statSync(file).isFile()) throw new MissingFileError(`${file}: no such file`);
  const event = await env.s3.upload(importKey(tenant, file), file);
  const [ref] = createdObjects(event);
  if (!ref) throw new Error(`the S3 event for ${file} announced no created object`);
  return startImport({ sql: env.db.sql, sfn: workflow, stateMachineArn: workflow.stateMachineArn, chunking }, ref);
}

export interface RunSummary {
  execution: string;
  status: ExecutionRecord['status'];
  error: ExecutionRecord['error'];
  dataImportId: string | null;
  importStatus: string | null;
  flowId: string | null;
  flowStatus: string | null;
  rowsStored: number;
  rowsLinked: number;
  discoveryFlowId: string | null;
  assetsDiscovered: number;
  fieldMappings: number;
  integrity: { ok: boolean; healthScore: number } | null;
  errorMessage: string | null;
  sourceSystem: string | null;
  assetsByType: Record<string, number>;
  /** The first assets in file order, for the terminal. */
  sampleAssets: SampleAsset[];
}

export interface SampleAsset {
  rowNumber: number;
  hostname: string | null;
  assetType: string | null;
  ipAddress: string | null;
  operatingSystem: string | null;
  osVersion: string | null;
  cpuCores: number | null;
  memoryGb: number | null;
  storageGb: number | null;
  environment: string | null;
}

const SAMPLE_ASSETS = 10;

/** What an execution left in the database, read back by its S3 object (ids and counts). */
export async function summarize(db: DbHandle, record: ExecutionRecord): Promise<RunSummary> {
  const { input } = record;
  const [row] = await db.sql<{
    id: string; status: string; master_flow_id: string | null; error_message: string | null; flow_status: string | null;
    stored: number; linked: number; discovery_flow_id: string | null; assets: number; mappings: number; source_system: string | null;
  }[]>`
    select i.id, i.status, i.master_flow_id, i.error_message, f.flow_status, i.source_system,
           (select count(*)::int from raw_import_records r where r.data_import_id = i.id) as stored,
           (select count(*)::int from raw_import_records r where r.data_import_id = i.id and r.master_flow_id = i.master_flow_id) as linked,
           d.id as discovery_flow_id,
           (select count(*)::int from assets a where a.discovery_flow_id = d.id) as assets,
           (select count(*)::int from import_field_mappings m where m.data_import_id = i.id) as mappings
    from data_imports i
    left join crewai_flow_state_extensions f on f.flow_id = i.master_flow_id
    left join discovery_flows d on d.master_flow_id = i.master_flow_id
    where i.s3_bucket = ${input.bucket} and i.s3_key = ${input.key}
      and trim(both '"' from coalesce(i.s3_version_id, i.s3_etag)) = coalesce(${input.versionId}::text, ${input.etag}::text)
      and i.client_account_id = ${input.clientAccountId} and i.engagement_id = ${input.engagementId}`;
  const discoveryFlowId = row?.discovery_flow_id ?? null;
  const byType = discoveryFlowId
    ? await db.sql<{ asset_type: string | null; n: number }[]>`
        select asset_type::text, count(*)::int as n from assets where discovery_flow_id = ${discoveryFlowId} group by 1 order by 2 desc`
    : [];
  const samples = discoveryFlowId
    ? await db.sql<SampleAsset[]>`
        select r.row_number as "rowNumber", a.hostname, a.asset_type::text as "assetType", a.ip_address as "ipAddress",
               a.operating_system as "operatingSystem", a.os_version as "osVersion", a.cpu_cores as "cpuCores", a.memory_gb as "memoryGb",
               a.storage_gb as "storageGb", a.environment
        from assets a join raw_import_records r on r.id = a.raw_import_record_id
        where a.discovery_flow_id = ${discoveryFlowId}
        order by r.row_number limit ${SAMPLE_ASSETS}`
    : [];
  const output = record.output as { integrity?: { ok: boolean; healthScore: number }; discovery?: { assets?: number } } | null;
  return {
    execution: record.name,
    status: record.status,
    error: record.error,
    dataImportId: row?.id ?? null,
    importStatus: row?.status ?? null,
    flowId: row?.master_flow_id ?? null,
    flowStatus: row?.flow_status ?? null,
    rowsStored: row?.stored ?? 0,
    rowsLinked: row?.linked ?? 0,
    discoveryFlowId: row?.discovery_flow_id ?? null,
    assetsDiscovered: output?.discovery?.assets ?? row?.assets ?? 0,
    fieldMappings: row?.mappings ?? 0,
    integrity: output?.integrity ? { ok: output.integrity.ok, healthScore: output.integrity.healthScore } : null,
    errorMessage: row?.error_message ?? null,
    sourceSystem: row?.source_system ?? null,
    assetsByType: Object.fromEntries(byType.map((t) => [t.asset_type ?? 'unknown', t.n])),
    sampleAssets: [...samples],
  };
}
