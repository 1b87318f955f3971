import { createReadStream, existsSync, statSync, writeFileSync } from 'node:fs';
import { basename, resolve } from 'node:path';
import type { Command } from 'commander';
import { InvalidImportError } from '../../workflows/step-errors.ts';
import { validateFile, type ValidationResult } from '../../functions/validate-file/validate-file.ts';
import { EXIT, UsageError } from '../exit.ts';
import { percent } from './run.ts';

type Out = (line: string) => void;

export interface ValidateOptions {
  json?: boolean;
  maxRejectedPercent?: number;
  /** Where the errors file goes (default: beside the file, `<file>.errors.csv`). */
  errorsFile?: string;
}

/**
 * `flowlink validate <file> [--json]`: checks a file as a drop would be checked (the same readers,
 * mapping, decimal marks, mapper and field warnings), writing nothing to the database: prints the
 * mapping, the counts and the first rejected rows, and writes the errors file locally. Exit 0 when
 * every row would be accepted and read, 3 with rejected rows or field warnings, 1 when the drop
 * would fail (the file refused, or more rejected rows than the threshold), 2 bad usage.
 */
export async function validateCommand(file: string, opts: ValidateOptions, out: Out = console.log): Promise<number> {
  const path = resolve(file);
  if (!existsSync(path) || !statSync(path).isFile()) throw new UsageError(`${path}: no such file`);
  const name = basename(path);
  let result: ValidationResult;
  try {
    result = await validateFile(() => createReadStream(path), { file: name, maxRejectedRowsPercent: opts.maxRejectedPercent });
  } catch (err) {
    if (!(err instanceof InvalidImportError)) throw err;
    if (opts.json) out(JSON.stringify({ file: name, outcome: 'failed', error: { name: err.name, message: err.message, ...err.details } }, null, 2));
    else out(`${name}: the file would be refused: ${err.message}`);
    return EXIT.checkFailed;
  }
  const errorsPath = result.errorsCsv === null ? null : resolve(opts.errorsFile ?? `${path}.errors.csv`);
  if (errorsPath) writeFileSync(errorsPath, result.errorsCsv!);
  if (opts.json) {
    out(
      JSON.stringify(
        {
          file: name,
          format: result.format,
          outcome: result.outcome,
          maxRejectedRowsPercent: result.maxRejectedRowsPercent,
          rows: result.rows,
          sourceSystem: result.plan.sourceSystem,
          fieldMappings: result.plan.mappings.map((m) => ({ sourceField: m.sourceField, targetField: m.targetField, matchType: m.matchType, confidence: m.confidence })),
          firstRejected: result.firstRejected,
          errorsFile: errorsPath,
        },
        null,
        2,
      ),
    );
  } else {
    printValidation(result, errorsPath, out);
  }
  return result.outcome === 'failed' ? EXIT.checkFailed : result.outcome === 'completed_with_errors' ? EXIT.withErrors : EXIT.ok;
}

function printValidation(r: ValidationResult, errorsPath: string | null, out: Out): void {
  const verdict =
    r.outcome === 'failed'
      ? `the import would FAIL: more than ${r.maxRejectedRowsPercent} % of the rows are rejected`
      : r.outcome === 'completed_with_errors'
        ? 'the import would complete WITH ERRORS'
        : 'the import would complete';
  out(`${r.file}: ${verdict} (nothing was written to the database)`);
  out(`  format          ${r.format}; recognised as ${r.plan.sourceSystem}`);
  out(`  rows            ${r.rows.total} in the file: ${r.rows.accepted} accepted, ${r.rows.rejected} rejected, ${r.rows.warnings} field warning(s)`);
  if (errorsPath) out(`  errors file     ${errorsPath}`);
  out('');
  const width = Math.min(32, Math.max('column'.length, ...r.plan.mappings.map((m) => m.sourceField.length)));
  out(`  ${'column'.padEnd(width)}  →  field (match, confidence)`);
  for (const m of r.plan.mappings) out(`  ${m.sourceField.padEnd(width)}  →  ${m.targetField} (${m.matchType}, ${m.confidence})`);
  if (r.firstRejected.length) {
    out('');
    out(`  first rejected rows${r.rows.rejected > r.firstRejected.length ? ` (${r.firstRejected.length} of ${r.rows.rejected}; all are in the errors file)` : ''}:`);
    for (const x of r.firstRejected) out(`    ${x.message}`);
  }
}

export function registerValidate(program: Command) {
  program
    .command('validate')
    .description('check an inventory file as a drop would be checked, writing nothing to the database: mapping, counts, rejected rows, errors file')
    .argument('<file>', 'CSV, JSON, NDJSON or XLSX inventory file')
    .option('--json', "the result as JSON (its rows object is the report's: total, accepted, rejected, warnings)")
    .option('--max-rejected-percent <p>', 'the threshold to judge by (default 10, as a drop)', percent('--max-rejected-percent'))
    .option('--errors-file <path>', 'where to write the errors file (default: <file>.errors.csv beside the file)')
    .addHelpText('after', '\nExit codes: 0 every row accepted and read; 3 rejected rows or field warnings; 1 the drop would fail; 2 bad usage.')
    .action(async (file: string, opts: ValidateOptions) => {
      process.exitCode = await validateCommand(file, opts);
    });
}
