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
});
export type ExecutionInput = z.infer<typeof executionInput>;

const tenant = { clientAccountId: id, engagementId: id };

export const storeImportOutput = z.object({ dataImportId: id, rowCount: z.number().int().nonnegative(), reused: z.boolean() });

export const createMasterFlowInput = z.object({ ...tenant, dataImportId: id });
export const createMasterFlowOutput = z.object({ flowId: id, reused: z.boolean() });

export const linkRecordsInput = z.object({ ...tenant, dataImportId: id, flowId: id, rowCount: z.number().int().nonnegative() });
export const linkRecordsOutput = z.object({ linkedCount: z.number().int().nonnegative() });

export const startDiscoveryInput = z.object({ ...tenant, dataImportId: id, flowId: id });
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
  link: linkRecordsOutput.partial().optional(),
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
