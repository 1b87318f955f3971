/**
 * A file through the parsers and the mapper without a database: what StoreImport stores and what
 * discovery makes of it, with the per-column decisions PlanDiscovery takes from the whole import.
 */
import { openTable } from '../../functions/store-import/formats/index.ts';
import { planMapping } from '../../functions/_shared/inventory/field-mapper.ts';
import { decimalEvidence, type DecimalMark } from '../../functions/_shared/inventory/numbers.ts';
import { compilePlan, NUMERIC_TARGETS, toAsset } from '../../functions/_shared/inventory/to-asset.ts';

export async function discoverTable(file: string, bytes: Buffer) {
  const table = await openTable((async function* () { yield bytes; })(), { file });
  const rows: Array<Record<string, unknown>> = [];
  try {
    for await (const row of table.rows) rows.push(JSON.parse(JSON.stringify(row)) as Record<string, unknown>);
  } finally {
    await table.close?.();
  }
  const plan = planMapping(table.headers);
  const marks: Record<string, DecimalMark> = {};
  for (const m of plan.mappings) {
    if (!m.target || !NUMERIC_TARGETS.has(m.target)) continue;
    const ev = rows.map((r) => decimalEvidence(r[m.sourceField]));
    if (ev.includes(',') && !ev.includes('.')) marks[m.sourceField] = ',';
  }
  const cp = compilePlan(plan, marks);
  const assets = rows.map((r) => {
    const out = toAsset(cp, r);
    return out.kind === 'asset' ? (out.asset as unknown as Record<string, unknown>) : { skipped: out.reason };
  });
  return { table, plan, assets };
}
