import { drizzle, type PostgresJsDatabase } from 'drizzle-orm/postgres-js';
import postgres from 'postgres';
import * as schema from './schema/index.ts';
import { tlsFromUrl } from './tls.ts';

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
 * container) and `prepare: false`; the CLI and tests may use more. A URL with
 * `sslmode=verify-full` verifies the server certificate (see tlsFromUrl).
 */
export function connect(url: string, options: { max?: number; application?: string; prepare?: boolean } = {}): DbHandle {
  const { url: plain, ssl } = tlsFromUrl(url);
  const sql = postgres(plain, {
    max: options.max ?? 4,
    ...(ssl ? { ssl } : {}),
    // named prepared statements are session state: through the RDS Proxy they pin the session
    prepare: options.prepare ?? true,
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
