/** The consultant's mapping corrections (mapping_corrections), always within one engagement. */
import { and, eq, sql } from 'drizzle-orm';
import type { Db, Tx } from '../client.ts';
import { mappingCorrections } from '../schema/index.ts';
import { inTenant } from './sql.ts';

/** One column's correction as stored: the field it maps to and, for a size, its unit. */
export interface StoredCorrection {
  sourceField: string;
  targetField: string;
  unit: string | null;
}

export interface Engagement {
  clientAccountId: string;
  engagementId: string;
}

/** Sets (or replaces) the corrections of a header set's columns; returns how many were written. */
export async function setCorrections(tx: Tx | Db, scope: Engagement, headerSetId: string, corrections: readonly StoredCorrection[], setBy: string | null): Promise<number> {
  if (!corrections.length) return 0;
  const m = mappingCorrections;
  const rows = await tx
    .insert(m)
    .values(corrections.map((c) => ({ ...scope, headerSetId, sourceField: c.sourceField, targetField: c.targetField, unit: c.unit, setBy })))
    .onConflictDoUpdate({
      target: [m.clientAccountId, m.engagementId, m.headerSetId, m.sourceField],
      set: { targetField: sql`excluded.target_field`, unit: sql`excluded.unit`, setBy: sql`excluded.set_by`, updatedAt: sql`now()` },
    })
    .returning({ id: m.id });
  return rows.length;
}

/** The corrections of a header set in an engagement, by column. */
export async function correctionsFor(tx: Tx | Db, scope: Engagement, headerSetId: string): Promise<StoredCorrection[]> {
  const m = mappingCorrections;
  const rows = await tx
    .select({ sourceField: m.sourceField, targetField: m.targetField, unit: m.unit })
    .from(m)
    .where(and(eq(m.headerSetId, headerSetId), inTenant(m, scope)))
    .orderBy(m.sourceField);
  return rows;
}
