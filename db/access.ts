/**
 * Who a transaction acts as, set in one place at its start: the role (SET LOCAL ROLE, as
 * set_config('role', …, true)) and the tenant the row-level security admits
 * (set_config('flowlink.client_account_id' / 'flowlink.engagement_id', …, true)). Both are
 * transaction-local, never session state, so nothing carries over to the next transaction on a
 * pooled or proxied connection. On AWS a Lambda connects as its role already (IAM auth), so the
 * SET LOCAL ROLE is a no-op there; locally and in tests (a superuser session) it is what makes every
 * step run with exactly the rights it has on AWS. See docs/security.md.
 */
import { sql } from 'drizzle-orm';
import type postgres from 'postgres';
import { driverError, orm, type AnyDb, type Db, type Sql, type Tx } from './client.ts';
import type { Tenant } from './queries/sql.ts';
import { ROLES, TENANT_SETTINGS } from './schema/access.ts';

export { ROLES } from './schema/access.ts';
export type Role = (typeof ROLES)[keyof typeof ROLES];

/**
 * The select-list columns that set role and tenant, from parameter `$first` on (client account,
 * engagement, role): appended to a transaction's first statement, so they cost no round trip.
 */
export function scopeColumns(first: number): string {
  return (
    `set_config('${TENANT_SETTINGS.clientAccountId}', $${first}, true) as scope_client, ` +
    `set_config('${TENANT_SETTINGS.engagementId}', $${first + 1}, true) as scope_engagement, ` +
    `set_config('role', $${first + 2}, true) as scope_role`
  );
}

/** The parameters of scopeColumns: no tenant ('') admits no tenant row. */
export function scopeParams(tenant: Tenant | null, role: Role): string[] {
  return [tenant?.clientAccountId ?? '', tenant?.engagementId ?? '', role];
}

/** The statement that scopes a transaction that has not sent one yet. */
export const SCOPE_SQL = `select ${scopeColumns(1)}`;

/** Scopes the transaction `tx` to the tenant and role (its first statement). */
export async function scope(tx: postgres.TransactionSql, tenant: Tenant | null, role: Role): Promise<void> {
  await tx.unsafe(SCOPE_SQL, scopeParams(tenant, role));
}

/** Scopes a Drizzle transaction (its first statement) to the tenant and role. */
export async function scopeDrizzle(tx: Pick<AnyDb, 'execute'>, tenant: Tenant | null, role: Role): Promise<void> {
  const [client, engagement, asRole] = scopeParams(tenant, role);
  await tx.execute(sql`select set_config(${TENANT_SETTINGS.clientAccountId}, ${client}, true), set_config(${TENANT_SETTINGS.engagementId}, ${engagement}, true), set_config('role', ${asRole}, true)`);
}

/** One transaction as the app for one tenant (the trigger, the report writer: reads without a step's fence). */
export function tenantTransaction<T>(client: Sql | Db, tenant: Tenant, work: (tx: Tx) => Promise<T>): Promise<T> {
  return scoped(client, tenant, ROLES.app, work);
}

/**
 * One transaction as the operator (every tenant, the operator's privileges). `readOnly`: the
 * server refuses any write in it (the integrity check's checks).
 */
export function operatorTransaction<T>(client: Sql | Db, work: (tx: Tx) => Promise<T>, options: { readOnly?: boolean } = {}): Promise<T> {
  return scoped(client, null, ROLES.operator, work, options.readOnly);
}

async function scoped<T>(client: Sql | Db, tenant: Tenant | null, role: Role, work: (tx: Tx) => Promise<T>, readOnly = false): Promise<T> {
  try {
    // Drizzle's own transaction: a nested one in `work` (the backfill's) becomes a savepoint
    return await orm(client).transaction(
      async (tx) => {
        await scopeDrizzle(tx, tenant, role);
        return work(tx);
      },
      readOnly ? { accessMode: 'read only' } : undefined,
    );
  } catch (err) {
    throw driverError(err);
  }
}

/** Runs a statement on the caller's connection, in its transaction, and returns its rows. */
export type Execute = (statement: string, params?: string[]) => Promise<ReadonlyArray<Record<string, unknown>>>;

/** Execute over a postgres.js transaction. */
export const onPostgresJs =
  (tx: postgres.TransactionSql): Execute =>
  (statement, params) =>
    tx.unsafe(statement, params ?? []);

/**
 * `copy` (a COPY FROM) as the loader, then back to the role the transaction had: COPY FROM is
 * refused under row-level security for any role without BYPASSRLS, and the loader can insert into
 * the COPY-loaded tables and do nothing else (docs/security.md).
 */
export async function asLoader<T>(execute: Execute, copy: () => Promise<T>): Promise<T> {
  const [row] = await execute(TAKE_LOADER_SQL);
  const result = await copy();
  await execute(RESTORE_ROLE_SQL, [String(row!.previous)]);
  return result;
}

/** Takes the loader's role for the transaction; returns the role it had (`previous`). */
export const TAKE_LOADER_SQL = `select current_user::text as previous, set_config('role', '${ROLES.loader}', true)`;
/** Gives the transaction its role back ($1: TAKE_LOADER_SQL's `previous`). */
export const RESTORE_ROLE_SQL = `select set_config('role', $1, true)`;
