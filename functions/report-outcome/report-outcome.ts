import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { and, asc, eq, isNotNull, sql, type SQL } from 'drizzle-orm';
import { ROLES, scopeDrizzle } from '../../db/access.ts';
import type { PgColumn } from 'drizzle-orm/pg-core';
import type { Db, Tx } from '../../db/client.ts';
import { headerSetId } from '../_shared/inventory/corrections.ts';
import { fileNameOf, sameObjectVersion } from '../../db/queries/imports.ts';
import { assets, dataImports, discoveryFlows, importFieldMappings, inventoryReconciliations, rawImportRecords } from '../../db/schema/index.ts';
import type { ExecutionState, ReportOutcomeInput } from '../../workflows/contracts.ts';
import { DETAIL_TYPES, outcomeId, outcomeReport, REPORT_VERSION, reportKey, rowFileKey, summaryOf, type OutcomeReport, type ReportSummary } from '../../workflows/report.ts';
import { keyBelongsTo } from '../../workflows/import-key.ts';
import { parseCause, TenantError } from '../../workflows/step-errors.ts';
import { adviceFor } from './advice.ts';
import { putText } from './put-text.ts';
import { countRowIssues, errorsFileChunks, rejectedFileChunks, rejectedFileKind } from './row-files.ts';

/**
 * A failed run (a replay that failed) of an import the database holds as completed: the report of
 * the run that completed it stays, and no "Import Failed" goes out, since a report never
 * contradicts the database. Caught by the state machine on to Failed, under the run's own error.
 */
export class ReportKeptError extends Error {
  override name = 'ReportKeptError';
}

export interface ReportOutcomeDeps {
  db: Db;
  s3: Pick<S3Client, 'send'>;
}

export interface ReportOutcomeResult {
  detailType: (typeof DETAIL_TYPES)[keyof typeof DETAIL_TYPES];
  summary: ReportSummary;
}

const SKIP_NOTE = 'skipped: ';
export const EMPTY_ROW_REASON = 'empty row: every value blank (not stored)';
const asInt = (v: unknown): number | null => (typeof v === 'number' && Number.isInteger(v) && v >= 0 ? v : null);
const asText = (v: unknown): string | null => (typeof v === 'string' ? v : null);

/** The import of this object version: by the id the state carries, else by the S3 object (tenant-scoped). */
async function findImport(db: Tx, state: ExecutionState) {
  const tenant = and(eq(dataImports.clientAccountId, state.clientAccountId), eq(dataImports.engagementId, state.engagementId));
  const id = state.import?.dataImportId ?? state.markFailed?.dataImportId ?? null;
  const [row] = await db
    .select()
    .from(dataImports)
    .where(and(tenant, id ? eq(dataImports.id, id) : and(eq(dataImports.s3Bucket, state.bucket), eq(dataImports.s3Key, state.key), sameObjectVersion(state))));
  return row ?? null;
}

/**
 * Reads what the execution left in the database (never what the state claims, beyond the ids and
 * the integrity verdict): the import, its rows, mappings, assets and error. Nothing in it changes on
 * a replay of the same outcome but the execution name.
 */
export async function buildReport(db: Tx, input: ReportOutcomeInput): Promise<OutcomeReport> {
  return (await buildOutcome(db, input)).report;
}

/** The report, and how to read the errors and rejected rows files it names (row-files.ts). */
export async function buildOutcome(db: Tx, input: ReportOutcomeInput): Promise<{ report: OutcomeReport; records: SQL | undefined; config: Record<string, unknown> }> {
  const { state, status } = input;
  const imp = await findImport(db, state);
  const flowId = imp?.masterFlowId ?? state.flow?.flowId ?? state.markFailed?.flowId ?? null;
  const scope = (t: { clientAccountId: PgColumn; engagementId: PgColumn }) => and(eq(t.clientAccountId, state.clientAccountId), eq(t.engagementId, state.engagementId));

  const [discovery] = flowId
    ? await db
        .select({ id: discoveryFlows.id })
        .from(discoveryFlows)
        .where(and(eq(discoveryFlows.masterFlowId, flowId), scope(discoveryFlows)))
    : [];
  const discoveryFlowId = discovery?.id ?? null;

  const recordsOf = imp ? and(eq(rawImportRecords.dataImportId, imp.id), scope(rawImportRecords)) : undefined;
  const [rows] = recordsOf
    ? await db
        .select({
          stored: sql<number>`count(*)::int`,
          linked: flowId ? sql<number>`(count(*) filter (where ${rawImportRecords.masterFlowId} = ${flowId}))::int` : sql<number>`0`,
        })
        .from(rawImportRecords)
        .where(recordsOf)
    : [];
  const skips = recordsOf
    ? await db
        .select({ reason: rawImportRecords.processingNotes, n: sql<number>`count(*)::int` })
        .from(rawImportRecords)
        .where(and(recordsOf, eq(rawImportRecords.isValid, false), sql`${rawImportRecords.processingNotes} like ${`${SKIP_NOTE}%`}`))
        .groupBy(rawImportRecords.processingNotes)
        .orderBy(asc(rawImportRecords.processingNotes))
    : [];
  const config = (imp?.importConfig ?? {}) as Record<string, unknown>;
  const issues = recordsOf && (rows?.stored ?? 0) > 0 ? await countRowIssues(db, recordsOf) : null;
  // rows StoreImport did not store because every value was blank (Excel's ",,,," rows), then the
  // rows discovery skipped with the reason on their raw record
  const emptyRows = asInt(config.emptyRowsSkipped) ?? 0;
  const skippedByReason = Object.fromEntries([...(emptyRows ? [[EMPTY_ROW_REASON, emptyRows] as const] : []), ...skips.map((s) => [(s.reason ?? '').slice(SKIP_NOTE.length), s.n] as const)]);

  const headers = Array.isArray(config.headers) ? config.headers.filter((h): h is string => typeof h === 'string') : [];
  const order = new Map(headers.map((h, i) => [h, i]));
  const mappings = imp
    ? (
        await db
          .select()
          .from(importFieldMappings)
          .where(and(eq(importFieldMappings.dataImportId, imp.id), scope(importFieldMappings)))
          .orderBy(asc(importFieldMappings.sourceField))
      ).sort((a, b) => (order.get(a.sourceField) ?? Infinity) - (order.get(b.sourceField) ?? Infinity))
    : [];

  const byType = discoveryFlowId
    ? await db
        .select({ type: assets.assetType, n: sql<number>`count(*)::int` })
        .from(assets)
        .where(and(eq(assets.discoveryFlowId, discoveryFlowId), scope(assets)))
        .groupBy(assets.assetType)
        .orderBy(asc(assets.assetType))
    : [];
  const assetsByType = Object.fromEntries(byType.map((t) => [t.type ?? 'unknown', t.n]));

  const [inventory] = imp
    ? await db
        .select({ new: inventoryReconciliations.newItems, matched: inventoryReconciliations.matched, updated: inventoryReconciliations.updated, candidates: inventoryReconciliations.candidates })
        .from(inventoryReconciliations)
        .where(and(eq(inventoryReconciliations.dataImportId, imp.id), scope(inventoryReconciliations), isNotNull(inventoryReconciliations.completedAt)))
    : [];

  const errorName = state.error?.Error ?? null;
  const details = (imp?.errorDetails ?? {}) as Record<string, unknown>;
  const error =
    status === 'failed'
      ? (() => {
          const name = errorName ?? asText(details.errorName) ?? 'Error';
          const base = {
            name,
            step: asText(details.step),
            message: imp?.errorMessage ?? parseCause(state.error?.Cause).message ?? name,
            file: asText(details.file) ?? fileNameOf(state.key),
            line: asInt(details.line),
            byte: asInt(details.byte),
            row: asInt(details.row),
          };
          return { ...base, advice: adviceFor({ ...base, reason: asText(details.reason) }) };
        })()
      : null;

  const integrity =
    status === 'succeeded' && state.integrity
      ? { verdict: 'clean' as const, healthScore: state.integrity.healthScore ?? null, warnings: state.integrity.warnings ?? [] }
      : { verdict: errorName === 'IntegrityViolationError' ? ('violations' as const) : ('not_run' as const), healthScore: null, warnings: [] };

  const key = reportKey(state);
  const stored = rows?.stored ?? 0;
  const rejected = issues?.rejected ?? 0;
  const warnings = issues?.warnings ?? 0;
  const report = outcomeReport.parse({
    version: REPORT_VERSION,
    outcomeId: outcomeId(state, status),
    status: status === 'succeeded' && (rejected > 0 || warnings > 0) ? 'completed_with_errors' : status,
    execution: input.execution,
    clientAccountId: state.clientAccountId,
    engagementId: state.engagementId,
    bucket: state.bucket,
    key: state.key,
    versionId: state.versionId,
    etag: state.etag,
    fileName: fileNameOf(state.key),
    dataImportId: imp?.id ?? null,
    flowId,
    discoveryFlowId,
    importStatus: imp?.status ?? null,
    recognisedFormat: imp?.sourceSystem ?? null,
    file: {
      size: imp?.fileSize ?? state.size,
      sha256: imp?.fileHash ?? null,
      mimeType: imp?.mimeType ?? null,
      format: asText(config.format),
      encoding: asText(config.encoding),
      delimiter: asText(config.delimiter),
      sheet: imp?.sourceSheet ?? asText(config.sheet),
      headers,
      headerSetId: headers.length ? headerSetId(headers) : null,
    },
    rows: {
      stored: rows?.stored ?? 0,
      linked: rows?.linked ?? 0,
      skipped: Object.values(skippedByReason).reduce((s, n) => s + n, 0),
      skippedByReason,
      total: stored,
      accepted: stored - rejected,
      rejected,
      warnings,
    },
    fieldMappings: mappings.map((m) => ({
      sourceField: m.sourceField,
      targetField: m.targetField,
      matchType: m.matchType,
      confidence: m.confidence,
      userDefined: m.isUserDefined,
      evidence: ruleOf(m.transformationRules, 'rule'),
      unit: ruleOf(m.transformationRules, 'unit'),
    })),
    unmappedColumns: mappings.filter((m) => m.matchType === 'unmapped').map((m) => m.sourceField),
    assets: byType.reduce((s, t) => s + t.n, 0),
    assetsByType,
    inventory: inventory ?? null,
    integrity,
    error,
    report: { bucket: state.bucket, key },
    errorsFile: rejected + warnings > 0 ? { bucket: state.bucket, key: rowFileKey(state, 'errors.csv') } : null,
    rejectedFile: rejected > 0 ? { bucket: state.bucket, key: rowFileKey(state, `rejected.${rejectedFileKind(config).ext}`) } : null,
  });
  return { report, records: recordsOf, config };
}

/** A text entry of an import_field_mappings.transformation_rules object, or null. */
const ruleOf = (rules: unknown, key: string): string | null => {
  const v = typeof rules === 'object' && rules !== null ? (rules as Record<string, unknown>)[key] : undefined;
  return typeof v === 'string' ? v : null;
};

/** The report as it is written: stable key order, two-space indentation, a final newline. */
export const reportBody = (report: OutcomeReport): string => `${JSON.stringify(report, null, 2)}\n`;

/**
 * ReportSucceeded / ReportFailed: the outcome report of one execution, written beside the drop.
 *
 * Idempotency key: the object version. The report's key is derived from it
 * (`reports/<client>/<engagement>/<file>.<version or etag>.json`) and its content from the
 * database, so a replay overwrites the same object with the same content but for `execution`.
 *
 * Primary course:
 * 0. Refuse a key outside the state's tenant (TenantError: nothing written under this tenant).
 * 1. buildOutcome: read the import, rows, skips, mappings, assets and error from the database, and
 *    the rejected rows and field warnings (row-files.ts), in one read-only repeatable-read
 *    transaction (one snapshot, however the reads interleave). A failed run of a completed import
 *    writes nothing (ReportKeptError).
 * 2. PutObject the errors file and the rejected rows file, then the report, under reports/ in the
 *    import bucket (never under imports/: a report starts nothing).
 * 3. Return the summary and its detail-type for the state machine's PutEvents.
 */
export async function reportOutcome(deps: ReportOutcomeDeps, input: ReportOutcomeInput): Promise<ReportOutcomeResult> {
  const { state } = input;
  if (!keyBelongsTo(state.key, state)) {
    throw new TenantError(`s3://${state.bucket}/${state.key} is not under imports/${state.clientAccountId}/${state.engagementId}/: no report is written for it under this tenant`);
  }
  const report = await deps.db.transaction(
    async (tx) => {
      await scopeDrizzle(tx, state, ROLES.app);
      const { report, records, config } = await buildOutcome(tx, input);
      if (report.status === 'failed' && report.importStatus === 'completed') {
        throw new ReportKeptError(`data import ${report.dataImportId} is completed: its outcome report stands, and this failed run (${report.error?.name}) publishes no failure`);
      }
      // the files the report names first, from the same snapshot, streamed a page at a time: a report
      // never points at a file that is not there
      if (report.errorsFile && records) {
        await putText(deps.s3, { ...report.errorsFile, contentType: 'text/csv; charset=utf-8' }, errorsFileChunks(tx, records));
      }
      if (report.rejectedFile && records) {
        await putText(deps.s3, { ...report.rejectedFile, contentType: rejectedFileKind(config).contentType }, rejectedFileChunks(tx, records, config));
      }
      return report;
    },
    { isolationLevel: 'repeatable read', accessMode: 'read only' },
  );
  await deps.s3.send(
    new PutObjectCommand({
      Bucket: report.report.bucket,
      Key: report.report.key,
      Body: reportBody(report),
      ContentType: 'application/json',
    }),
  );
  return { detailType: DETAIL_TYPES[input.status], summary: summaryOf(report) };
}
