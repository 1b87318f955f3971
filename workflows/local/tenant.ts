import { asc, eq, sql } from 'drizzle-orm';
import { orm, type Db, type Sql, type Tx } from '../../db/client.ts';
import { column } from '../../db/queries/sql.ts';
import { clientAccounts, engagements } from '../../db/schema/index.ts';
import { isUuid } from '../contracts.ts';
import { TenantError } from '../step-errors.ts';

export const DEMO_CLIENT_SLUG = 'demo';
export const DEMO_ENGAGEMENT_SLUG = 'demo-migration';

export interface LocalTenant {
  clientAccountId: string;
  engagementId: string;
  clientName: string;
  engagementName: string;
}

/**
 * The tenant a local drop goes to. With neither option, the demo client `demo` and its engagement
 * `demo-migration` (created on first use). A client or engagement is given by id or slug; an
 * engagement of another client is refused. With only a client, its one engagement is used.
 */
export async function resolveLocalTenant(client: Sql | Db, options: { client?: string | undefined; engagement?: string | undefined }): Promise<LocalTenant> {
  const db = orm(client);
  if (!options.client && !options.engagement) return ensureDemoTenant(db);
  if (!options.client) throw new TenantError('--engagement needs --client (an engagement belongs to a client)');
  const byClient = isUuid(options.client) ? eq(clientAccounts.id, options.client) : eq(clientAccounts.slug, options.client);
  const [account] = await db.select({ id: clientAccounts.id, name: clientAccounts.name }).from(clientAccounts).where(byClient);
  if (!account) throw new TenantError(`unknown client "${options.client}" (give a client account id or slug)`);

  if (options.engagement) {
    const byEngagement = isUuid(options.engagement) ? eq(engagements.id, options.engagement) : eq(engagements.slug, options.engagement);
    const found = await db
      .select({ id: engagements.id, name: engagements.name, clientAccountId: engagements.clientAccountId })
      .from(engagements)
      .where(byEngagement)
      .orderBy(sql`${eq(engagements.clientAccountId, account.id)} desc`);
    const own = found.find((e) => e.clientAccountId === account.id);
    if (!own) {
      throw new TenantError(
        found.length ? `engagement "${options.engagement}" belongs to another client, not to "${options.client}"` : `unknown engagement "${options.engagement}" (give an engagement id or slug)`,
      );
    }
    return { clientAccountId: account.id, engagementId: own.id, clientName: account.name, engagementName: own.name };
  }
  const own = await db
    .select({ id: engagements.id, name: engagements.name, slug: engagements.slug })
    .from(engagements)
    .where(eq(engagements.clientAccountId, account.id))
    .orderBy(asc(engagements.createdAt));
  if (own.length !== 1) {
    throw new TenantError(
      own.length
        ? `client "${options.client}" has ${own.length} engagements: choose one with --engagement (${own.map((e) => e.slug ?? e.id).join(', ')})`
        : `client "${options.client}" has no engagement`,
    );
  }
  return { clientAccountId: account.id, engagementId: own[0]!.id, clientName: account.name, engagementName: own[0]!.name };
}

/** The demo client and engagement, created once (upserts on the slugs, safe to run concurrently). */
export async function ensureDemoTenant(client: Sql | Db | Tx): Promise<LocalTenant> {
  const db = orm(client);
  const [account] = await db
    .insert(clientAccounts)
    .values({ name: 'Demo Client', slug: DEMO_CLIENT_SLUG, industry: 'Demo' })
    .onConflictDoUpdate({ target: clientAccounts.slug, set: { slug: sql`excluded.${column(clientAccounts.slug)}` } })
    .returning({ id: clientAccounts.id, name: clientAccounts.name });
  const [engagement] = await db
    .insert(engagements)
    .values({ clientAccountId: account!.id, name: 'Demo migration', slug: DEMO_ENGAGEMENT_SLUG, description: 'Created by flowlink run for local demos' })
    .onConflictDoUpdate({ target: [engagements.clientAccountId, engagements.slug], set: { slug: sql`excluded.${column(engagements.slug)}` } })
    .returning({ id: engagements.id, name: engagements.name });
  return { clientAccountId: account!.id, engagementId: engagement!.id, clientName: account!.name, engagementName: engagement!.name };
}
