import { GetObjectCommand, HeadObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { InvalidImportError, TenantError } from '../../workflows/step-errors.ts';
import { objectVersion, REPORT_PREFIX } from '../../workflows/report.ts';
import { validateFile } from './validate-file.ts';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** A drop under this prefix is validated, never imported: `validate/<client_account_id>/<engagement_id>/<file>`. */
export const VALIDATE_PREFIX = 'validate/';

export interface ValidateObjectInput {
  bucket: string;
  key: string;
  versionId?: string | null;
  etag?: string | null;
  maxRejectedRowsPercent?: number;
}

export interface ValidateObjectResult {
  report: { bucket: string; key: string };
  errorsFile: { bucket: string; key: string } | null;
  outcome: 'completed' | 'completed_with_errors' | 'failed';
}

/**
 * The AWS side of `flowlink validate`: a file dropped under validate/ is checked as a drop under
 * imports/ would be (validateFile), and only a validation report and the errors file are written,
 * under `reports/<client>/<engagement>/validate/<file>.<version>.json` and `.errors.csv` (no import,
 * no flow, nothing in the database). Not wired to a Lambda or an S3 event yet (docs/row-outcome.md).
 *
 * The object is read twice, both times pinned to the version (or ETag) HeadObject saw.
 */
export async function validateObject(deps: { s3: Pick<S3Client, 'send'> }, input: ValidateObjectInput): Promise<ValidateObjectResult> {
  const [prefix, client = '', engagement = '', ...rest] = input.key.split('/');
  if (`${prefix}/` !== VALIDATE_PREFIX || !UUID.test(client) || !UUID.test(engagement) || rest.length === 0) {
    throw new TenantError(`s3://${input.bucket}/${input.key} is not under validate/<client_account_id>/<engagement_id>/`);
  }
  const head = await deps.s3.send(new HeadObjectCommand({ Bucket: input.bucket, Key: input.key, VersionId: input.versionId ?? undefined }));
  const versionId = head.VersionId ?? input.versionId ?? null;
  const etag = (head.ETag ?? input.etag ?? '').replace(/"/g, '') || null;
  const file = rest.join('/').split('/').pop()!;
  const base = `${REPORT_PREFIX}${client}/${engagement}/validate/${file}.${objectVersion({ versionId, etag })}`;
  const open = () => body(deps.s3, input.bucket, input.key, versionId, etag);
  const report = { bucket: input.bucket, key: `${base}.json` };
  let content: Record<string, unknown>;
  let errorsFile: ValidateObjectResult['errorsFile'] = null;
  let outcome: ValidateObjectResult['outcome'];
  try {
    const result = await validateFile(open, { file, maxRejectedRowsPercent: input.maxRejectedRowsPercent });
    outcome = result.outcome;
    if (result.errorsCsv !== null) {
      errorsFile = { bucket: input.bucket, key: `${base}.errors.csv` };
      await deps.s3.send(new PutObjectCommand({ Bucket: errorsFile.bucket, Key: errorsFile.key, Body: result.errorsCsv, ContentType: 'text/csv; charset=utf-8' }));
    }
    content = {
      status: result.outcome,
      format: result.format,
      recognisedFormat: result.plan.sourceSystem,
      rows: result.rows,
      maxRejectedRowsPercent: result.maxRejectedRowsPercent,
      fieldMappings: result.plan.mappings.map((m) => ({ sourceField: m.sourceField, targetField: m.targetField, matchType: m.matchType, confidence: m.confidence })),
      firstRejected: result.firstRejected,
      error: null,
    };
  } catch (err) {
    if (!(err instanceof InvalidImportError)) throw err;
    outcome = 'failed';
    content = { status: 'failed', rows: null, error: { name: err.name, message: err.message, ...err.details } };
  }
  const document = {
    version: 1,
    kind: 'validation',
    clientAccountId: client,
    engagementId: engagement,
    bucket: input.bucket,
    key: input.key,
    versionId,
    etag,
    fileName: file,
    ...content,
    report,
    errorsFile,
  };
  await deps.s3.send(new PutObjectCommand({ Bucket: report.bucket, Key: report.key, Body: `${JSON.stringify(document, null, 2)}\n`, ContentType: 'application/json' }));
  return { report, errorsFile, outcome };
}

async function* body(s3: Pick<S3Client, 'send'>, bucket: string, key: string, versionId: string | null, etag: string | null): AsyncGenerator<Uint8Array> {
  const out = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key, ...(versionId ? { VersionId: versionId } : etag ? { IfMatch: `"${etag}"` } : {}) }));
  yield* out.Body as AsyncIterable<Uint8Array>;
}
