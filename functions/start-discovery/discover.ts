import { and, count, desc, eq, isNotNull, lte, max, min, sql } from 'drizzle-orm';
import type { Tx } from '../../db/client.ts';
import { countWhere, inTenant, jsonbParam } from '../../db/queries/sql.ts';
import { assets, dataImports, discoveryFlows, importFieldMappings, rawImportRecords } from '../../db/schema/index.ts';
import { applyCorrections, headerSetId, type Correction } from '../_shared/inventory/corrections.ts';
import { applyUserMappings, planMapping } from '../_shared/inventory/field-mapper.ts';
import { correctionsFor } from '../../db/queries/mapping-corrections.ts';
import { decideSizeUnit, sizeKindOf, type UnitDecision } from '../_shared/inventory/column-units.ts';
import { unitInHeader, type DecimalMark } from '../_shared/inventory/numbers.ts';
import { flattenedKeys } from '../_shared/inventory/record-view.ts';
import { NUMERIC_TARGETS } from '../_shared/inventory/to-asset.ts';
import type { MappingPlan } from '../_shared/inventory/types.ts';
import { DiscoveryCountMismatchError, NotFoundError } from '../../workflows/step-errors.ts';
import { upsertFieldMappings } from './write-discovery.ts';
import type { DecimalDecision, DiscoveryInput } from './types.ts';

export interface DuplicateHostname {
  hostname: string;
  count: number;
  rowNumbers: number[];
}

export interface DiscoverySummary {
  rows: number;
  phasesCompleted: string[];
  assets: number;
  fieldMappings: number;
  /** The recognised format (data_imports.source_system), `generic_cmdb` when none. */
  sourceSystem: string;
  assetsByType: Record<string, number>;
  skipped: { templates: number; noIdentity: number; rejected: number };
  /** Values left empty on assets because they could not be read (recorded on their raw records). */
  warnings: number;
  poweredOff: number;
  /** Host names carried by more than one asset of this import (how many, and the first examples). */
  duplicateHostnames: { count: number; examples: DuplicateHostname[] };
}

/** The phases discovery runs, in order, with their discovery_flows flag; six phases make 100 %. */
const PHASES = [
  ['data_validation', 'dataValidationCompleted'],
  ['field_mapping', 'fieldMappingCompleted'],
  ['data_cleansing', 'dataCleansingCompleted'],
  ['asset_inventory', 'assetInventoryCompleted'],
] as const satisfies ReadonlyArray<readonly [string, keyof typeof discoveryFlows.$inferInsert]>;
const TOTAL_PHASES = 6;

type Phase = (typeof PHASES)[number][0];

/** The phases up to and including `phase`: each runs after the ones before it, in any invocation. */
const phasesThrough = (phase: Phase) => PHASES.slice(0, PHASES.findIndex(([p]) => p === phase) + 1).map(([p]) => p);

/**
 * Records a phase on the discovery_flows row (flag, current_phase, phases_completed, a summary under
 * crew_outputs.<phase>, progress_percentage). The same values each time: a re-run rewrites them.
 */
async function recordPhase(tx: Tx, input: DiscoveryInput, phase: Phase, output: Record<string, unknown>, extra: { fieldMappings?: unknown; discoveredAssets?: unknown } = {}): Promise<void> {
  const done = phasesThrough(phase);
  const flag = PHASES.find(([p]) => p === phase)![1];
  const d = discoveryFlows;
  await tx
    .update(d)
    .set({
      [flag]: true,
      currentPhase: phase,
      phasesCompleted: jsonbParam(done),
      crewOutputs: sql`${d.crewOutputs} || ${jsonbParam({ [phase]: output })}`,
      // a phase without them leaves what an earlier phase recorded
      ...(extra.fieldMappings === undefined ? {} : { fieldMappings: jsonbParam(extra.fieldMappings) }),
      ...(extra.discoveredAssets === undefined ? {} : { discoveredAssets: jsonbParam(extra.discoveredAssets) }),
      progressPercentage: (100 * done.length) / TOTAL_PHASES,
      updatedAt: sql`now()`,
    })
    .where(and(eq(d.id, input.discoveryFlowId), eq(d.masterFlowId, input.flowId), inTenant(d, input)));
}

export interface PlannedDiscovery {
  rows: number;
  lastRow: number;
  fieldMappings: number;
  sourceSystem: string;
  plan: MappingPlan;
}

/**
 * Discovery's planning, once per import (PlanDiscovery): the data_validation and field_mapping
 * phases. The plan is made from the whole file's headers and kept on the discovery flow
 * (crew_outputs.field_mapping.plan), where every chunk reads it.
 *
 * Idempotency: field mappings are keyed (data_import_id, source_field); a re-run rewrites them.
 *
 * Primary course:
 * 1. data_validation: count the import's raw records linked to the flow; read its headers.
 * 2. field_mapping: recognise the format by its header signature, map every header (exact,
 *    synonym, fuzzy, unmapped → custom attribute; a mapping a user defined wins), upsert
 *    import_field_mappings, set data_imports.source_system, keep the plan.
 */
export async function planDiscoveryPhases(tx: Tx, input: DiscoveryInput): Promise<PlannedDiscovery> {
  const i = dataImports;
  const r = rawImportRecords;
  // the import's linked records, counted beside it (a lateral subquery correlated on i.id)
  const c = tx
    .select({ rows: count().as('rows'), lastRow: max(r.rowNumber).as('last_row') })
    .from(r)
    .where(and(eq(r.dataImportId, i.id), eq(r.masterFlowId, input.flowId), inTenant(r, input)))
    .as('c');
  const [imp] = await tx
    .select({
      headers: sql<unknown>`${i.importConfig} -> 'headers'`,
      format: sql<string | null>`${i.importConfig} ->> 'format'`,
      rows: c.rows,
      lastRow: c.lastRow,
    })
    .from(i)
    .crossJoinLateral(c)
    .where(and(eq(i.id, input.dataImportId), inTenant(i, input)));
  const rows = imp?.rows ?? 0;
  const { headers, paths } = await importHeaders(tx, input, imp?.headers, imp?.format === 'json' || imp?.format === 'ndjson');
  await recordPhase(tx, input, 'data_validation', { rows, columns: headers.length });

  const f = importFieldMappings;
  const userDefined = await tx
    .select({ sourceField: f.sourceField, targetField: f.targetField })
    .from(f)
    .where(and(eq(f.dataImportId, input.dataImportId), sql`${f.isUserDefined}`, inTenant(f, input)));
  const corrections = await correctionsToApply(tx, input, Array.isArray(imp?.headers) ? (imp.headers as string[]) : headers);
  const plan = applyCorrections(applyUserMappings(planMapping(headers, paths), userDefined), corrections.applied, corrections.header_set_id);
  const fieldMappings = await upsertFieldMappings(tx, input, plan.mappings);
  await tx
    .update(i)
    .set({ sourceSystem: plan.sourceSystem, updatedAt: sql`now()` })
    .where(and(eq(i.id, input.dataImportId), inTenant(i, input)));
  const decimals = await decideDecimalMarks(tx, input, plan);
  await recordPhase(
    tx,
    input,
    'field_mapping',
    {
      ...mappingOutput(plan),
      user_defined: userDefined.length,
      decimal_marks: decimals.decisions,
      size_units: decimals.units,
      corrections,
      plan,
    },
    {
      fieldMappings: plan.mappings.map((m) => ({ source: m.sourceField, target: m.targetField, match_type: m.matchType, confidence: m.confidence })),
    },
  );
  return { rows, lastRow: imp?.lastRow ?? 0, fieldMappings, sourceSystem: plan.sourceSystem, plan };
}

export interface CorrectionsRecord {
  header_set_id: string;
  applied: Correction[];
  /** Corrections set after this import was first planned: a replay keeps its mapping, and says so. */
  not_applied: Correction[];
}

/**
 * The consultant's corrections this planning applies: those of the import's header set when the
 * import is planned for the first time; on a replay (a plan is already recorded), the ones it was
 * planned with, so a finished import's mapping never changes silently; corrections set since are
 * recorded as not applied (a new drop of the file applies them).
 */
async function correctionsToApply(tx: Tx, input: DiscoveryInput, headers: readonly string[]): Promise<CorrectionsRecord> {
  const setId = headerSetId(headers);
  // units were checked when each correction was set (parseCorrection)
  const current = (await correctionsFor(tx, input, setId)) as Correction[];
  const d = discoveryFlows;
  const [prior] = await tx
    .select({
      planned: sql<boolean>`${d.crewOutputs} -> 'field_mapping' ? 'plan'`,
      recorded: sql<CorrectionsRecord | null>`${d.crewOutputs} -> 'field_mapping' -> 'corrections'`,
    })
    .from(d)
    .where(and(eq(d.id, input.discoveryFlowId), eq(d.masterFlowId, input.flowId), inTenant(d, input)));
  if (!prior?.planned) return { header_set_id: setId, applied: current, not_applied: [] };
  const applied = prior.recorded?.applied ?? [];
  const same = (a: Correction, b: Correction) => a.sourceField === b.sourceField && a.targetField === b.targetField && a.unit === b.unit;
  return { header_set_id: setId, applied, not_applied: current.filter((c) => !applied.some((a) => same(a, c))) };
}

/**
 * Discovery's end, once every chunk has run (FinishDiscovery): proves the totals and records the
 * data_cleansing and asset_inventory phases from what the database holds.
 *
 * Primary course:
 * 1. Every raw record of the import is linked to the flow and has exactly one outcome: an asset of
 *    this discovery flow or a recorded skip; otherwise DiscoveryCountMismatchError.
 * 2. data_cleansing: rows, assets, skips by reason, powered-off machines.
 * 3. asset_inventory: assets by type and host names repeated within the import.
 */
export async function finishDiscoveryPhases(tx: Tx, input: DiscoveryInput): Promise<DiscoverySummary> {
  const d = discoveryFlows;
  const r = rawImportRecords;
  const a = assets;
  const [flow] = await tx
    .select({ plan: sql<MappingPlan | null>`${d.crewOutputs} -> 'field_mapping' -> 'plan'` })
    .from(d)
    .where(and(eq(d.id, input.discoveryFlowId), eq(d.masterFlowId, input.flowId), inTenant(d, input)));
  if (!flow?.plan) throw new NotFoundError(`discovery flow ${input.discoveryFlowId} has no mapping plan (PlanDiscovery has not run)`);
  const plan = flow.plan;
  // a record skipped by an earlier run that a later plan made an asset of: the asset is the outcome
  await tx
    .update(r)
    .set({ validationErrors: sql`${r.validationErrors} - 'skip'`, processingNotes: null, isValid: null })
    .from(a)
    .where(and(eq(a.rawImportRecordId, r.id), eq(a.discoveryFlowId, input.discoveryFlowId), eq(r.dataImportId, input.dataImportId), sql`${r.validationErrors} ? 'skip'`, inTenant(r, input)));
  const powerKey = plan.mappings.find((m) => m.target === 'power_state' && m.targetField.startsWith('custom_attributes.'))?.targetField.slice('custom_attributes.'.length) ?? null;
  const skip = sql`${r.validationErrors} ->> 'skip'`;
  // every raw record of the import once, with its asset of this discovery flow if any: one pass
  const [t] = await tx
    .select({
      stored: count(),
      linked: countWhere(eq(r.masterFlowId, input.flowId)),
      assets: count(a.id),
      templates: countWhere(sql`${a.id} is null and ${skip} = 'template'`),
      noIdentity: countWhere(sql`${a.id} is null and ${skip} = 'no_identity'`),
      // rows StoreImport rejected (a row of another width, ...): stored and linked, never an asset
      rejected: countWhere(sql`${a.id} is null and ${skip} = 'rejected'`),
      warnings: sql<number>`coalesce(sum(jsonb_array_length(${r.validationErrors} -> 'warnings')), 0)::int`,
      neither: countWhere(sql`${a.id} is null and ${skip} is null`),
      both: countWhere(sql`${a.id} is not null and ${skip} is not null`),
      poweredOff: countWhere(sql`${powerKey}::text is not null and ${a.customAttributes} ->> ${powerKey}::text = 'off'`),
    })
    .from(r)
    .leftJoin(a, and(eq(a.rawImportRecordId, r.id), eq(a.discoveryFlowId, input.discoveryFlowId)))
    .where(and(eq(r.dataImportId, input.dataImportId), inTenant(r, input)));
  if (t!.linked !== t!.stored || t!.neither > 0 || t!.both > 0) {
    throw new DiscoveryCountMismatchError(
      `data import ${input.dataImportId}: of ${t!.stored} raw records ${t!.linked} are linked to master flow ${input.flowId}, ` +
        `${t!.assets} have an asset, ${t!.templates + t!.noIdentity + t!.rejected} a recorded skip, ${t!.neither} neither and ${t!.both} both`,
    );
  }
  const rows = t!.stored;
  const skipped = { templates: t!.templates, noIdentity: t!.noIdentity, rejected: t!.rejected };
  await recordPhase(tx, input, 'data_cleansing', {
    rows,
    normalised: t!.assets,
    skipped: { templates: skipped.templates, no_identity: skipped.noIdentity, rejected: skipped.rejected },
    warnings: t!.warnings,
    powered_off: t!.poweredOff,
  });

  const byType = await tx
    .select({ assetType: a.assetType, n: count() })
    .from(a)
    .where(and(eq(a.discoveryFlowId, input.discoveryFlowId), eq(a.masterFlowId, input.flowId), inTenant(a, input)))
    .groupBy(a.assetType)
    // by name, not by the enum's order: by_type is recorded and reported in that order
    .orderBy(sql`${a.assetType}::text`);
  const assetsByType = Object.fromEntries(byType.map((b) => [b.assetType, b.n]));
  const total = byType.reduce((s, b) => s + b.n, 0);
  const duplicateHostnames = await repeatedHostnames(tx, input);
  await recordPhase(
    tx,
    input,
    'asset_inventory',
    {
      assets: total,
      by_type: assetsByType,
      duplicate_hostnames: duplicateHostnames.count,
      duplicate_examples: duplicateHostnames.examples,
    },
    { discoveredAssets: { total, by_type: assetsByType } },
  );
  const f = importFieldMappings;
  const [mappings] = await tx
    .select({ n: count() })
    .from(f)
    .where(and(eq(f.dataImportId, input.dataImportId), inTenant(f, input)));

  return {
    rows,
    phasesCompleted: phasesThrough('asset_inventory'),
    assets: total,
    fieldMappings: mappings!.n,
    sourceSystem: plan.sourceSystem,
    assetsByType,
    skipped,
    warnings: t!.warnings,
    poweredOff: t!.poweredOff,
    duplicateHostnames,
  };
}

/**
 * The import's column names: import_config.headers, the union over every row that StoreImport
 * recorded in file order (a key first seen at row 1001 included), plus any key the first raw
 * records carry that the list lacks (imports stored before the list was kept).
 */
async function importHeaders(tx: Tx, input: DiscoveryInput, configured: unknown, json: boolean): Promise<{ headers: string[]; paths: Set<string> }> {
  const listed = Array.isArray(configured) ? configured.filter((h): h is string => typeof h === 'string') : [];
  const r = rawImportRecords;
  const first = tx
    .select({ rawData: r.rawData })
    .from(r)
    // a rejected row's raw_data is what the file had ({text} or {cells}), not columns
    .where(and(eq(r.dataImportId, input.dataImportId), eq(r.masterFlowId, input.flowId), inTenant(r, input), sql`${r.validationErrors} ->> 'skip' is distinct from 'rejected'`))
    .orderBy(r.rowNumber)
    .limit(1000)
    .as('r');
  const k = sql<string>`k`;
  const keys = await tx.select({ k }).from(first).crossJoin(sql`jsonb_object_keys(${first.rawData}) as k`).groupBy(k).orderBy(sql`min(k)`);
  const ordered = [...listed];
  for (const { k } of keys) if (!ordered.includes(k)) ordered.push(k);
  // nested JSON values, by their paths (record-view.ts): only a JSON import's records can nest
  const paths = new Set<string>();
  if (!json) return { headers: ordered, paths };
  const nested = await tx
    .select({ rawData: r.rawData })
    .from(r)
    // the first 1000 records, as the keys above: a bounded read whatever the import's size
    .where(
      and(
        eq(r.dataImportId, input.dataImportId),
        eq(r.masterFlowId, input.flowId),
        inTenant(r, input),
        lte(r.rowNumber, 1000),
        sql`jsonb_path_exists(${r.rawData}, '$.* ? (@.type() == "object" || @.type() == "array")')`,
      ),
    )
    .orderBy(r.rowNumber)
    .limit(200);
  for (const k of flattenedKeys(nested.map((n) => n.rawData as Record<string, unknown>))) {
    if (ordered.includes(k)) continue;
    ordered.push(k);
    paths.add(k);
  }
  return { headers: ordered, paths };
}

// A cell only a decimal comma reads ("1,5", "1.234,5", "1.234.567") or only a decimal point
// ("3.75", "1,234.5", "1,234,567"); "1,234" proves neither. Mirrors decimalEvidence (numbers.ts),
// which removes every space first (no-break and narrow ones too: "2 048,5"), as SPACES_SQL does here.
const COMMA_EVIDENCE = String.raw`^[-+]?[0-9][0-9'.]*(,[0-9]{1,2}([^0-9]|$)|,[0-9]{4,}|\.[0-9]{3}.*,|\.[0-9]{3}\.)`;
const DOT_EVIDENCE = String.raw`^[-+]?[0-9][0-9',]*(\.[0-9]{1,2}([^0-9]|$)|\.[0-9]{4,}|,[0-9]{3}.*\.|,[0-9]{3},)`;
const SPACES_SQL = String.raw`[[:space:]\u00a0\u202f]`;
// A unitless number under each decimal mark (apostrophes group digits too), for the size statistics.
const DOT_NUMBER = String.raw`^[-+]?[0-9][0-9,']*(\.[0-9]+)?$`;
const COMMA_NUMBER = "^[-+]?[0-9][0-9.']*(,[0-9]+)?$";

/**
 * The decimal mark of every numeric column, from the whole import (one scan), so that an ambiguous
 * cell ("1,234": one mark, three digits) means what its column means: the column's own unambiguous
 * cells decide; a column without (or with conflicting) evidence takes the file's, the evidence of
 * all numeric columns together when it points one way; else '.', said so. Recorded per column in
 * crew_outputs.field_mapping.decimal_marks.
 */
async function decideDecimalMarks(tx: Tx, input: DiscoveryInput, plan: MappingPlan) {
  const headers = plan.mappings.filter((m) => m.target && NUMERIC_TARGETS.has(m.target)).map((m) => m.sourceField);
  const marks: Record<string, DecimalMark> = {};
  const decisions: Record<string, DecimalDecision> = {};
  if (!headers.length) return { marks, decisions, units: {} as Record<string, UnitDecision> };
  const r = rawImportRecords;
  const header = sql<string>`h.header`;
  const cell = sql`regexp_replace(${r.rawData} ->> ${header}, ${SPACES_SQL}, '', 'g')`;
  const dotValue = sql`case when ${cell} ~ ${DOT_NUMBER} then nullif(regexp_replace(${cell}, '[,'']', '', 'g')::numeric, 0) end`;
  const commaValue = sql`case when ${cell} ~ ${COMMA_NUMBER} then nullif(replace(regexp_replace(${cell}, '[.'']', '', 'g'), ',', '.')::numeric, 0) end`;
  const num = (v: unknown) => (v === null || v === undefined ? null : Number(v));
  // one scan of the import for every numeric column (h: the column names)
  const rows = await tx
    .select({
      header,
      comma: countWhere(sql`${cell} ~ ${COMMA_EVIDENCE}`),
      point: countWhere(sql`${cell} ~ ${DOT_EVIDENCE}`),
      // the magnitude of the unitless positive cells, read either way (size units: column-units.ts)
      dotCells: sql<number>`count(${dotValue})`.mapWith(Number),
      dotMedian: sql`percentile_cont(0.5) within group (order by ${dotValue})`.mapWith(num),
      dotMax: sql`max(${dotValue})`.mapWith(num),
      commaCells: sql<number>`count(${commaValue})`.mapWith(Number),
      commaMedian: sql`percentile_cont(0.5) within group (order by ${commaValue})`.mapWith(num),
      commaMax: sql`max(${commaValue})`.mapWith(num),
    })
    .from(r)
    .crossJoin(sql`unnest(${sql.param(headers)}::text[]) as h(header)`)
    .where(and(eq(r.dataImportId, input.dataImportId), eq(r.masterFlowId, input.flowId), inTenant(r, input)))
    .groupBy(header);
  const oneWay = (e: { comma: number; point: number }): DecimalMark | null => (e.comma > 0 && e.point === 0 ? ',' : e.point > 0 && e.comma === 0 ? '.' : null);
  const file = rows.reduce((t, r) => ({ comma: t.comma + r.comma, point: t.point + r.point }), { comma: 0, point: 0 });
  for (const header of headers) {
    const r = rows.find((x) => x.header === header);
    const evidence = { comma: r?.comma ?? 0, point: r?.point ?? 0 };
    const column = oneWay(evidence);
    const fromFile = oneWay(file);
    const decision: DecimalDecision = column
      ? { mark: column, decidedBy: 'column', evidence }
      : fromFile
        ? { mark: fromFile, decidedBy: 'file', evidence }
        : { mark: '.', decidedBy: 'default', evidence };
    marks[header] = decision.mark;
    decisions[header] = decision;
  }
  // the unit of each size column neither its header nor its format states, from its magnitude
  const units: Record<string, UnitDecision> = {};
  for (const m of plan.mappings) {
    const kind = sizeKindOf(m.target);
    if (!kind || m.unit || m.unitColumn || unitInHeader(m.sourceField) || units[m.sourceField]) continue;
    const r = rows.find((x) => x.header === m.sourceField);
    const comma = marks[m.sourceField] === ',';
    const stats = !r
      ? { cells: 0, median: null, max: null }
      : comma
        ? { cells: r.commaCells, median: r.commaMedian as number | null, max: r.commaMax as number | null }
        : { cells: r.dotCells, median: r.dotMedian as number | null, max: r.dotMax as number | null };
    units[m.sourceField] = decideSizeUnit(kind, stats);
  }
  return { marks, decisions, units };
}

function mappingOutput(plan: MappingPlan) {
  const byMatchType: Record<string, number> = {};
  for (const m of plan.mappings) byMatchType[m.matchType] = (byMatchType[m.matchType] ?? 0) + 1;
  return {
    source_system: plan.sourceSystem,
    format: plan.formatLabel,
    columns: plan.mappings.length,
    by_match_type: byMatchType,
    unmapped_kept_as_custom_attributes: plan.mappings.filter((m) => m.matchType === 'unmapped').map((m) => m.sourceField),
  };
}

async function repeatedHostnames(tx: Tx, input: DiscoveryInput): Promise<DiscoverySummary['duplicateHostnames']> {
  const a = assets;
  const r = rawImportRecords;
  const name = sql`lower(${a.hostname})`;
  // the 20 largest groups, each with its first 20 rows, and how many groups there are in all
  const rows = await tx
    .select({
      hostname: min(a.hostname),
      n: count(),
      rowNumbers: sql<number[]>`(array_agg(${r.rowNumber} order by ${r.rowNumber}))[1:20]`,
      groups: sql`count(*) over ()`.mapWith(Number),
    })
    .from(a)
    .innerJoin(r, eq(r.id, a.rawImportRecordId))
    .where(and(eq(a.discoveryFlowId, input.discoveryFlowId), eq(a.masterFlowId, input.flowId), inTenant(a, input), isNotNull(a.hostname)))
    .groupBy(name)
    .having(sql`count(*) > 1`)
    .orderBy(desc(count()), name)
    .limit(20);
  return {
    count: rows[0]?.groups ?? 0,
    // never null: the rows are grouped by a host name that is not
    examples: rows.map((g) => ({ hostname: g.hostname!, count: g.n, rowNumbers: g.rowNumbers })),
  };
}
