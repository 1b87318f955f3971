/**
 * The consultant's corrections of a mapping: what a header set is, how a correction is written
 * (`<column>=<field>[:unit]`), and how corrections replace the computed decisions of a plan. Pure.
 */
import { createHash } from 'node:crypto';
import { SYNONYMS, targetFieldOf } from './field-mapper.ts';
import { rawKey } from './headers.ts';
import type { SizeUnit } from './numbers.ts';
import type { MappingPlan, Target } from './types.ts';

/**
 * The id of a header list: the first 16 hex digits of the SHA-256 of its normalised headers (case,
 * spaces, punctuation and units' spelling aside, see rawKey), sorted and deduplicated, so that the
 * same tool's export gives the same id whatever its column order.
 */
export function headerSetId(headers: readonly string[]): string {
  const keys = [...new Set(headers.map(rawKey).filter(Boolean))].sort();
  return createHash('sha256').update(keys.join('\n')).digest('hex').slice(0, 16);
}

export interface Correction {
  sourceField: string;
  /** An asset field or mapping input (memory_gb, cpu_sockets, virtualization_host …), or custom_attributes.<key>. */
  targetField: string;
  unit: SizeUnit | null;
}

const UNITS: ReadonlySet<string> = new Set(['B', 'KB', 'MB', 'GB', 'TB']);
const TARGETS: ReadonlySet<string> = new Set(Object.keys(SYNONYMS));

/**
 * Reads `<column>=<field>[:unit]` ("Mem=memory_gb:MB", "Host=virtualization_host",
 * "Notes=custom_attributes.notes"). The column is everything before the last "="; an unknown field
 * or unit is an error naming what is allowed.
 */
export function parseCorrection(text: string): Correction {
  const at = text.lastIndexOf('=');
  if (at <= 0) throw new Error(`"${text}": write <column>=<field>[:unit]`);
  const sourceField = text.slice(0, at).trim();
  const [field, unitText, extra] = text
    .slice(at + 1)
    .trim()
    .split(':');
  if (extra !== undefined) throw new Error(`"${text}": one ":unit" at most`);
  const targetField = field!.trim();
  const custom = /^custom_attributes\.[^\s]+$/.test(targetField);
  if (!custom && !TARGETS.has(targetField)) {
    throw new Error(`"${text}": "${targetField}" is not a field; use one of ${[...TARGETS].join(', ')}, or custom_attributes.<key>`);
  }
  const unit = unitText === undefined ? null : unitText.trim().toUpperCase();
  if (unit !== null && !UNITS.has(unit)) throw new Error(`"${text}": unit "${unitText}" is not one of B, KB, MB, GB, TB`);
  if (unit !== null && !['memory_gb', 'storage_gb', 'storage_part', 'storage_used_gb'].includes(targetField)) {
    throw new Error(`"${text}": a unit only applies to a size field (memory_gb, storage_gb, storage_part, storage_used_gb)`);
  }
  return { sourceField, targetField, unit: unit as SizeUnit | null };
}

/**
 * The plan with each corrected column's decision replaced (match `manual`, confidence 1, first in
 * priority, the evidence naming the header set). A correction for a column the file lacks changes nothing.
 */
export function applyCorrections(plan: MappingPlan, corrections: readonly Correction[], setId: string): MappingPlan {
  if (!corrections.length) return plan;
  const mappings = plan.mappings.map((m) => {
    const c = corrections.find((x) => x.sourceField === m.sourceField);
    if (!c) return m;
    const target = TARGETS.has(c.targetField) ? (c.targetField as Target) : null;
    return {
      ...m,
      target,
      targetField: target ? targetFieldOf(target) : c.targetField,
      matchType: 'manual' as const,
      confidence: 1,
      unit: c.unit ?? (target === m.target ? m.unit : null),
      unitColumn: target === m.target ? m.unitColumn : null,
      priority: -1,
      rule: `corrected by a consultant for header set ${setId}${c.unit ? ` (unit ${c.unit})` : ''}; was ${m.targetField} (${m.rule})`,
    };
  });
  return { ...plan, mappings };
}
