/** The consultant's mapping corrections (mapping_corrections), always within one engagement. */
import { and, eq, sql } from 'drizzle-orm';
import { orm, type PgJsClient } from '../client.ts';
import { mappingCorrections } from '../schema/index.ts';
import type { Correction } from '../../functions/_shared/inventory/corrections.ts';
import type { SizeUnit } from '../../functions/_shared/inventory/numbers.ts';
import { inTenant } from './sql.ts';

export interface Engagement {
  clientAccountId: string;
  engagementId: string;
}

/** Sets (or replaces) the corrections of a header set's columns; returns how many were written. */
export async function setCorrections(client: PgJsClient, scope: Engagement, headerSetId: string, corrections: readonly Correction[], setBy: string | null): Promise<number> {
  if (!corrections.length) return 0;
  const m = mappingCorrections;
  const rows = await orm(client).insert(m)
    .values(corrections.map((c) => ({ ...scope, headerSetId, sourceField: c.sourceField, targetField: c.targetField, unit: c.unit, setBy })))
    .onConflictDoUpdate({
      target: [m.clientAccountId, m.engagementId, m.headerSetId, m.sourceField],
      set: { targetField: sql`excluded.target_field`, unit: sql`excluded.unit`, setBy: sql`excluded.set_by`, updatedAt: sql`now()` },
    })
    .returning({ id: m.id });
  return rows.length;
}

/** The corrections of a header set in an engagement, by column. */
export async function correctionsFor(client: PgJsClient, scope: Engagement, headerSetId: string): Promise<Correction[]> {
  const m = mappingCorrections;
  const rows = await orm(client).select({ sourceField: m.sourceField, targetField: m.targetField, unit: m.unit })
    .from(m)
    .where(and(eq(m.headerSetId, headerSetId), inTenant(m, scope)))
    .orderBy(m.sourceField);
  return rows.map((r) => ({ sourceField: r.sourceField, targetField: r.targetField, unit: r.unit as SizeUnit | null }));
}
