import { and, count, desc, eq, isNotNull, max, min, sql } from 'drizzle-orm';
import { orm, type PgJsClient, type Sql } from '../../db/client.ts';
import { countWhere, inTenant, jsonbParam } from '../../db/queries/sql.ts';
import { assets, dataImports, discoveryFlows, importFieldMappings, rawImportRecords } from '../../db/schema/index.ts';
import { applyUserMappings, planMapping } from '../_shared/inventory/field-mapper.ts';
import type { DecimalMark } from '../_shared/inventory/numbers.ts';
import { NUMERIC_TARGETS } from '../_shared/inventory/to-asset.ts';
import type { MappingPlan } from '../_shared/inventory/types.ts';
import { DiscoveryCountMismatchError, NotFoundError } from '../_shared/errors.ts';
import { upsertFieldMappings } from './write-discovery.ts';
import { discoverRows } from './discover-rows.ts';

export { discoverRows, type ChunkCounts } from './discover-rows.ts';

export interface DiscoveryInput {
  clientAccountId: string;
  engagementId: string;
  dataImportId: string;
  flowId: string;
  discoveryFlowId: string;
}

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

export interface DiscoveryOptions {
  /** Raw records read and written per statement (keyset pages over row_number). */
  batchSize?: number;
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
async function recordPhase(client: PgJsClient, input: DiscoveryInput, phase: Phase, output: Record<string, unknown>,
  extra: { fieldMappings?: unknown; discoveredAssets?: unknown } = {}): Promise<void> {
  const done = phasesThrough(phase);
  const flag = PHASES.find(([p]) => p === phase)![1];
  const d = discoveryFlows;
  await orm(client).update(d)
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
export async function planDiscoveryPhases(client: PgJsClient, input: DiscoveryInput): Promise<PlannedDiscovery> {
  const tx = orm(client);
  const i = dataImports;
  const r = rawImportRecords;
  // the import's linked records, counted beside it (a lateral subquery correlated on i.id)
  const c = tx.select({ rows: count().as('rows'), lastRow: max(r.rowNumber).as('last_row') })
    .from(r)
    .where(and(eq(r.dataImportId, i.id), eq(r.masterFlowId, input.flowId), inTenant(r, input)))
    .as('c');
  const [imp] = await tx.select({ headers: sql<unknown>`${i.importConfig} -> 'headers'`, rows: c.rows, lastRow: c.lastRow })
    .from(i)
    .crossJoinLateral(c)
    .where(and(eq(i.id, input.dataImportId), inTenant(i, input)));
  const rows = imp?.rows ?? 0;
  const headers = await importHeaders(tx, input, imp?.headers);
  await recordPhase(tx, input, 'data_validation', { rows, columns: headers.length });

  const f = importFieldMappings;
  const userDefined = await tx.select({ sourceField: f.sourceField, targetField: f.targetField })
    .from(f)
    .where(and(eq(f.dataImportId, input.dataImportId), sql`${f.isUserDefined}`, inTenant(f, input)));
  const plan = applyUserMappings(planMapping(headers), userDefined);
  const fieldMappings = await upsertFieldMappings(tx, input, plan.mappings);
  await tx.update(i)
    .set({ sourceSystem: plan.sourceSystem, updatedAt: sql`now()` })
    .where(and(eq(i.id, input.dataImportId), inTenant(i, input)));
  const decimals = await decideDecimalMarks(tx, input, plan);
  await recordPhase(tx, input, 'field_mapping', { ...mappingOutput(plan), user_defined: userDefined.length, decimal_marks: decimals.decisions, plan }, {
    fieldMappings: plan.mappings.map((m) => ({ source: m.sourceField, target: m.targetField, match_type: m.matchType, confidence: m.confidence })),
  });
  return { rows, lastRow: imp?.lastRow ?? 0, fieldMappings, sourceSystem: plan.sourceSystem, plan };
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
export async function finishDiscoveryPhases(client: PgJsClient, input: DiscoveryInput): Promise<DiscoverySummary> {
  const tx = orm(client);
  const d = discoveryFlows;
  const r = rawImportRecords;
  const a = assets;
  const [flow] = await tx.select({ plan: sql<MappingPlan | null>`${d.crewOutputs} -> 'field_mapping' -> 'plan'` })
    .from(d)
    .where(and(eq(d.id, input.discoveryFlowId), eq(d.masterFlowId, input.flowId), inTenant(d, input)));
  if (!flow?.plan) throw new NotFoundError(`discovery flow ${input.discoveryFlowId} has no mapping plan (PlanDiscovery has not run)`);
  const plan = flow.plan;
  // a record skipped by an earlier run that a later plan made an asset of: the asset is the outcome
  await tx.update(r)
    .set({ validationErrors: sql`${r.validationErrors} - 'skip'`, processingNotes: null, isValid: null })
    .from(a)
    .where(and(
      eq(a.rawImportRecordId, r.id), eq(a.discoveryFlowId, input.discoveryFlowId),
      eq(r.dataImportId, input.dataImportId), sql`${r.validationErrors} ? 'skip'`, inTenant(r, input),
    ));
  const powerKey = plan.mappings.find((m) => m.target === 'power_state' && m.targetField.startsWith('custom_attributes.'))?.targetField.slice('custom_attributes.'.length) ?? null;
  const skip = sql`${r.validationErrors} ->> 'skip'`;
  // every raw record of the import once, with its asset of this discovery flow if any: one pass
  const [t] = await tx.select({
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
    rows, normalised: t!.assets, skipped: { templates: skipped.templates, no_identity: skipped.noIdentity, rejected: skipped.rejected },
    warnings: t!.warnings, powered_off: t!.poweredOff,
  });

  const byType = await tx.select({ assetType: a.assetType, n: count() })
    .from(a)
    .where(and(eq(a.discoveryFlowId, input.discoveryFlowId), eq(a.masterFlowId, input.flowId), inTenant(a, input)))
    .groupBy(a.assetType)
    // by name, not by the enum's order: by_type is recorded and reported in that order
    .orderBy(sql`${a.assetType}::text`);
  const assetsByType = Object.fromEntries(byType.map((b) => [b.assetType, b.n]));
  const total = byType.reduce((s, b) => s + b.n, 0);
  const duplicateHostnames = await repeatedHostnames(tx, input);
  await recordPhase(tx, input, 'asset_inventory', {
    assets: total,
    by_type: assetsByType,
    duplicate_hostnames: duplicateHostnames.count,
    duplicate_examples: duplicateHostnames.examples,
  }, { discoveredAssets: { total, by_type: assetsByType } });
  const f = importFieldMappings;
  const [mappings] = await tx.select({ n: count() }).from(f).where(and(eq(f.dataImportId, input.dataImportId), inTenant(f, input)));

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
 * All of discovery for one import inside the caller's transaction: the plan, every row as one
 * range, the end. The workflow runs the same three parts as PlanDiscovery, the StartDiscovery Map
 * and FinishDiscovery; tools and benchmarks call this.
 */
export async function runDiscovery(tx: Sql, input: DiscoveryInput, options: DiscoveryOptions = {}): Promise<DiscoverySummary> {
  const planned = await planDiscoveryPhases(tx, input);
  await discoverRows(tx, input, { fromRow: 1, toRow: planned.lastRow }, options);
  return finishDiscoveryPhases(tx, input);
}

/**
 * The import's column names: import_config.headers, the union over every row that StoreImport
 * recorded in file order (a key first seen at row 1001 included), plus any key the first raw
 * records carry that the list lacks (imports stored before the list was kept).
 */
async function importHeaders(client: PgJsClient, input: DiscoveryInput, configured: unknown): Promise<string[]> {
  const tx = orm(client);
  const listed = Array.isArray(configured) ? configured.filter((h): h is string => typeof h === 'string') : [];
  const r = rawImportRecords;
  const first = tx.select({ rawData: r.rawData })
    .from(r)
    // a rejected row's raw_data is what the file had ({text} or {cells}), not columns
    .where(and(eq(r.dataImportId, input.dataImportId), eq(r.masterFlowId, input.flowId), inTenant(r, input),
      sql`${r.validationErrors} ->> 'skip' is distinct from 'rejected'`))
    .orderBy(r.rowNumber)
    .limit(1000)
    .as('r');
  const k = sql<string>`k`;
  const keys = await tx.select({ k })
    .from(first)
    .crossJoin(sql`jsonb_object_keys(${first.rawData}) as k`)
    .groupBy(k)
    .orderBy(sql`min(k)`);
  const ordered = [...listed];
  for (const { k } of keys) if (!ordered.includes(k)) ordered.push(k);
  return ordered;
}

// A cell only a decimal comma reads ("1,5", "1.234,5", "1.234.567") or only a decimal point
// ("3.75", "1,234.5", "1,234,567"); "1,234" proves neither. Mirrors decimalEvidence (numbers.ts).
const COMMA_EVIDENCE = String.raw`^\s*[-+]?[0-9][0-9 '.]*(,[0-9]{1,2}([^0-9]|$)|,[0-9]{4,}|\.[0-9]{3}.*,|\.[0-9]{3}\.)`;
const DOT_EVIDENCE = String.raw`^\s*[-+]?[0-9][0-9 ',]*(\.[0-9]{1,2}([^0-9]|$)|\.[0-9]{4,}|,[0-9]{3}.*\.|,[0-9]{3},)`;

export interface DecimalDecision {
  mark: DecimalMark;
  decidedBy: 'column' | 'file' | 'default';
  /** Cells of the column that prove a decimal comma / a decimal point. */
  evidence: { comma: number; point: number };
}

/**
 * The decimal mark of every numeric column, from the whole import (one scan), so that an ambiguous
 * cell ("1,234": one mark, three digits) means what its column means: the column's own unambiguous
 * cells decide; a column without (or with conflicting) evidence takes the file's, the evidence of
 * all numeric columns together when it points one way; else '.', said so. Recorded per column in
 * crew_outputs.field_mapping.decimal_marks.
 */
async function decideDecimalMarks(client: PgJsClient, input: DiscoveryInput, plan: MappingPlan) {
  const headers = plan.mappings.filter((m) => m.target && NUMERIC_TARGETS.has(m.target)).map((m) => m.sourceField);
  const marks: Record<string, DecimalMark> = {};
  const decisions: Record<string, DecimalDecision> = {};
  if (!headers.length) return { marks, decisions };
  const r = rawImportRecords;
  const header = sql<string>`h.header`;
  const cell = sql`${r.rawData} ->> ${header}`;
  // one scan of the import for every numeric column (h: the column names)
  const rows = await orm(client).select({
    header,
    comma: countWhere(sql`${cell} ~ ${COMMA_EVIDENCE}`),
    point: countWhere(sql`${cell} ~ ${DOT_EVIDENCE}`),
  })
    .from(r)
    .crossJoin(sql`unnest(${sql.param(headers)}::text[]) as h(header)`)
    .where(and(eq(r.dataImportId, input.dataImportId), eq(r.masterFlowId, input.flowId), inTenant(r, input)))
    .groupBy(header);
  const oneWay = (e: { comma: number; point: number }): DecimalMark | null =>
    e.comma > 0 && e.point === 0 ? ',' : e.point > 0 && e.comma === 0 ? '.' : null;
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
  return { marks, decisions };
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

async function repeatedHostnames(client: PgJsClient, input: DiscoveryInput): Promise<DiscoverySummary['duplicateHostnames']> {
  const a = assets;
  const r = rawImportRecords;
  const name = sql`lower(${a.hostname})`;
  // the 20 largest groups, each with its first 20 rows, and how many groups there are in all
  const rows = await orm(client).select({
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
