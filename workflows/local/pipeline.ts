import { existsSync, statSync } from 'node:fs';
import { basename, resolve } from 'node:path';
import { and, asc, eq, sql } from 'drizzle-orm';
import { connect, type DbHandle } from '../../db/client.ts';
import { inventoryCountsOf } from '../../db/inventory/read.ts';
import { sameObjectVersion } from '../../db/queries/imports.ts';
import { inTenant } from '../../db/queries/sql.ts';
import { assets, dataImports, discoveryFlows, importFieldMappings, masterFlows, rawImportRecords } from '../../db/schema/index.ts';
import { openDatabase, type DatabaseTarget } from '../../db/database.ts';
import { runMigrations } from '../../db/migrate.ts';
import { closeLambdaDatabase } from '../../functions/_shared/database.ts';
import { createdObjects } from '../../functions/trigger/s3-event.ts';
import { startImport, type Chunking, type StartedImport } from '../../functions/trigger/trigger.ts';
import { IMPORT_PREFIX, type ExecutionState } from '../contracts.ts';
import type { ExecutionRecord } from './execution-store.ts';
import type { LocalWorkflow } from './runner.ts';
import { startLocalS3, type LocalS3 } from './s3.ts';
import type { LocalTenant } from './tenant.ts';

/** The bundled sample inventory `npm start` drops when no file is given. */
export const SAMPLE_FILE = resolve(import.meta.dirname, '..', 'samples', 'servers.csv');

/** Local state: FLOWLINK_LOCAL_DIR, else the project's git-ignored .flowlink/. */
export function localDir(env: NodeJS.ProcessEnv = process.env): string {
  return resolve(env.FLOWLINK_LOCAL_DIR ?? resolve(import.meta.dirname, '..', '..', '.flowlink'));
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
  /** Rows StoreImport rejected (stored, skipped by discovery) and values discovery could not read. */
  rowsRejected: number;
  fieldWarnings: number;
  discoveryFlowId: string | null;
  assetsDiscovered: number;
  fieldMappings: number;
  integrity: { ok: boolean; healthScore: number } | null;
  /** The drop's effect on the engagement's inventory, once reconciled. */
  inventory: { new: number; matched: number; updated: number; candidates: number } | null;
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
  const i = dataImports;
  const recordsOf = (linked: boolean) =>
    db.db
      .select({ n: sql<number>`count(*)::int` })
      .from(rawImportRecords)
      .where(and(eq(rawImportRecords.dataImportId, i.id), linked ? eq(rawImportRecords.masterFlowId, i.masterFlowId) : undefined));
  const [row] = await db.db
    .select({
      id: i.id,
      status: i.status,
      masterFlowId: i.masterFlowId,
      errorMessage: i.errorMessage,
      flowStatus: masterFlows.flowStatus,
      sourceSystem: i.sourceSystem,
      stored: sql<number>`${recordsOf(false)}`,
      linked: sql<number>`${recordsOf(true)}`,
      rejected: sql<number>`(select count(*)::int from ${rawImportRecords} where ${rawImportRecords.dataImportId} = ${i.id}
        and ${rawImportRecords.validationErrors} ->> 'skip' = 'rejected')`,
      warnings: sql<number>`(select coalesce(sum(jsonb_array_length(${rawImportRecords.validationErrors} -> 'warnings')), 0)::int
        from ${rawImportRecords} where ${rawImportRecords.dataImportId} = ${i.id})`,
      discoveryFlowId: discoveryFlows.id,
      assets: sql<number>`(select count(*)::int from ${assets} where ${assets.discoveryFlowId} = ${discoveryFlows.id})`,
      mappings: sql<number>`(select count(*)::int from ${importFieldMappings} where ${importFieldMappings.dataImportId} = ${i.id})`,
    })
    .from(i)
    .leftJoin(masterFlows, eq(masterFlows.flowId, i.masterFlowId))
    .leftJoin(discoveryFlows, eq(discoveryFlows.masterFlowId, i.masterFlowId))
    .where(and(eq(i.s3Bucket, input.bucket), eq(i.s3Key, input.key), sameObjectVersion(input), inTenant(i, input)));
  const discoveryFlowId = row?.discoveryFlowId ?? null;
  const byType = discoveryFlowId
    ? await db.db
        .select({ assetType: sql<string | null>`${assets.assetType}::text`, n: sql<number>`count(*)::int` })
        .from(assets)
        .where(eq(assets.discoveryFlowId, discoveryFlowId))
        .groupBy(assets.assetType)
        .orderBy(sql`2 desc`)
    : [];
  const samples: SampleAsset[] = discoveryFlowId
    ? await db.db
        .select({
          rowNumber: rawImportRecords.rowNumber,
          hostname: assets.hostname,
          assetType: sql<string | null>`${assets.assetType}::text`,
          ipAddress: assets.ipAddress,
          operatingSystem: assets.operatingSystem,
          osVersion: assets.osVersion,
          cpuCores: assets.cpuCores,
          memoryGb: assets.memoryGb,
          storageGb: assets.storageGb,
          environment: assets.environment,
        })
        .from(assets)
        .innerJoin(rawImportRecords, eq(rawImportRecords.id, assets.rawImportRecordId))
        .where(eq(assets.discoveryFlowId, discoveryFlowId))
        .orderBy(asc(rawImportRecords.rowNumber))
        .limit(SAMPLE_ASSETS)
    : [];
  const inventory = row ? await inventoryCountsOf(db.db, input, row.id) : null;
  const output = record.output as ExecutionState | null;
  return {
    execution: record.name,
    status: record.status,
    error: record.error,
    dataImportId: row?.id ?? null,
    importStatus: row?.status ?? null,
    flowId: row?.masterFlowId ?? null,
    flowStatus: row?.flowStatus ?? null,
    rowsStored: row?.stored ?? 0,
    rowsLinked: row?.linked ?? 0,
    rowsRejected: row?.rejected ?? 0,
    fieldWarnings: row?.warnings ?? 0,
    discoveryFlowId,
    assetsDiscovered: output?.discovery?.assets ?? row?.assets ?? 0,
    fieldMappings: row?.mappings ?? 0,
    integrity: output?.integrity ? { ok: output.integrity.ok ?? false, healthScore: output.integrity.healthScore ?? 0 } : null,
    inventory,
    errorMessage: row?.errorMessage ?? null,
    sourceSystem: row?.sourceSystem ?? null,
    assetsByType: Object.fromEntries(byType.map((t) => [t.assetType ?? 'unknown', t.n])),
    sampleAssets: [...samples],
  };
}
