import type { Sql } from '../db/client.ts';
import { TenantError } from '../functions/_shared/errors.ts';

export const DEMO_CLIENT_SLUG = 'demo';
export const DEMO_ENGAGEMENT_SLUG = 'demo-migration';

export interface LocalTenant {
  clientAccountId: string;
  engagementId: string;
  clientName: string;
  engagementName: string;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * The tenant a local drop goes to. With neither option, the demo client `demo` and its engagement
 * `demo-migration` (created on first use). A client or engagement is given by id or slug; an
 * engagement of another client is refused. With only a client, its one engagement is used.
 */
export async function resolveLocalTenant(sql: Sql, options: { client?: string | undefined; engagement?: string | undefined }): Promise<LocalTenant> {
  if (!options.client && !options.engagement) return ensureDemoTenant(sql);
  if (!options.client) throw new TenantError('--engagement needs --client (an engagement belongs to a client)');
  const byClient = UUID.test(options.client) ? sql`id = ${options.client}` : sql`slug = ${options.client}`;
  const [client] = await sql<{ id: string; name: string }[]>`select id, name from client_accounts where ${byClient}`;
  if (!client) throw new TenantError(`unknown client "${options.client}" (give a client account id or slug)`);

  let engagements;
  if (options.engagement) {
    const byEngagement = UUID.test(options.engagement) ? sql`id = ${options.engagement}` : sql`slug = ${options.engagement}`;
    engagements = await sql<{ id: string; name: string; client_account_id: string }[]>`
      select id, name, client_account_id from engagements where ${byEngagement} order by client_account_id = ${client.id} desc`;
    const own = engagements.find((e) => e.client_account_id === client.id);
    if (!own) {
      throw new TenantError(engagements.length
        ? `engagement "${options.engagement}" belongs to another client, not to "${options.client}"`
        : `unknown engagement "${options.engagement}" (give an engagement id or slug)`);
    }
    return { clientAccountId: client.id, engagementId: own.id, clientName: client.name, engagementName: own.name };
  }
  engagements = await sql<{ id: string; name: string; slug: string | null }[]>`
    select id, name, slug from engagements where client_account_id = ${client.id} order by created_at`;
  if (engagements.length !== 1) {
    throw new TenantError(engagements.length
      ? `client "${options.client}" has ${engagements.length} engagements: choose one with --engagement (${engagements.map((e) => e.slug ?? e.id).join(', ')})`
      : `client "${options.client}" has no engagement`);
  }
  return { clientAccountId: client.id, engagementId: engagements[0]!.id, clientName: client.name, engagementName: engagements[0]!.name };
}

/** The demo client and engagement, created once (upserts on the slugs, safe to run concurrently). */
export async function ensureDemoTenant(sql: Sql): Promise<LocalTenant> {
  const [client] = await sql<{ id: string; name: string }[]>`
    insert into client_accounts (name, slug, industry) values ('Demo Client', ${DEMO_CLIENT_SLUG}, 'Demo')
    on conflict (slug) do update set slug = excluded.slug returning id, name`;
  const [engagement] = await sql<{ id: string; name: string }[]>`
    insert into engagements (client_account_id, name, slug, description)
    values (${client!.id}, 'Demo migration', ${DEMO_ENGAGEMENT_SLUG}, 'Created by flowlink run for local demos')
    on conflict (client_account_id, slug) do update set slug = excluded.slug returning id, name`;
  return { clientAccountId: client!.id, engagementId: engagement!.id, clientName: client!.name, engagementName: engagement!.name };
}
