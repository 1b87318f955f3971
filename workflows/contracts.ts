import * as z from 'zod';

/**
 * The payloads between states, shared by the handlers (which parse their input with them) and the
 * tests. Only ids and counts travel; never rows (Step Functions caps a state at 256 KB).
 */

const id = z.uuid();

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
  /** Raw records per chunk of the link and discovery Maps (the definition's default when absent). */
  chunkRows: z.number().int().positive().optional(),
  /** Chunks processed at once by each Map (the definition's default when absent). */
  mapConcurrency: z.number().int().positive().optional(),
  /** More rejected rows than this share of the file fails the import after storing (the definition's default, 10, when absent). */
  maxRejectedRowsPercent: z.number().min(0).max(100).optional(),
});
export type ExecutionInput = z.infer<typeof executionInput>;

const tenant = { clientAccountId: id, engagementId: id };

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

export const validateIntegrityInput = z.object({ ...tenant, dataImportId: id, flowId: id, discoveryFlowId: id });
export const validateIntegrityOutput = z.object({ ok: z.literal(true), healthScore: z.number(), checks: z.number().int(), warnings: z.array(z.string()) });

/** The Catch's ResultPath value: Error is the thrown error's name; Cause its message (AWS: a JSON string). */
export const caughtError = z.object({ Error: z.string(), Cause: z.string().optional().nullable() });

/** MarkFailed receives the whole state: whatever the steps before the failure added. */
export const markFailedInput = executionInput.extend({
  import: storeImportOutput.partial().optional(),
  flow: createMasterFlowOutput.partial().optional(),
  linkedChunks: z.object({ chunks: z.number() }).partial().optional(),
  link: linkRecordsOutput.partial().optional(),
  plan: planDiscoveryOutput.partial().optional(),
  discoveredChunks: z.object({ chunks: z.number() }).partial().optional(),
  discovery: startDiscoveryOutput.partial().optional(),
  integrity: validateIntegrityOutput.partial().optional(),
  error: caughtError,
});
export const markFailedOutput = z.object({
  dataImportId: id.nullable(),
  flowId: id.nullable(),
  discoveryFlowId: id.nullable(),
  /** False when the import was already completed and nothing was marked (never backwards). */
  marked: z.boolean(),
});

/**
 * ReportSucceeded / ReportFailed (functions/report-outcome): the outcome, the execution's name
 * (`$$.Execution.Name`) and the whole state as it stands at the end of either path.
 */
export const reportOutcomeInput = z.object({
  status: z.enum(['succeeded', 'failed']),
  execution: z.string().min(1),
  state: executionInput.extend({
    import: storeImportOutput.partial().optional(),
    flow: createMasterFlowOutput.partial().optional(),
    link: linkRecordsOutput.partial().optional(),
    discovery: startDiscoveryOutput.partial().optional(),
    integrity: validateIntegrityOutput.partial().optional(),
    error: caughtError.optional(),
    markFailed: markFailedOutput.partial().optional(),
  }),
});
export type ReportOutcomeInput = z.infer<typeof reportOutcomeInput>;
