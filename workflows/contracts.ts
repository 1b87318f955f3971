import * as z from 'zod';

/**
 * The payloads between states, shared by the handlers (which parse their input with them) and the
 * tests. Only ids and counts travel; never rows (Step Functions caps a state at 256 KB).
 */

const id = z.uuid();

/** True for a uuid as the contract accepts it (the one check behind every id typed by hand: CLI options, S3 keys, scopes). */
export const isUuid = (value: string): boolean => id.safeParse(value).success;

/** The key prefix under which a drop starts an import: `imports/<client_account_id>/<engagement_id>/<file name>`. */
export const IMPORT_PREFIX = 'imports/';

/** Where a consultant drops mapping corrections: `mappings/<client_account_id>/<engagement_id>/<header set id>.json`. */
export const MAPPINGS_PREFIX = 'mappings/';

/**
 * The settings an execution runs with, bounded wherever they enter (CLI, trigger environment,
 * execution input): a chunk is one Lambda invocation's work (50,000 rows take ~20 s), a Map runs at
 * most as many chunks at once as the functions' reserved concurrency can take, and the share of
 * rejected rows an import tolerates is a percentage.
 */
export const CHUNK_ROWS_MAX = 250_000;
export const MAP_CONCURRENCY_MAX = 100;
export const executionSettings = z.object({
  /** Raw records per chunk of the link and discovery Maps (the definition's default when absent). */
  chunkRows: z.number().int().min(1).max(CHUNK_ROWS_MAX).optional(),
  /** Chunks processed at once by each Map (the definition's default when absent). */
  mapConcurrency: z.number().int().min(1).max(MAP_CONCURRENCY_MAX).optional(),
  /** More rejected rows than this share of the file fails the import after storing (10 when absent). */
  maxRejectedRowsPercent: z.number().min(0).max(100).optional(),
});
export type ExecutionSettings = z.infer<typeof executionSettings>;

const SETTING_BOUNDS: Record<keyof ExecutionSettings, string> = {
  chunkRows: `a whole number from 1 to ${CHUNK_ROWS_MAX}`,
  mapConcurrency: `a whole number from 1 to ${MAP_CONCURRENCY_MAX}`,
  maxRejectedRowsPercent: 'a number from 0 to 100',
};

/** Why a setting is refused, naming it and its bounds; null when every present one is good. */
export function settingsProblem(settings: Record<string, unknown>): string | null {
  for (const [field, bounds] of Object.entries(SETTING_BOUNDS)) {
    if (!(field in settings)) continue;
    const value = settings[field];
    if (!executionSettings.shape[field as keyof ExecutionSettings].safeParse(value).success) {
      return `${field} must be ${bounds}, not ${JSON.stringify(value)}`;
    }
  }
  return null;
}

/** The execution input the trigger starts: the S3 object identity and its tenant. */
export const executionInput = z.object({
  bucket: z.string().min(1),
  key: z.string().min(1),
  /** null when the bucket is not versioned (local s3rver); the ETag then identifies the object. */
  versionId: z.string().nullable(),
  etag: z.string().nullable(),
  size: z.number().int().nonnegative().nullable(),
  clientAccountId: id,
  engagementId: id,
  ...executionSettings.shape,
});
export type ExecutionInput = z.infer<typeof executionInput>;

const tenant = { clientAccountId: id, engagementId: id };

/** The StoreImport task's input: the S3 object (as the trigger saw it) and its tenant. */
export const storeImportInput = z.object({
  bucket: z.string().min(1),
  key: z.string().min(1),
  /** The version the event named; absent (or null) where the bucket is not versioned. */
  versionId: z.string().min(1).nullish(),
  /** The ETag the event named: the object must still have it (else it was overwritten since). */
  etag: z.string().min(1).nullish(),
  clientAccountId: id,
  engagementId: id,
  /** The execution input as started: its chunk settings are checked here, at the first step, since they enter with it. */
  executionInput: z.record(z.string(), z.unknown()).optional(),
});
/** `reused`: this object version had been imported already, and nothing was written. */
export const storeImportOutput = z.object({
  dataImportId: id,
  rowCount: z.number().int().nonnegative(),
  /** Of rowCount, the rows rejected: stored and linked with their reason, skipped by discovery. */
  rejectedCount: z.number().int().nonnegative(),
  reused: z.boolean(),
});

export const createMasterFlowInput = z.object({ ...tenant, dataImportId: id });
export const createMasterFlowOutput = z.object({ flowId: id, reused: z.boolean() });

/** One chunk of a Map over the import's rows: rows fromRow .. fromRow + chunkRows - 1, chunk `chunk` (0-based) of `chunks`. */
const chunk = {
  fromRow: z.number().int().positive(),
  chunkRows: z.number().int().positive(),
  chunk: z.number().int().nonnegative(),
  chunks: z.number().int().positive(),
};
/** What a chunk Task returns: only counts, and the Map discards them (ResultSelector). */
export const chunkOutput = z.object({ chunk: z.number().int(), chunks: z.number().int(), rows: z.number().int().nonnegative() });

export const linkChunkInput = z.object({ action: z.literal('chunk'), ...tenant, dataImportId: id, flowId: id, ...chunk });
export const finishLinkInput = z.object({ action: z.literal('finish'), ...tenant, dataImportId: id, flowId: id, rowCount: z.number().int().nonnegative() });
export const linkRecordsInput = z.discriminatedUnion('action', [linkChunkInput, finishLinkInput]);
export const linkRecordsOutput = z.object({ linkedCount: z.number().int().nonnegative() });

export const planDiscoveryInput = z.object({ action: z.literal('plan'), ...tenant, dataImportId: id, flowId: id });
export const planDiscoveryOutput = z.object({ discoveryFlowId: id, fieldMappings: z.number().int().nonnegative(), sourceSystem: z.string() });
export const discoverChunkInput = z.object({ action: z.literal('chunk'), ...tenant, dataImportId: id, flowId: id, discoveryFlowId: id, ...chunk });
export const discoverChunkOutput = chunkOutput.extend({ assets: z.number().int().nonnegative(), skipped: z.number().int().nonnegative() });
export const finishDiscoveryInput = z.object({ action: z.literal('finish'), ...tenant, dataImportId: id, flowId: id, discoveryFlowId: id });
export const startDiscoveryInput = z.discriminatedUnion('action', [planDiscoveryInput, discoverChunkInput, finishDiscoveryInput]);
export const startDiscoveryOutput = z.object({
  discoveryFlowId: id,
  rows: z.number().int().nonnegative(),
  assets: z.number().int().nonnegative(),
  fieldMappings: z.number().int().nonnegative(),
  phasesCompleted: z.array(z.string()),
});

export const reconcileChunkInput = z.object({ action: z.literal('chunk'), ...tenant, dataImportId: id, flowId: id, ...chunk });
export const finishReconcileInput = z.object({ action: z.literal('finish'), ...tenant, dataImportId: id, flowId: id });
export const reconcileInventoryInput = z.discriminatedUnion('action', [reconcileChunkInput, finishReconcileInput]);
/** A drop's effect on the engagement's inventory (see docs/inventory.md). */
export const inventoryCounts = z.object({
  new: z.number().int().nonnegative(),
  matched: z.number().int().nonnegative(),
  updated: z.number().int().nonnegative(),
  candidates: z.number().int().nonnegative(),
});
/** `rows`: the chunk's assets reconciled by this run (0 when replayed). */
export const reconcileChunkOutput = chunkOutput.extend(inventoryCounts.shape);

export const validateIntegrityInput = z.object({ ...tenant, dataImportId: id, flowId: id, discoveryFlowId: id });
export const validateIntegrityOutput = z.object({ ok: z.literal(true), healthScore: z.number(), checks: z.number().int(), warnings: z.array(z.string()) });

/** The Catch's ResultPath value: Error is the thrown error's name; Cause its message (AWS: a JSON string). */
export const caughtError = z.object({ Error: z.string(), Cause: z.string().optional().nullable() });

export const markFailedOutput = z.object({
  dataImportId: id.nullable(),
  flowId: id.nullable(),
  discoveryFlowId: id.nullable(),
  /** False when the import was already completed and nothing was marked (never backwards). */
  marked: z.boolean(),
});

/**
 * The execution's state after any step: its input, and each step's result under the step's
 * ResultPath (import-workflow.asl.json) once that step has run, the Catch's error on the failure path.
 */
export const executionState = executionInput.extend({
  // whatever the input held: an out-of-bounds setting is the failure being recorded, and must not
  // stop its recording (StoreImport refuses it, naming it)
  chunkRows: z.unknown().optional(),
  mapConcurrency: z.unknown().optional(),
  maxRejectedRowsPercent: z.unknown().optional(),
  import: storeImportOutput.partial().optional(),
  flow: createMasterFlowOutput.partial().optional(),
  linkedChunks: z.object({ chunks: z.number() }).partial().optional(),
  link: linkRecordsOutput.partial().optional(),
  plan: planDiscoveryOutput.partial().optional(),
  discoveredChunks: z.object({ chunks: z.number() }).partial().optional(),
  discovery: startDiscoveryOutput.partial().optional(),
  reconciledChunks: z.object({ chunks: z.number() }).partial().optional(),
  inventory: inventoryCounts.partial().optional(),
  integrity: validateIntegrityOutput.partial().optional(),
  error: caughtError.optional(),
  markFailed: markFailedOutput.partial().optional(),
});
export type ExecutionState = z.infer<typeof executionState>;

/** MarkFailed receives the whole state: whatever the steps before the failure added, and the error. */
export const markFailedInput = executionState.extend({ error: caughtError });
export type MarkFailedInput = z.infer<typeof markFailedInput>;

/**
 * ReportSucceeded / ReportFailed (functions/report-outcome): the outcome, the execution's name
 * (`$$.Execution.Name`) and the whole state as it stands at the end of either path.
 */
export const reportOutcomeInput = z.object({
  status: z.enum(['succeeded', 'failed']),
  execution: z.string().min(1),
  state: executionState,
});
export type ReportOutcomeInput = z.infer<typeof reportOutcomeInput>;
