import { and, eq, gt, lte, sql } from 'drizzle-orm';
import type { TransactionSql } from 'postgres';
import { orm, unwrapped, type Sql, type Tx } from '../../db/client.ts';
import { inTenant } from '../../db/queries/sql.ts';
import { discoveryFlows, dataImports, rawImportRecords } from '../../db/schema/index.ts';
import type { UnitDecision } from '../_shared/inventory/column-units.ts';
import type { DecimalMark, SizeUnit } from '../_shared/inventory/numbers.ts';
import { checkFields, type FieldWarning } from '../_shared/inventory/field-warnings.ts';
import { parseRawData } from '../_shared/inventory/raw-data.ts';
import { compilePlan, toAsset } from '../_shared/inventory/to-asset.ts';
import type { MappingPlan } from '../_shared/inventory/types.ts';
import { NotFoundError } from '../../workflows/step-errors.ts';
import { copyAssets, encodeAssets, lockRange, rangeHasAssets, type CopyMeta } from './copy-assets.ts';
import type { DecimalDecision, DiscoveryInput, DiscoveryOptions } from './types.ts';
import { markSkipped, removeSkippedAssets, upsertAssets, type AssetRow } from './write-discovery.ts';
import { recordWarnings } from './write-warnings.ts';

export interface ChunkCounts {
  rows: number;
  assets: number;
  skipped: number;
  /** Values left empty on an asset because they could not be read (field-warnings.ts). */
  warnings: number;
}

/**
 * Discovery of one row range (a DiscoverChunk of the StartDiscovery Map), in the caller's
 * transaction: reads the plan the import was planned with, pages through the range by row_number
 * (constant memory), normalises each row and writes each page's assets in one statement (COPY on
 * the range's first run, else an upsert); templates and rows with no identity are skipped with the
 * reason on the raw record.
 *
 * Idempotency: assets are keyed by raw_import_record_id, skips are a raw record's own columns: a
 * range run again, at once, or after a crash leaves the same rows (a run that loses the race to
 * COPY the same rows fails with TransientError, and its retry updates them in place).
 */
export async function discoverRows(sqlTx: Sql | TransactionSql, input: DiscoveryInput, range: { fromRow: number; toRow: number }, options: DiscoveryOptions = {}): Promise<ChunkCounts> {
  const batchSize = options.batchSize ?? 2500;
  // the driver's transaction for the COPY and the range lock, Drizzle over it for everything else
  const tx = orm(sqlTx);
  const d = discoveryFlows;
  const [flow] = await unwrapped(
    tx
      .select({
        plan: sql<MappingPlan | null>`${d.crewOutputs} -> 'field_mapping' -> 'plan'`,
        decisions: sql<Record<string, DecimalDecision> | null>`${d.crewOutputs} -> 'field_mapping' -> 'decimal_marks'`,
        units: sql<Record<string, UnitDecision> | null>`${d.crewOutputs} -> 'field_mapping' -> 'size_units'`,
        filename: dataImports.filename,
      })
      .from(d)
      .innerJoin(dataImports, eq(dataImports.id, d.dataImportId))
      .where(and(eq(d.id, input.discoveryFlowId), eq(d.masterFlowId, input.flowId), eq(dataImports.id, input.dataImportId), inTenant(d, input))),
  );
  if (!flow) throw new NotFoundError(`discovery flow ${input.discoveryFlowId} of data import ${input.dataImportId} does not exist for master flow ${input.flowId} of this tenant`);
  if (!flow.plan) throw new NotFoundError(`discovery flow ${input.discoveryFlowId} has no mapping plan (PlanDiscovery has not run)`);
  const plan = flow.plan;
  // the decimal mark of each numeric column, decided once from the whole import by PlanDiscovery
  const marks = Object.fromEntries(Object.entries(flow.decisions ?? {}).map(([header, d]) => [header, d.mark])) as Record<string, DecimalMark>;
  // and the unit of each size column its header and format leave open, from the column's magnitude
  const units = Object.fromEntries(Object.entries(flow.units ?? {}).map(([header, d]) => [header, d.unit])) as Record<string, SizeUnit>;
  const compiled = compilePlan(plan, marks, units);
  const counts: ChunkCounts = { rows: 0, assets: 0, skipped: 0, warnings: 0 };
  // A range no run has written yet takes COPY (copy-assets.ts); one written before, the upsert.
  await lockRange(sqlTx, input, range);
  const fresh = !(await rangeHasAssets(tx, input, range));
  const meta = { filename: flow.filename, sourceSystem: plan.sourceSystem, now: fresh ? await transactionNow(tx) : '', fresh };
  // Pages are ranges of row_number (dense from 1, as StoreImport writes them): a bounded range
  // keeps the plan on (data_import_id, row_number) even before the new rows have statistics.
  const pages: Array<[number, number]> = [];
  for (let from = range.fromRow - 1; from < range.toRow; from += batchSize) pages.push([from, Math.min(from + batchSize, range.toRow)]);
  // Node normalising a page and PostgreSQL writing one take
  // about as long each, so they overlap: while the server writes page k, Node normalises page k+1.
  // One connection, one transaction, one statement at a time from here (postgres.js refuses a
  // statement while a COPY runs); at most three pages are held: memory stays flat.
  let page = pages.length ? await readPage(tx, input, pages[0]!) : [];
  let writing: Promise<number> | undefined;
  try {
    for (let k = 0; k < pages.length; k++) {
      const { assets, skips, rejected, warned } = normalisePage(compiled, page);
      for (const w of warned) counts.warnings += w.warnings.length;
      // encoded here, while the server still writes the page before
      const encoded = meta.fresh ? encodeAssets(input, assets, meta) : null;
      counts.rows += page.length;
      counts.skipped += skips.length + rejected;
      if (writing) counts.assets += await writing;
      page = k + 1 < pages.length ? await readPage(tx, input, pages[k + 1]!) : [];
      let sent!: () => void;
      const onWire = new Promise<void>((resolve) => {
        sent = resolve;
      });
      writing = inFlight(writePage(sqlTx, tx, input, { rows: pages[k]!, assets, skips, warned, encoded }, meta, sent));
      // Node's next page waits until this one is on the wire: a statement is only sent when Node
      // yields, and a COPY takes a round trip (CopyIn) before its data goes
      await Promise.race([
        onWire,
        writing.then(
          () => {},
          () => {},
        ),
      ]);
    }
    if (writing) counts.assets += await writing;
  } finally {
    // a failed statement fails every later one of the transaction: let the write settle before it ends
    await Promise.allSettled([writing]);
  }
  return counts;
}

/** A promise awaited later: handled now, so that its failure is not an unhandled rejection meanwhile. */
function inFlight<T>(promise: Promise<T>): Promise<T> {
  promise.catch(() => {});
  return promise;
}

/** A page of the range's raw records, raw_data as jsonb's text (parseRawData keeps every digit). */
async function readPage(tx: Tx, input: DiscoveryInput, [from, to]: [number, number]) {
  const r = rawImportRecords;
  return unwrapped(
    tx
      .select({ id: r.id, rawData: sql<string>`${r.rawData}::text`, rejected: sql<boolean>`${r.validationErrors} ->> 'skip' = 'rejected'` })
      .from(r)
      .where(and(eq(r.dataImportId, input.dataImportId), gt(r.rowNumber, from), lte(r.rowNumber, to), eq(r.masterFlowId, input.flowId), inTenant(r, input)))
      .orderBy(r.rowNumber),
  );
}

/** The transaction's now() as text, what an INSERT's now() would write (COPY takes values, not expressions). */
async function transactionNow(tx: Tx): Promise<string> {
  const [row] = await unwrapped(tx.execute<{ now: string }>(sql`select now()::text as now`));
  return row!.now;
}

function normalisePage(compiled: ReturnType<typeof compilePlan>, page: Array<{ id: string; rawData: string; rejected: boolean | null }>) {
  const assets: AssetRow[] = [];
  const skips: Array<{ id: string; reason: string; code: string }> = [];
  const warned: Array<{ id: string; warnings: FieldWarning[] }> = [];
  let rejected = 0;
  for (const r of page) {
    // StoreImport rejected the row and recorded why: it is skipped as it is
    if (r.rejected) {
      rejected++;
      continue;
    }
    const row = parseRawData(r.rawData);
    const out = toAsset(compiled, row);
    if (out.kind === 'skipped') skips.push({ id: r.id, reason: out.reason, code: out.code });
    else {
      const warnings = checkFields(compiled, row, out.asset);
      if (warnings.length) warned.push({ id: r.id, warnings });
      assets.push({ raw_import_record_id: r.id, ...out.asset });
    }
  }
  return { assets, skips, rejected, warned };
}

/** One page's writes: its assets (the COPY text when encoded, else the upsert), then its skips. */
async function writePage(
  sqlTx: Sql | TransactionSql,
  tx: Tx,
  input: DiscoveryInput,
  page: { rows: [number, number]; assets: AssetRow[]; skips: Array<{ id: string; reason: string; code: string }>; warned: Array<{ id: string; warnings: FieldWarning[] }>; encoded: string | null },
  meta: CopyMeta & { fresh: boolean },
  sent: () => void,
): Promise<number> {
  const { assets, skips, warned, encoded } = page;
  const [after, last] = page.rows;
  let written = assets.length;
  if (encoded !== null) await copyAssets(sqlTx, input, encoded, sent);
  else {
    const upsert = upsertAssets(tx, input, assets, meta);
    setImmediate(sent);
    written = await upsert;
  }
  await markSkipped(tx, input, skips, { fromRow: after + 1, toRow: last });
  await recordWarnings(tx, input, warned, { fromRow: after + 1, toRow: last });
  // a range's first run found no asset in it under the range's lock: none can be left to remove
  if (!meta.fresh) await removeSkippedAssets(tx, input, skips);
  return written;
}
