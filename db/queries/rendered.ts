import type { Query, SQL } from 'drizzle-orm';
import { PgDialect } from 'drizzle-orm/pg-core';
import type { Tx } from '../client.ts';

const dialect = new PgDialect();

/**
 * Values kept per process under a key that names everything they were made from; bounded, the
 * oldest entry going first. For statements run again and again with other values only: Drizzle
 * renders an `sql` template on every execute by walking its fragments, about 0.1 ms for one of
 * the integrity check's per-table passes, 1.5 ms of a daily check of 30 ms
 * (test/bench/drizzle.bench.ts); built and rendered once (`render`), with their values in
 * `sql.placeholder`s, they cost nothing the next time (`runRendered`).
 */
export class Memo<V> {
  private readonly entries = new Map<string, V>();

  constructor(private readonly limit = 256) {}

  get(key: string, make: () => V): V {
    let value = this.entries.get(key);
    if (value === undefined) {
      value = make();
      if (this.entries.size >= this.limit) this.entries.delete(this.entries.keys().next().value!);
      this.entries.set(key, value);
    }
    return value;
  }
}

/** The statement's text and parameters (placeholders among them), as Drizzle sends them. */
export const render = (statement: SQL): Query => dialect.sqlToQuery(statement);

/** Runs a rendered statement with its placeholders filled from `values`; its rows as the driver gives them. */
export async function runRendered<R>(db: Tx, query: Query, values: Record<string, unknown>): Promise<R[]> {
  return [...(await db._.session.prepareQuery(query, undefined, undefined, false).execute(values) as Iterable<R>)];
}
