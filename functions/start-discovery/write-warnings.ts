import { and, between, eq, sql } from 'drizzle-orm';
import type { Tx } from '../../db/client.ts';
import { inTenant, jsonbParam } from '../../db/queries/sql.ts';
import { rawImportRecords } from '../../db/schema/index.ts';
import type { FieldWarning } from '../_shared/inventory/field-warnings.ts';
import type { Scope } from './write-discovery.ts';

/**
 * Records the field warnings of a page on their raw records (validation_errors.warnings), in one
 * statement: the row keeps its asset, the report and the errors file read the warnings from here.
 * A run again writes the same warnings (the plan decides them); `rows` bounds the scan as markSkipped's does.
 */
export async function recordWarnings(tx: Tx, scope: Scope, warned: Array<{ id: string; warnings: FieldWarning[] }>, rows: { fromRow: number; toRow: number }): Promise<void> {
  if (!warned.length) return;
  const r = rawImportRecords;
  const w = sql`jsonb_to_recordset(${jsonbParam(warned)}) as w(id uuid, warnings jsonb)`;
  await tx
    .update(r)
    .set({ validationErrors: sql`coalesce(${r.validationErrors}, '{}'::jsonb) || jsonb_build_object('warnings', w.warnings)` })
    .from(w)
    .where(and(eq(r.id, sql`w.id`), eq(r.dataImportId, scope.dataImportId), between(r.rowNumber, rows.fromRow, rows.toRow), inTenant(r, scope)));
}
