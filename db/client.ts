import { drizzle, type PostgresJsDatabase } from 'drizzle-orm/postgres-js';
import postgres from 'postgres';
import * as schema from './schema/index.ts';

export type Db = PostgresJsDatabase<typeof schema> & { $client: postgres.Sql };
export type Sql = postgres.Sql;

export interface DbHandle {
  url: string;
  sql: Sql;
  db: Db;
  close(): Promise<void>;
}

/**
 * One postgres.js pool and its Drizzle instance. Lambdas use `max: 1` (one connection per
 * container); the CLI and tests may use more.
 */
export function connect(url: string, options: { max?: number; application?: string } = {}): DbHandle {
  const sql = postgres(url, {
    max: options.max ?? 4,
    onnotice: () => {},
    connection: { application_name: options.application ?? 'flowlink' },
  });
  const db = drizzle(sql, { schema }) as Db;
  return { url, sql, db, close: () => sql.end({ timeout: 5 }) };
}

/**
 * A jsonb query parameter for raw `sql` on a client that Drizzle wraps. Drizzle replaces the
 * client's json/jsonb serializers with the identity, so `sql.json()` and plain objects fail; a
 * JSON string is stored as the object it encodes. (Timestamps also come back as strings.)
 */
export const jsonb = (value: unknown): string => JSON.stringify(value);
