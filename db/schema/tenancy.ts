import { boolean, index, pgTable, text, uniqueIndex, uuid, foreignKey, unique } from 'drizzle-orm/pg-core';
import { tenantPolicies } from './access.ts';
import { createdAt, id, updatedAt } from './columns.ts';

export const clientAccounts = pgTable(
  'client_accounts',
  {
    id: id(),
    name: text('name').notNull(),
    slug: text('slug'),
    industry: text('industry'),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [uniqueIndex('client_accounts_slug_key').on(t.slug), ...tenantPolicies(t.id)],
);

export const engagements = pgTable(
  'engagements',
  {
    id: id(),
    clientAccountId: uuid('client_account_id').notNull(),
    name: text('name').notNull(),
    slug: text('slug'),
    description: text('description'),
    status: text('status').notNull().default('active'),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    foreignKey({ name: 'engagements_client_account_id_fkey', columns: [t.clientAccountId], foreignColumns: [clientAccounts.id] }).onDelete('cascade'),
    // Target of the composite tenant keys: an engagement is only valid together with its own client.
    unique('engagements_id_client_account_id_key').on(t.id, t.clientAccountId),
    uniqueIndex('engagements_client_account_id_slug_key').on(t.clientAccountId, t.slug),
    index('engagements_client_account_id_idx').on(t.clientAccountId),
    ...tenantPolicies(t.clientAccountId, t.id),
  ],
);

export const users = pgTable(
  'users',
  {
    id: id(),
    email: text('email').notNull(),
    fullName: text('full_name'),
    clientAccountId: uuid('client_account_id'),
    isActive: boolean('is_active').notNull().default(true),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    uniqueIndex('users_email_key').on(t.email),
    foreignKey({ name: 'users_client_account_id_fkey', columns: [t.clientAccountId], foreignColumns: [clientAccounts.id] }).onDelete('set null'),
    index('users_client_account_id_idx').on(t.clientAccountId),
    ...tenantPolicies(t.clientAccountId),
  ],
);
