import { resolve } from 'node:path';
import { GetObjectCommand, NoSuchKey } from '@aws-sdk/client-s3';
import type { Command } from 'commander';
import { ExecutionDoesNotExist, ExecutionStore } from '../../workflows/local/execution-store.ts';
import { localDir } from '../../workflows/local/pipeline.ts';
import { startLocalS3 } from '../../workflows/local/s3.ts';
import { outcomeReport, reportKey, type OutcomeReport } from '../../workflows/report.ts';
import { EXIT, UsageError } from '../exit.ts';

type Out = (line: string) => void;

/** The report as a consultant reads it: outcome, what to do, then what came out of the file. */
export function printReport(r: OutcomeReport, out: Out = console.log): void {
  out(`${r.fileName}: import ${r.status.toUpperCase()}`);
  out(`  report          s3://${r.report.bucket}/${r.report.key} (version ${r.version})`);
  out(`  dropped as      s3://${r.bucket}/${r.key} (${r.versionId ? `version ${r.versionId}` : `etag ${r.etag}`})`);
  out(`  execution       ${r.execution}`);
  if (r.error) {
    const where = [r.error.file, r.error.line !== null ? `line ${r.error.line}` : null, r.error.byte !== null ? `byte ${r.error.byte}` : null, r.error.row !== null ? `row ${r.error.row}` : null]
      .filter(Boolean)
      .join(', ');
    out(`  error           ${r.error.name}${r.error.step ? ` in ${r.error.step}` : ''}${where ? ` (${where})` : ''}`);
    out(`                  ${r.error.message}`);
    out(`  what to do      ${r.error.advice}`);
  }
  out(`  ids             data import ${r.dataImportId ?? '-'}, flow_id ${r.flowId ?? '-'}, discovery flow ${r.discoveryFlowId ?? '-'}`);
  const format = [r.file.format, r.file.encoding, r.file.delimiter ? `delimiter "${r.file.delimiter}"` : null, r.file.sheet ? `sheet "${r.file.sheet}"` : null].filter(Boolean).join(', ');
  out(`  file            ${r.file.size ?? '?'} bytes${format ? `, ${format}` : ''}${r.recognisedFormat ? `; recognised as ${r.recognisedFormat}` : ''}`);
  const reasons = Object.entries(r.rows.skippedByReason)
    .map(([reason, n]) => `${n} ${reason}`)
    .join('; ');
  out(`  rows            ${r.rows.stored} stored, ${r.rows.linked} linked, ${r.rows.skipped} skipped${reasons ? ` (${reasons})` : ''}`);
  out(`                  ${r.rows.accepted} of ${r.rows.total} accepted, ${r.rows.rejected} rejected, ${r.rows.warnings} field warning(s)`);
  if (r.errorsFile) out(`  errors file     s3://${r.errorsFile.bucket}/${r.errorsFile.key}`);
  if (r.rejectedFile) out(`  rejected rows   s3://${r.rejectedFile.bucket}/${r.rejectedFile.key} (fix them and drop this file again)`);
  const types = Object.entries(r.assetsByType)
    .map(([t, n]) => `${n} ${t}`)
    .join(', ');
  out(`  assets          ${r.assets}${types ? ` (${types})` : ''}`);
  out(
    `  integrity       ${r.integrity.verdict}${r.integrity.healthScore !== null ? `, health score ${r.integrity.healthScore}` : ''}${r.integrity.warnings.length ? `; warnings: ${r.integrity.warnings.join(', ')}` : ''}`,
  );
  if (r.fieldMappings.length) {
    out('');
    const width = Math.min(32, Math.max(...r.fieldMappings.map((m) => m.sourceField.length), 'column'.length));
    out(`  ${'column'.padEnd(width)}  →  field [unit] (match, confidence): evidence`);
    for (const m of r.fieldMappings) {
      out(
        `  ${m.sourceField.padEnd(width)}  →  ${m.targetField}${m.unit ? ` [${m.unit}]` : ''} (${m.matchType}, ${m.confidence}${m.userDefined ? ', user-defined' : ''})${m.evidence ? `: ${m.evidence}` : ''}`,
      );
    }
    if (r.file.headerSetId) {
      out(`  header set ${r.file.headerSetId}; to correct a column for this file and the next drops like it:`);
      out(`    flowlink mapping set --engagement <engagement-id> --header-set ${r.file.headerSetId} "<column>=<field>[:unit]"`);
    }
  }
  if (r.unmappedColumns.length) out(`  unmapped (kept as custom attributes): ${r.unmappedColumns.join(', ')}`);
}

/**
 * `flowlink report <execution> [--json]`: the outcome report of a local execution, read from the
 * local S3 where the ReportSucceeded/ReportFailed state wrote it. Exit 0 for a succeeded import, 3
 * for one completed with errors, 1 for a failed one, 2 when the execution or its report does not exist.
 */
export async function reportCommand(name: string, opts: { json?: boolean }, out: Out = console.log): Promise<number> {
  let record;
  try {
    record = new ExecutionStore(resolve(localDir(), 'executions')).get(name);
  } catch (err) {
    if (err instanceof ExecutionDoesNotExist) throw new UsageError(`${err.message} (see \`flowlink executions\`)`);
    throw err;
  }
  const key = reportKey(record.input);
  const s3 = await startLocalS3(resolve(localDir(), 's3'), record.input.bucket);
  let text: string;
  try {
    const object = await s3.client.send(new GetObjectCommand({ Bucket: record.input.bucket, Key: key }));
    text = await object.Body!.transformToString();
  } catch (err) {
    if (err instanceof NoSuchKey || (err as { name?: string }).name === 'NoSuchKey') {
      throw new UsageError(`execution ${name} has no report at s3://${record.input.bucket}/${key} (still running, or its report state failed: \`flowlink replay ${name}\` writes it)`);
    }
    throw err;
  } finally {
    await s3.stop();
  }
  const report = outcomeReport.parse(JSON.parse(text));
  if (opts.json) out(text.trimEnd());
  else printReport(report, out);
  return report.status === 'succeeded' ? EXIT.ok : report.status === 'completed_with_errors' ? EXIT.withErrors : EXIT.checkFailed;
}

export function registerReport(program: Command) {
  program
    .command('report')
    .description('print the outcome report of a local execution (what the consultant who dropped the file gets beside it)')
    .argument('<execution>', 'execution name (see `flowlink executions`)')
    .option('--json', 'the report as written (JSON, schema workflows/report.schema.json)')
    .action(async (name: string, opts: { json?: boolean }) => {
      process.exitCode = await reportCommand(name, opts);
    });
}
