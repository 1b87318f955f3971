import type { Sql } from '../../db/client.ts';
import { jsonb } from '../../db/client.ts';
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
  skipped: { templates: number; noIdentity: number };
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
  ['data_validation', 'data_validation_completed'],
  ['field_mapping', 'field_mapping_completed'],
  ['data_cleansing', 'data_cleansing_completed'],
  ['asset_inventory', 'asset_inventory_completed'],
] as const;
const TOTAL_PHASES = 6;

type Phase = (typeof PHASES)[number][0];

/** The phases up to and including `phase`: each runs after the ones before it, in any invocation. */
const phasesThrough = (phase: Phase) => PHASES.slice(0, PHASES.findIndex(([p]) => p === phase) + 1).map(([p]) => p);

/**
 * Records a phase on the discovery_flows row (flag, current_phase, phases_completed, a summary under
 * crew_outputs.<phase>, progress_percentage). The same values each time: a re-run rewrites them.
 */
async function recordPhase(tx: Sql, input: DiscoveryInput, phase: Phase, output: Record<string, unknown>,
  extra: { fieldMappings?: unknown; discoveredAssets?: unknown } = {}): Promise<void> {
  const done = phasesThrough(phase);
  const flag = PHASES.find(([p]) => p === phase)![1];
  await tx`
    update discovery_flows set
      ${tx(flag)} = true,
      current_phase = ${phase},
      phases_completed = ${jsonb(done)}::text::jsonb,
      crew_outputs = crew_outputs || ${jsonb({ [phase]: output })}::text::jsonb,
      field_mappings = coalesce(${extra.fieldMappings === undefined ? null : jsonb(extra.fieldMappings)}::text::jsonb, field_mappings),
      discovered_assets = coalesce(${extra.discoveredAssets === undefined ? null : jsonb(extra.discoveredAssets)}::text::jsonb, discovered_assets),
      progress_percentage = ${(100 * done.length) / TOTAL_PHASES},
      updated_at = now()
    where id = ${input.discoveryFlowId} and master_flow_id = ${input.flowId}
      and client_account_id = ${input.clientAccountId} and engagement_id = ${input.engagementId}`;
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
export async function planDiscoveryPhases(tx: Sql, input: DiscoveryInput): Promise<PlannedDiscovery> {
  const [imp] = await tx<{ headers: unknown; rows: number; last_row: number | null }[]>`
    select i.import_config -> 'headers' as headers, c.rows, c.last_row
    from data_imports i, lateral (
      select count(*)::int as rows, max(r.row_number) as last_row from raw_import_records r
      where r.data_import_id = i.id and r.master_flow_id = ${input.flowId}
        and r.client_account_id = ${input.clientAccountId} and r.engagement_id = ${input.engagementId}) c
    where i.id = ${input.dataImportId} and i.client_account_id = ${input.clientAccountId} and i.engagement_id = ${input.engagementId}`;
  const rows = imp?.rows ?? 0;
  const headers = await importHeaders(tx, input, imp?.headers);
  await recordPhase(tx, input, 'data_validation', { rows, columns: headers.length });

  const userDefined = await tx<{ source_field: string; target_field: string }[]>`
    select source_field, target_field from import_field_mappings
    where data_import_id = ${input.dataImportId} and is_user_defined
      and client_account_id = ${input.clientAccountId} and engagement_id = ${input.engagementId}`;
  const plan = applyUserMappings(planMapping(headers), userDefined);
  const fieldMappings = await upsertFieldMappings(tx, input, plan.mappings);
  await tx`
    update data_imports set source_system = ${plan.sourceSystem}, updated_at = now()
    where id = ${input.dataImportId} and client_account_id = ${input.clientAccountId} and engagement_id = ${input.engagementId}`;
  const decimals = await decideDecimalMarks(tx, input, plan);
  await recordPhase(tx, input, 'field_mapping', { ...mappingOutput(plan), user_defined: userDefined.length, decimal_marks: decimals.decisions, plan }, {
    fieldMappings: plan.mappings.map((m) => ({ source: m.sourceField, target: m.targetField, match_type: m.matchType, confidence: m.confidence })),
  });
  return { rows, lastRow: imp?.last_row ?? 0, fieldMappings, sourceSystem: plan.sourceSystem, plan };
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
export async function finishDiscoveryPhases(tx: Sql, input: DiscoveryInput): Promise<DiscoverySummary> {
  const [flow] = await tx<{ plan: MappingPlan | null }[]>`
    select crew_outputs -> 'field_mapping' -> 'plan' as plan from discovery_flows
    where id = ${input.discoveryFlowId} and master_flow_id = ${input.flowId}
      and client_account_id = ${input.clientAccountId} and engagement_id = ${input.engagementId}`;
  if (!flow?.plan) throw new NotFoundError(`discovery flow ${input.discoveryFlowId} has no mapping plan (PlanDiscovery has not run)`);
  const plan = flow.plan;
  // a record skipped by an earlier run that a later plan made an asset of: the asset is the outcome
  await tx`
    update raw_import_records r set validation_errors = r.validation_errors - 'skip', processing_notes = null, is_valid = null
    from assets a
    where a.raw_import_record_id = r.id and a.discovery_flow_id = ${input.discoveryFlowId}
      and r.data_import_id = ${input.dataImportId} and r.validation_errors ? 'skip'
      and r.client_account_id = ${input.clientAccountId} and r.engagement_id = ${input.engagementId}`;
  const powerKey = plan.mappings.find((m) => m.target === 'power_state' && m.targetField.startsWith('custom_attributes.'))?.targetField.slice('custom_attributes.'.length) ?? null;
  const [t] = await tx<{ stored: number; linked: number; assets: number; templates: number; no_identity: number; neither: number; both: number; powered_off: number }[]>`
    select count(*)::int as stored,
      count(*) filter (where r.master_flow_id = ${input.flowId})::int as linked,
      count(a.id)::int as assets,
      count(*) filter (where a.id is null and r.validation_errors ->> 'skip' = 'template')::int as templates,
      count(*) filter (where a.id is null and r.validation_errors ->> 'skip' = 'no_identity')::int as no_identity,
      count(*) filter (where a.id is null and r.validation_errors ->> 'skip' is null)::int as neither,
      count(*) filter (where a.id is not null and r.validation_errors ->> 'skip' is not null)::int as both,
      count(*) filter (where ${powerKey}::text is not null and a.custom_attributes ->> ${powerKey}::text = 'off')::int as powered_off
    from raw_import_records r
    left join assets a on a.raw_import_record_id = r.id and a.discovery_flow_id = ${input.discoveryFlowId}
    where r.data_import_id = ${input.dataImportId}
      and r.client_account_id = ${input.clientAccountId} and r.engagement_id = ${input.engagementId}`;
  if (t!.linked !== t!.stored || t!.neither > 0 || t!.both > 0) {
    throw new DiscoveryCountMismatchError(
      `data import ${input.dataImportId}: of ${t!.stored} raw records ${t!.linked} are linked to master flow ${input.flowId}, ` +
        `${t!.assets} have an asset, ${t!.templates + t!.no_identity} a recorded skip, ${t!.neither} neither and ${t!.both} both`,
    );
  }
  const rows = t!.stored;
  const skipped = { templates: t!.templates, noIdentity: t!.no_identity };
  await recordPhase(tx, input, 'data_cleansing', {
    rows, normalised: t!.assets, skipped: { templates: skipped.templates, no_identity: skipped.noIdentity }, powered_off: t!.powered_off,
  });

  const byType = await tx<{ asset_type: string; n: number }[]>`
    select asset_type::text, count(*)::int as n from assets
    where discovery_flow_id = ${input.discoveryFlowId} and master_flow_id = ${input.flowId}
      and client_account_id = ${input.clientAccountId} and engagement_id = ${input.engagementId}
    group by asset_type order by asset_type`;
  const assetsByType = Object.fromEntries(byType.map((b) => [b.asset_type, b.n]));
  const total = byType.reduce((s, b) => s + b.n, 0);
  const duplicateHostnames = await repeatedHostnames(tx, input);
  await recordPhase(tx, input, 'asset_inventory', {
    assets: total,
    by_type: assetsByType,
    duplicate_hostnames: duplicateHostnames.count,
    duplicate_examples: duplicateHostnames.examples,
  }, { discoveredAssets: { total, by_type: assetsByType } });
  const [mappings] = await tx<{ n: number }[]>`
    select count(*)::int as n from import_field_mappings
    where data_import_id = ${input.dataImportId} and client_account_id = ${input.clientAccountId} and engagement_id = ${input.engagementId}`;

  return {
    rows,
    phasesCompleted: phasesThrough('asset_inventory'),
    assets: total,
    fieldMappings: mappings!.n,
    sourceSystem: plan.sourceSystem,
    assetsByType,
    skipped,
    poweredOff: t!.powered_off,
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
async function importHeaders(tx: Sql, input: DiscoveryInput, configured: unknown): Promise<string[]> {
  const listed = Array.isArray(configured) ? configured.filter((h): h is string => typeof h === 'string') : [];
  const keys = await tx<{ k: string }[]>`
    select k from (
      select raw_data from raw_import_records
      where data_import_id = ${input.dataImportId} and master_flow_id = ${input.flowId}
        and client_account_id = ${input.clientAccountId} and engagement_id = ${input.engagementId}
      order by row_number limit 1000) r, jsonb_object_keys(r.raw_data) as k
    group by k order by min(k)`;
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
async function decideDecimalMarks(tx: Sql, input: DiscoveryInput, plan: MappingPlan) {
  const headers = plan.mappings.filter((m) => m.target && NUMERIC_TARGETS.has(m.target)).map((m) => m.sourceField);
  const marks: Record<string, DecimalMark> = {};
  const decisions: Record<string, DecimalDecision> = {};
  if (!headers.length) return { marks, decisions };
  const rows = await tx<{ header: string; comma: number; point: number }[]>`
    select h.header,
      count(*) filter (where r.raw_data ->> h.header ~ ${COMMA_EVIDENCE})::int as comma,
      count(*) filter (where r.raw_data ->> h.header ~ ${DOT_EVIDENCE})::int as point
    from raw_import_records r cross join unnest(${headers}::text[]) as h(header)
    where r.data_import_id = ${input.dataImportId} and r.master_flow_id = ${input.flowId}
      and r.client_account_id = ${input.clientAccountId} and r.engagement_id = ${input.engagementId}
    group by h.header`;
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

async function repeatedHostnames(tx: Sql, input: DiscoveryInput): Promise<DiscoverySummary['duplicateHostnames']> {
  const rows = await tx<{ hostname: string; n: number; row_numbers: number[]; groups: number }[]>`
    select min(a.hostname) as hostname, count(*)::int as n,
      (array_agg(r.row_number order by r.row_number))[1:20] as row_numbers, (count(*) over ())::int as groups
    from assets a join raw_import_records r on r.id = a.raw_import_record_id
    where a.discovery_flow_id = ${input.discoveryFlowId} and a.master_flow_id = ${input.flowId}
      and a.client_account_id = ${input.clientAccountId} and a.engagement_id = ${input.engagementId}
      and a.hostname is not null
    group by lower(a.hostname) having count(*) > 1
    order by count(*) desc, lower(a.hostname) limit 20`;
  return {
    count: rows[0]?.groups ?? 0,
    examples: rows.map((r) => ({ hostname: r.hostname, count: r.n, rowNumbers: r.row_numbers })),
  };
}
