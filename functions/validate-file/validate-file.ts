/**
 * Validate before committing: a file checked row by row as the import workflow would check it,
 * writing nothing to the database. The same readers (StoreImport's formats, so the same rejected
 * rows), the same mapping plan (planMapping over the file's headers), the same decimal marks
 * (column evidence, else the file's, else '.'), the same mapper and field warnings (toAsset,
 * checkFields): so the counts are the ones a drop of the file would report.
 *
 * The file is read twice (`open` is called once per pass): once for its rows, headers and decimal
 * evidence, once to map every accepted row with the plan that the whole file decides. Memory
 * stays flat: rows are counted and mapped as they are read; only the first rejected rows are kept.
 */
import { planMapping } from '../_shared/inventory/field-mapper.ts';
import { checkFields } from '../_shared/inventory/field-warnings.ts';
import { decimalEvidence, type DecimalMark } from '../_shared/inventory/numbers.ts';
import { compilePlan, NUMERIC_TARGETS, toAsset } from '../_shared/inventory/to-asset.ts';
import type { MappingPlan } from '../_shared/inventory/types.ts';
import { errorsDocument, errorsLine } from '../report-outcome/row-files.ts';
import { openTable, RejectedRow, type ParsedTable } from '../store-import/formats/index.ts';
import { DEFAULT_MAX_REJECTED_ROWS_PERCENT } from '../store-import/formats/rejected.ts';

/** How many rejected rows the result lists (all of them are in the errors file). */
const FIRST_REJECTED = 10;

export interface ValidationResult {
  file: string;
  format: ParsedTable['format'];
  /** As the report's `rows`: every data row, those read as rows, those rejected, the values discovery could not read. */
  rows: { total: number; accepted: number; rejected: number; warnings: number };
  /** completed, completed_with_errors, or failed (more rejected rows than the threshold allows). */
  outcome: 'completed' | 'completed_with_errors' | 'failed';
  maxRejectedRowsPercent: number;
  plan: MappingPlan;
  firstRejected: Array<{ line: number | null; row: number; message: string }>;
  /** The errors file's content (as the report's errors file), or null when there is nothing to say. */
  errorsCsv: string | null;
}

/**
 * Checks the file. A fault of the file itself (encoding, binary, an open quote, no header) is
 * thrown as the InvalidImportError the drop would fail with.
 */
export async function validateFile(open: () => AsyncIterable<Uint8Array>, options: { file: string; maxRejectedRowsPercent?: number; maxCellChars?: number }): Promise<ValidationResult> {
  const { file } = options;
  const maxRejectedRowsPercent = options.maxRejectedRowsPercent ?? DEFAULT_MAX_REJECTED_ROWS_PERCENT;
  const rejectedLines: string[] = [];
  const firstRejected: ValidationResult['firstRejected'] = [];
  const evidence = new Map<string, { comma: number; point: number }>();

  // pass 1: the rows as StoreImport stores them, the headers, the decimal evidence of every column
  let total = 0;
  let rejected = 0;
  const first = await openTable(open(), { file, maxCellChars: options.maxCellChars });
  let format: ParsedTable['format'];
  let headers: string[];
  try {
    format = first.format;
    for await (const row of first.rows) {
      total++;
      if (row instanceof RejectedRow) {
        rejected++;
        const { line, column, value, message } = row.rejection;
        rejectedLines.push(errorsLine({ line, row: total, column, value, severity: 'error', message }));
        if (firstRejected.length < FIRST_REJECTED) firstRejected.push({ line, row: total, message });
        continue;
      }
      for (const key in row) {
        const mark = decimalEvidence(row[key]);
        if (mark === null) continue;
        const e = evidence.get(key) ?? { comma: 0, point: 0 };
        if (mark === ',') e.comma++;
        else e.point++;
        evidence.set(key, e);
      }
    }
    headers = [...first.headers];
  } finally {
    await first.close?.();
  }

  const plan = planMapping(headers);
  const compiled = compilePlan(plan, decimalMarks(plan, evidence));

  // pass 2: every accepted row mapped as discovery maps it, its unreadable values warned
  let warnings = 0;
  // in row order, rejected and warned rows interleaved, as the report's errors file lists them
  const lines: string[] = [];
  let nextRejected = 0;
  const second = await openTable(open(), { file, maxCellChars: options.maxCellChars });
  try {
    let row = 0;
    for await (const record of second.rows) {
      row++;
      if (record instanceof RejectedRow) {
        lines.push(rejectedLines[nextRejected++]!);
        continue;
      }
      const out = toAsset(compiled, record);
      if (out.kind !== 'asset') continue;
      for (const w of checkFields(compiled, record, out.asset)) {
        warnings++;
        lines.push(errorsLine({ line: second.line, row, column: w.column, value: w.value, severity: 'warning', message: w.message }));
      }
    }
  } finally {
    await second.close?.();
  }

  const outcome = total > 0 && rejected * 100 > maxRejectedRowsPercent * total ? 'failed' : rejected + warnings > 0 ? 'completed_with_errors' : 'completed';
  return {
    file,
    format,
    outcome,
    maxRejectedRowsPercent,
    plan,
    firstRejected,
    rows: { total, accepted: total - rejected, rejected, warnings },
    errorsCsv: rejected + warnings > 0 ? errorsDocument(lines) : null,
  };
}

/** PlanDiscovery's decision (decideDecimalMarks) over the evidence of the file's cells. */
function decimalMarks(plan: MappingPlan, evidence: Map<string, { comma: number; point: number }>): Record<string, DecimalMark> {
  const numeric = plan.mappings.filter((m) => m.target && NUMERIC_TARGETS.has(m.target)).map((m) => m.sourceField);
  const oneWay = (e: { comma: number; point: number }): DecimalMark | null => (e.comma > 0 && e.point === 0 ? ',' : e.point > 0 && e.comma === 0 ? '.' : null);
  const fileWide = numeric.reduce((t, h) => ({ comma: t.comma + (evidence.get(h)?.comma ?? 0), point: t.point + (evidence.get(h)?.point ?? 0) }), { comma: 0, point: 0 });
  return Object.fromEntries(numeric.map((h) => [h, oneWay(evidence.get(h) ?? { comma: 0, point: 0 }) ?? oneWay(fileWide) ?? '.']));
}
