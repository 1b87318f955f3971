/**
 * A file through the parsers and the mapper without a database: what StoreImport stores and what
 * discovery makes of it, with the per-column decisions PlanDiscovery takes from the whole import
 * (decimal marks, size units by magnitude) computed in memory by the same pure rules.
 */
import { decideColumnUnits } from '../../functions/_shared/inventory/column-units.ts';
import { planMapping } from '../../functions/_shared/inventory/field-mapper.ts';
import { decimalEvidence, type DecimalMark, type SizeUnit } from '../../functions/_shared/inventory/numbers.ts';
import { flattenedKeys, flattenRecord, hasNested } from '../../functions/_shared/inventory/record-view.ts';
import { compilePlan, NUMERIC_TARGETS, toAsset } from '../../functions/_shared/inventory/to-asset.ts';
import { openTable } from '../../functions/store-import/formats/index.ts';

export async function discoverTable(file: string, bytes: Buffer) {
  const table = await openTable(
    (async function* () {
      yield bytes;
    })(),
    { file },
  );
  const rows: Array<Record<string, unknown>> = [];
  try {
    for await (const row of table.rows) rows.push(JSON.parse(JSON.stringify(row)) as Record<string, unknown>);
  } finally {
    await table.close?.();
  }
  const headers = [...table.headers];
  const paths = new Set<string>();
  for (const key of flattenedKeys(rows.slice(0, 1000))) if (!headers.includes(key)) headers.push(key), paths.add(key);
  const plan = planMapping(headers, paths);
  const views = rows.map((r) => (hasNested(r) ? flattenRecord(r) : r));
  const marks: Record<string, DecimalMark> = {};
  for (const m of plan.mappings) {
    if (!m.target || !NUMERIC_TARGETS.has(m.target)) continue;
    const ev = views.map((r) => decimalEvidence(r[m.sourceField]));
    if (ev.includes(',') && !ev.includes('.')) marks[m.sourceField] = ',';
  }
  const units: Record<string, SizeUnit> = {};
  for (const [h, d] of Object.entries(decideColumnUnits(plan.mappings, views, marks))) units[h] = d.unit;
  const cp = compilePlan(plan, marks, units);
  const assets = rows.map((r) => {
    const out = toAsset(cp, r);
    return out.kind === 'asset' ? (out.asset as unknown as Record<string, unknown>) : { skipped: out.reason };
  });
  return { table, plan, assets };
}
