import { and, Column, eq, is, sql, type SQL } from 'drizzle-orm';
import type { AnyPgColumn } from 'drizzle-orm/pg-core';
import type { SelectResultFields } from 'drizzle-orm/query-builders/select.types';

/**
 * A column's bare name, from the schema object: for the places SQL wants it unqualified (an INSERT
 * column list, `excluded.<column>`, a record definition). Renaming the column's key in db/schema/
 * breaks every caller at compile time, as a `${table.column}` reference does.
 */
export const column = (c: AnyPgColumn): SQL => sql`${sql.identifier(c.name)}`;

/** `a, b, c`: bare column names for an INSERT column list. */
export const columnList = (...columns: AnyPgColumn[]): SQL => sql.join(columns.map(column), sql`, `);

/** `excluded.<column>` in ON CONFLICT … DO UPDATE. */
export const excluded = (c: AnyPgColumn): SQL => sql`excluded.${column(c)}`;

/** `a = excluded.a, b = excluded.b`: an upsert's SET list of columns taken from the proposed row. */
export const setExcluded = (...columns: AnyPgColumn[]): SQL =>
  sql.join(
    columns.map((c) => sql`${column(c)} = ${excluded(c)}`),
    sql`, `,
  );

export interface Tenant {
  clientAccountId: string;
  engagementId: string;
}

/** The tenant predicate every business query carries. */
export function inTenant(table: { clientAccountId: AnyPgColumn; engagementId: AnyPgColumn }, tenant: Tenant): SQL {
  return and(eq(table.clientAccountId, tenant.clientAccountId), eq(table.engagementId, tenant.engagementId))!;
}

/** A jsonb parameter: sent as its JSON text and cast, the same on postgres.js (under Drizzle) and node-postgres. */
export const jsonbParam = (value: unknown): SQL => sql`${JSON.stringify(value)}::text::jsonb`;

/** `a is distinct from b` (null-safe inequality), which drizzle-orm has no operator for. */
export const isDistinctFrom = (c: AnyPgColumn, value: unknown): SQL => sql`${c} is distinct from ${value}`;

/** `count(*) filter (where …)` as a number: one of several counts taken in the same pass. */
export const countWhere = (condition: SQL): SQL<number> => sql`count(*) filter (where ${condition})`.mapWith(Number);

/** Column types whose values postgres.js returns exactly as Drizzle's mapping of them would be. */
const DRIVER_EXACT = new Set(['PgText', 'PgUUID', 'PgInteger', 'PgDoublePrecision', 'PgBoolean']);

/**
 * `select <fields> <rest>` typed as the builder's `tx.select(fields)` would be, its rows read by the
 * driver under the fields' keys (`"row_id" as "rowId"`), for reads of thousands of rows without
 * Drizzle's mapping of each field of each row (test/bench/drizzle.bench.ts measures it). Columns
 * only of types the driver returns as Drizzle would; an
 * `sql<T>` field's T is the caller's word, as in a builder select.
 */
export async function selectRows<F extends Record<string, AnyPgColumn | SQL>>(tx: { execute(query: SQL): PromiseLike<Iterable<unknown>> }, fields: F, rest: SQL): Promise<SelectResultFields<F>[]> {
  const list = Object.entries(fields).map(([key, field]) => {
    if (is(field, Column) && !DRIVER_EXACT.has(field.columnType)) {
      throw new Error(`selectRows: ${field.name} is ${field.columnType}, which postgres.js does not return as Drizzle maps it; use tx.select()`);
    }
    return sql`${field} as ${sql.identifier(key)}`;
  });
  return [...(await tx.execute(sql`select ${sql.join(list, sql`, `)} ${rest}`))] as SelectResultFields<F>[];
}
