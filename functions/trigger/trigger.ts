import { createHash } from 'node:crypto';
import { and, eq } from 'drizzle-orm';
import { tenantTransaction } from '../../db/access.ts';
import type { Db, Sql } from '../../db/client.ts';
import { clientAccounts, engagements } from '../../db/schema/index.ts';
import { settingsProblem, type ExecutionInput, type ExecutionSettings } from '../../workflows/contracts.ts';
import { readImportKey, type KeyTenant } from '../../workflows/import-key.ts';
import { InvalidImportError, TenantError } from '../../workflows/step-errors.ts';
import type { S3ObjectRef } from './s3-event.ts';

/** The one Step Functions call the trigger makes: @aws-sdk/client-sfn on AWS, the local runner locally. */
export interface SfnLike {
  startExecution(input: { stateMachineArn: string; name: string; input: string }): Promise<{ executionArn?: string | undefined }>;
}

export interface TriggerDeps {
  sql: Sql | Db;
  sfn: SfnLike;
  stateMachineArn: string;
  /** Chunk size and Map concurrency for the execution input (the environment's); the definition's defaults when absent. */
  chunking?: Chunking;
}

export interface Chunking {
  chunkRows?: number | undefined;
  mapConcurrency?: number | undefined;
  /** The share of rejected rows (0–100) above which an import fails after storing. */
  maxRejectedRowsPercent?: number | undefined;
}

/** CHUNK_ROWS, MAP_CONCURRENCY and MAX_REJECTED_ROWS_PERCENT (within the contract's bounds) from a Lambda's environment; unset ones stay unset. */
export function chunkingFromEnv(env: NodeJS.ProcessEnv = process.env): Chunking {
  const read = (name: string, field: keyof ExecutionSettings) => {
    const raw = env[name];
    if (raw === undefined || raw === '') return undefined;
    const n = Number(raw);
    const problem = settingsProblem({ [field]: n });
    if (problem) throw new Error(`${name}: ${problem.replace(/not .*$/, `not ${JSON.stringify(raw)}`)}`);
    return n;
  };
  return {
    chunkRows: read('CHUNK_ROWS', 'chunkRows'),
    mapConcurrency: read('MAP_CONCURRENCY', 'mapConcurrency'),
    maxRejectedRowsPercent: read('MAX_REJECTED_ROWS_PERCENT', 'maxRejectedRowsPercent'),
  };
}

export interface StartedImport {
  executionName: string;
  executionArn: string;
  /** True when an execution for this object version already existed (a duplicate event). */
  alreadyStarted: boolean;
  input: ExecutionInput;
}

/** `imports/<client_account_id>/<engagement_id>/<file name>` (ids lower-cased), or InvalidImportError saying why not. */
export function parseImportKey(key: string): KeyTenant {
  const read = readImportKey(key);
  if ('problem' in read) throw new InvalidImportError(`refused s3 key "${key}": ${read.problem}`, { key });
  return read;
}

/**
 * The execution name of one object version: the same object announced twice maps to the same name,
 * so Step Functions itself refuses the second start. sha-256 of bucket, key and the version id (the
 * ETag, then the sequencer, where the bucket is not versioned); 71 characters of [a-z0-9-].
 */
export function executionName(ref: Pick<S3ObjectRef, 'bucket' | 'key' | 'versionId' | 'etag' | 'sequencer'>): string {
  const version = ref.versionId ?? ref.etag ?? ref.sequencer;
  if (!version) throw new InvalidImportError(`s3://${ref.bucket}/${ref.key}: the event has no version id, ETag or sequencer to identify the object version`);
  return `import-${createHash('sha256').update(`${ref.bucket}\n${ref.key}\n${version}`).digest('hex')}`;
}

/**
 * Refuses a client that does not exist, or an engagement that is not that client's. Reads only, as
 * the app for the tenant the key names: row-level security shows it its own engagement and nothing
 * of another client's, so an engagement of another client reads as not there.
 */
export async function assertTenant(client: Sql | Db, clientAccountId: string, engagementId: string, key: string): Promise<void> {
  const found = await tenantTransaction(client, { clientAccountId, engagementId }, async (db) => {
    const [account] = await db.select({ id: clientAccounts.id }).from(clientAccounts).where(eq(clientAccounts.id, clientAccountId));
    const [engagement] = await db
      .select({ clientAccountId: engagements.clientAccountId })
      .from(engagements)
      .where(and(eq(engagements.id, engagementId), eq(engagements.clientAccountId, clientAccountId)));
    return { account: !!account, engagement: !!engagement };
  });
  if (!found.account) throw new TenantError(`refused s3 key "${key}": client account ${clientAccountId} does not exist`);
  if (!found.engagement) {
    throw new TenantError(`refused s3 key "${key}": engagement ${engagementId} does not exist or belongs to another client, not to ${clientAccountId}`);
  }
}

/**
 * The trigger's core: one created object → one import execution, at most once per object version.
 *
 * Primary course:
 * 1. Parse the key (InvalidImportError for another layout) and check the tenant (TenantError);
 *    a refusal writes nothing anywhere.
 * 2. StartExecution under the deterministic name with the object identity and tenant as input
 *    (and the environment's chunk size and Map concurrency).
 * 3. ExecutionAlreadyExists means a duplicate event: done, nothing started.
 */
export async function startImport(deps: TriggerDeps, ref: S3ObjectRef): Promise<StartedImport> {
  const { clientAccountId, engagementId } = parseImportKey(ref.key);
  await assertTenant(deps.sql, clientAccountId, engagementId, ref.key);
  const name = executionName(ref);
  const input: ExecutionInput = {
    bucket: ref.bucket,
    key: ref.key,
    versionId: ref.versionId,
    etag: ref.etag,
    size: ref.size,
    clientAccountId,
    engagementId,
    ...(deps.chunking?.chunkRows ? { chunkRows: deps.chunking.chunkRows } : {}),
    ...(deps.chunking?.mapConcurrency ? { mapConcurrency: deps.chunking.mapConcurrency } : {}),
    ...(deps.chunking?.maxRejectedRowsPercent !== undefined ? { maxRejectedRowsPercent: deps.chunking.maxRejectedRowsPercent } : {}),
  };
  const executionArn = `${deps.stateMachineArn.replace(':stateMachine:', ':execution:')}:${name}`;
  try {
    const out = await deps.sfn.startExecution({ stateMachineArn: deps.stateMachineArn, name, input: JSON.stringify(input) });
    return { executionName: name, executionArn: out.executionArn ?? executionArn, alreadyStarted: false, input };
  } catch (err) {
    if ((err as Error).name === 'ExecutionAlreadyExists') return { executionName: name, executionArn, alreadyStarted: true, input };
    throw err;
  }
}
