import { createHash } from 'node:crypto';
import * as z from 'zod';

/**
 * The outcome report written beside every drop, and the summary its EventBridge event carries.
 * This zod schema is the single source: `workflows/report.schema.json` is generated from it
 * (`npx tsx workflows/report-schema.ts`; a test fails when the file is stale).
 */

/** Bumped on any change a consumer could notice (a field removed, renamed or retyped). */
export const REPORT_VERSION = 1;
/** Where reports go in the import bucket: it mirrors `imports/`, which alone starts an import. */
export const REPORT_PREFIX = 'reports/';
/** EventBridge source and detail-types of the outcome events (the state machine may put no other source). */
export const EVENT_SOURCE = 'flowlink';
export const DETAIL_TYPES = { succeeded: 'Import Succeeded', failed: 'Import Failed' } as const;

const id = z.uuid();
const count = z.number().int().nonnegative();

/** succeeded with every row accepted and read; completed_with_errors: succeeded, some rows rejected or some values unreadable (the errors file lists them). */
export const reportStatus = z.enum(['succeeded', 'completed_with_errors', 'failed']);
/** The outcome of the workflow's path (ReportSucceeded / ReportFailed), which names the event and the outcome id. */
export const pathStatus = z.enum(['succeeded', 'failed']);

/** The rows of the file by outcome (the event carries these too). */
const rowOutcome = {
  total: count.describe('data rows of the file, rejected ones included (blank rows are not rows)'),
  accepted: count.describe('rows read as rows of the file'),
  rejected: count.describe('rows that could not be read as a row (stored as they were, skipped by discovery, listed in the errors and rejected files)'),
  warnings: count.describe('values discovery could not read for a typed field, left empty on the asset (listed in the errors file)'),
};
const objectRef = z.object({ bucket: z.string(), key: z.string() });

export const reportError = z.object({
  name: z.string().describe('the error class, e.g. InvalidImportError, IntegrityViolationError'),
  step: z.string().nullable().describe('the workflow state that failed'),
  message: z.string(),
  file: z.string().nullable(),
  line: count.nullable().describe('1-based line of the file, where known'),
  byte: count.nullable().describe('byte offset in the file, where known'),
  row: count.nullable().describe('1-based data row (the header is not a row), where known'),
  advice: z.string().describe('what the person who dropped the file can do about it'),
});

export const reportFieldMapping = z.object({
  sourceField: z.string().describe('the column of the file'),
  targetField: z.string().describe('the asset field, or custom_attributes.<column> when unmapped'),
  matchType: z.enum(['exact', 'synonym', 'fuzzy', 'unmapped', 'manual']),
  confidence: z.number().min(0).max(1),
  userDefined: z.boolean(),
  evidence: z.string().nullable().optional().describe('why: the profile column, synonym or correction that decided it'),
  unit: z.string().nullable().optional().describe('the size unit the column was read in, when stated (header, profile, correction)'),
});

/** The drop's effect on the engagement's inventory (docs/inventory.md); null until its reconciliation completed. */
export const reportInventory = z
  .object({
    new: count.describe('inventory items this drop created'),
    matched: count.describe("this drop's assets that joined an item an earlier drop made"),
    updated: count.describe('items of earlier drops whose values this drop changed'),
    candidates: count.describe('possible matches this drop proposed for a person to confirm or reject'),
  })
  .nullable();

/** What the event carries: enough to act on, and the ids a consumer deduplicates by. */
export const reportSummary = z.object({
  version: z.literal(REPORT_VERSION),
  outcomeId: z.string().describe('sha-256 of bucket, key, object version and status: the same for every replay of one outcome'),
  status: reportStatus,
  execution: z.string().describe('the Step Functions execution that wrote the report (differs on a replay)'),
  clientAccountId: id,
  engagementId: id,
  bucket: z.string(),
  key: z.string(),
  versionId: z.string().nullable(),
  etag: z.string().nullable(),
  fileName: z.string(),
  dataImportId: id.nullable(),
  flowId: id.nullable(),
  discoveryFlowId: id.nullable(),
  rows: z.object({ stored: count, linked: count, skipped: count, ...rowOutcome }),
  assets: count,
  inventory: reportInventory,
  error: reportError.pick({ name: true, message: true, line: true, row: true, advice: true }).nullable(),
  report: objectRef.describe('where the full report is'),
  errorsFile: objectRef.nullable().describe('line,row,column,value,severity,message for every rejected row and field warning; null when there is none'),
  rejectedFile: objectRef.nullable().describe("the rejected rows in the file's own format (a workbook's as CSV), with its header; null when none was rejected"),
});

export const outcomeReport = z.object({
  ...reportSummary.shape,
  error: reportError.nullable(),
  file: z.object({
    size: count.nullable(),
    sha256: z.string().nullable(),
    mimeType: z.string().nullable(),
    format: z.string().nullable().describe('csv, json, ndjson or xlsx, as StoreImport read it'),
    encoding: z.string().nullable(),
    delimiter: z.string().nullable(),
    sheet: z.string().nullable().describe('the workbook sheet read'),
    headers: z.array(z.string()),
    headerSetId: z.string().nullable().optional().describe('the id a mapping correction names (flowlink mapping set --header-set)'),
  }),
  importStatus: z.string().nullable(),
  recognisedFormat: z.string().nullable().describe('the inventory format discovery recognised (rvtools, servicenow_cmdb, generic_cmdb, ...)'),
  rows: z.object({
    stored: count,
    linked: count,
    skipped: count,
    skippedByReason: z.record(z.string(), count).describe('rows that gave no asset, by the reason on their raw record'),
    ...rowOutcome,
  }),
  fieldMappings: z.array(reportFieldMapping),
  unmappedColumns: z.array(z.string()).describe('columns kept as custom attributes only'),
  assetsByType: z.record(z.string(), count),
  integrity: z.object({
    verdict: z.enum(['clean', 'violations', 'not_run']),
    healthScore: z.number().nullable(),
    warnings: z.array(z.string()),
  }),
});

export type ReportSummary = z.infer<typeof reportSummary>;
export type OutcomeReport = z.infer<typeof outcomeReport>;
export type ReportStatus = z.infer<typeof reportStatus>;

/** The object version a report belongs to: the version id, else the ETag without its quotes. */
export function objectVersion(object: { versionId: string | null; etag: string | null }): string {
  const version = object.versionId ?? object.etag?.replace(/"/g, '');
  if (!version) throw new Error('the object has neither a version id nor an ETag: its report has no stable key');
  return version;
}

/**
 * `reports/<client_account_id>/<engagement_id>/<file>.<version or etag>.json` for the drop
 * `imports/<client_account_id>/<engagement_id>/<file>`: one report per object version, rewritten in
 * place by a replay.
 */
export function reportKey(object: { key: string; versionId: string | null; etag: string | null; clientAccountId: string; engagementId: string }): string {
  const file = object.key.split('/').pop() ?? object.key;
  return `${REPORT_PREFIX}${object.clientAccountId}/${object.engagementId}/${file}.${objectVersion(object)}.json`;
}

/** The key of a file beside the report (`errors.csv`, `rejected.csv`, ...): the report's key with that suffix for `json`. */
export function rowFileKey(object: Parameters<typeof reportKey>[0], suffix: string): string {
  return reportKey(object).replace(/\.json$/, `.${suffix}`);
}

/** The id consumers deduplicate by: one per object version and outcome, whatever the execution. */
export function outcomeId(object: { bucket: string; key: string; versionId: string | null; etag: string | null }, status: z.infer<typeof pathStatus>): string {
  return createHash('sha256')
    .update(`${object.bucket}\n${object.key}\n${objectVersion(object)}\n${status}`)
    .digest('hex');
}

/** The event's detail: the report's summary fields. */
export function summaryOf(report: OutcomeReport): ReportSummary {
  const { error } = report;
  return reportSummary.parse({
    ...Object.fromEntries(Object.keys(reportSummary.shape).map((k) => [k, report[k as keyof OutcomeReport]])),
    rows: {
      stored: report.rows.stored,
      linked: report.rows.linked,
      skipped: report.rows.skipped,
      total: report.rows.total,
      accepted: report.rows.accepted,
      rejected: report.rows.rejected,
      warnings: report.rows.warnings,
    },
    error: error && { name: error.name, message: error.message, line: error.line, row: error.row, advice: error.advice },
  });
}
