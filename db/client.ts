import { DrizzleQueryError } from 'drizzle-orm';
import { drizzle, PostgresJsDatabase, type PostgresJsQueryResultHKT } from 'drizzle-orm/postgres-js';
import { PostgresJsSession } from 'drizzle-orm/postgres-js/session';
import { type PgDatabase, PgDialect, type PgQueryResultHKT } from 'drizzle-orm/pg-core';
import postgres from 'postgres';
import * as schema from './schema/index.ts';
import { tlsFromUrl } from './tls.ts';

export type Schema = typeof schema;
export type Db = PostgresJsDatabase<Schema> & { $client: postgres.Sql };
export type Sql = postgres.Sql;

/**
 * What the query helpers run on: a Drizzle database or transaction over postgres.js (the pool of a
 * step, or the transaction a step's core opened).
 */
export type Tx = PgDatabase<PostgresJsQueryResultHKT, Schema>;

/** What orm() takes: a postgres.js pool or transaction (a step's `stepTransaction`), or Drizzle over one. */
export type PgJsClient = Sql | postgres.TransactionSql | Tx;

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
export function connect(url: string, options: { max?: number; application?: string; prepare?: boolean; password?: () => Promise<string> } = {}): DbHandle {
  const { url: plain, ssl } = tlsFromUrl(url);
  const sql = postgres(plain, {
    max: options.max ?? 4,
    ...(ssl ? { ssl } : {}),
    // IAM authentication: a token signed for each new connection (functions/_shared/database.ts)
    ...(options.password ? { password: options.password } : {}),
    // named prepared statements are session state: through the RDS Proxy they pin the session
    prepare: options.prepare ?? true,
    onnotice: () => {},
    connection: { application_name: options.application ?? 'flowlink' },
  });
  const db = drizzle(preparing(sql), { schema }) as Db;
  ORMS.set(sql, db);
  return { url, sql, db, close: () => sql.end({ timeout: 5 }) };
}

/**
 * The client as Drizzle should see it: postgres.js prepares (and caches per connection) every
 * statement its tagged templates send, unless the client was opened with `prepare: false`, but
 * Drizzle sends its queries through `unsafe()`, unprepared unless named: each one then costs a
 * describe round trip and a fresh parse (the integrity check's 24 statements took 3-5× as long),
 * and one without parameters goes by the simple protocol, planned every time (+25 % on the check).
 * So every query, in a transaction or a savepoint too, follows the client's own `prepare` option.
 */
function preparing<T extends Sql | postgres.TransactionSql>(client: T, prepare = (client as Sql).options?.prepare ?? true): T {
  return new Proxy(client, {
    get(target, key, receiver) {
      if (key === 'unsafe') {
        // unsafe() without parameters takes the simple protocol, which plans every time: a prepared
        // query goes by the extended one, as a tagged template does
        return (query: string, params?: unknown[], options?: object) => target.unsafe(query, params as never[], { ...(prepare ? { simple: false } : {}), ...options, prepare });
      }
      if (key === 'begin' || key === 'savepoint') {
        return (...args: unknown[]) => {
          const work = args.pop() as (tx: postgres.TransactionSql) => unknown;
          return (target as unknown as Record<string, (...a: unknown[]) => unknown>)[key]!(...args, (tx: postgres.TransactionSql) => work(preparing(tx, prepare)));
        };
      }
      return Reflect.get(target, key, receiver);
    },
  });
}

const ORMS = new WeakMap<object, Tx>();
const dialect = new PgDialect();

/**
 * The Drizzle database over a postgres.js client or transaction (the cores keep accepting the
 * `sql` of a DbHandle, and a `sql.begin` transaction). A pool is wrapped once (Drizzle sets its
 * json/timestamp serializers, as connect() already did); a transaction shares its pool's
 * serializers and gets a session of its own.
 */
export function orm(client: PgJsClient): Tx {
  if (!isPostgresJs(client)) return client;
  let db = ORMS.get(client);
  if (!db) {
    db =
      'options' in client
        ? drizzle(preparing(client as Sql), { schema })
        : (new PostgresJsDatabase(dialect, new PostgresJsSession(preparing(client) as unknown as Sql, dialect, undefined, {}), undefined) as unknown as Tx);
    ORMS.set(client, db);
  }
  return db;
}

const isPostgresJs = (client: unknown): client is Sql | postgres.TransactionSql => typeof client === 'function';

/** A Drizzle database or transaction on either driver (postgres.js, or node-postgres for StoreImport's COPY). */
// biome-ignore lint/suspicious/noExplicitAny: the third parameter (the relational schema config) differs per driver
export type AnyDb = PgDatabase<PgQueryResultHKT, Schema, any>;

/**
 * A jsonb query parameter for raw `sql` on a client that Drizzle wraps. Drizzle replaces the
 * client's json/jsonb serializers with the identity, so `sql.json()` and plain objects fail; a
 * JSON string is stored as the object it encodes. (Timestamps also come back as strings.)
 */
export const jsonb = (value: unknown): string => JSON.stringify(value);

/**
 * The driver's own error behind a failed Drizzle query. Drizzle wraps it in DrizzleQueryError,
 * whose message is the SQL text and its parameters (a page of assets, a failure's details): the
 * steps classify, record (error_message) and log the server's error, never that.
 */
export function driverError(err: unknown): unknown {
  return err instanceof DrizzleQueryError ? (err.cause ?? err) : err;
}

/** Runs `work` in one transaction (a savepoint inside a transaction) on Drizzle over the client, failing with the driver's own error. */
export async function inTransaction<T>(client: PgJsClient, work: (tx: Tx) => Promise<T>): Promise<T> {
  try {
    return await orm(client).transaction(work);
  } catch (err) {
    throw driverError(err);
  }
}

/** `promise`, failing with the driver's own error rather than Drizzle's wrapper. */
export const unwrapped = <T>(promise: Promise<T>): Promise<T> => promise.catch((err: unknown) => Promise.reject(driverError(err)));
