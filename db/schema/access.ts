import { sql, type SQL } from 'drizzle-orm';
import { pgPolicy, pgRole, type AnyPgColumn } from 'drizzle-orm/pg-core';

/**
 * The database roles (docs/security.md). They are cluster-wide, so the migration that creates them
 * (db/migrations/*_db_roles.sql) does it idempotently and tolerates a concurrent migration of another
 * database doing the same; drizzle-kit only refers to them (`existing()`), never creates or drops them.
 * On AWS each is a LOGIN role with rds_iam that a Lambda connects as through the RDS Proxy; locally
 * they are NOLOGIN and a step takes its role with SET LOCAL ROLE (db/access.ts).
 */
export const ROLES = {
  /** The workflow steps, the trigger and the report writer: one tenant per transaction. */
  app: 'flowlink_app',
  /** The integrity check, the backfill and other cross-tenant operations. */
  operator: 'flowlink_operator',
  /** INSERT alone on the tables loaded by COPY, with BYPASSRLS (COPY FROM refuses row-level security). */
  loader: 'flowlink_loader',
} as const;

export const appRole = pgRole(ROLES.app).existing();
export const operatorRole = pgRole(ROLES.operator).existing();
export const loaderRole = pgRole(ROLES.loader).existing();

/** The tenant settings a transaction carries (set_config(…, true)); unset or reset ('') admits no row. */
export const TENANT_SETTINGS = { clientAccountId: 'flowlink.client_account_id', engagementId: 'flowlink.engagement_id' } as const;

// a scalar subquery: evaluated once per statement (an InitPlan), not once per row, and as one value
// the planner compares the column to, so the tenant indexes stay usable
const setting = (name: string): SQL => sql.raw(`(select nullif(current_setting('${name}', true), '')::uuid)`);

/**
 * Row-level security of a tenant table: the app sees and writes only rows of the tenant its
 * transaction set (the engagement too where the table has one: `engagement` is its engagement
 * column, `id` for engagements themselves); the operator, whose privileges say what it may do,
 * every row. ENABLE comes with the policies; FORCE (the owner too) is in a hand-written migration.
 */
export function tenantPolicies(client: AnyPgColumn, engagement?: AnyPgColumn) {
  const own = engagement
    ? sql`${client} = ${setting(TENANT_SETTINGS.clientAccountId)} and ${engagement} = ${setting(TENANT_SETTINGS.engagementId)}`
    : sql`${client} = ${setting(TENANT_SETTINGS.clientAccountId)}`;
  return [pgPolicy('tenant_isolation', { for: 'all', to: appRole, using: own, withCheck: own }), pgPolicy('operator_access', { for: 'all', to: operatorRole, using: sql`true`, withCheck: sql`true` })];
}
