import { drizzle } from 'drizzle-orm/postgres-js';
import { migrate } from 'drizzle-orm/postgres-js/migrator';
import postgres from 'postgres';
import { adoptLegacyDatabase, type AdoptionOptions, type AdoptionSummary } from './adoption/index.ts';
import { MIGRATIONS_FOLDER, readJournal } from './migrations-folder.ts';
import { tlsFromUrl } from './tls.ts';

/** pg_advisory_lock key: serialises every migrate/adopt run on one database. */
export const MIGRATION_LOCK_KEY = 7_346_112_901;

export class LegacyDatabaseError extends Error {
  override name = 'LegacyDatabaseError';
}

export interface MigrationState {
  tag: string;
  when: number;
  applied: boolean;
}

/**
 * The platform we replace: Alembic-managed tables (or an adoption that has started) and no
 * migration history of ours.
 */
export async function isLegacyDatabase(sql: postgres.Sql): Promise<boolean> {
  const [row] = await sql<{ alembic: boolean; ours: boolean }[]>`
    select (to_regclass('public.alembic_version') is not null or to_regclass('flowlink_adoption.steps') is not null) as alembic,
           to_regclass('drizzle.__drizzle_migrations') is not null as ours`;
  return row!.alembic && !row!.ours;
}

export async function migrationStatus(sql: postgres.Sql, folder = MIGRATIONS_FOLDER): Promise<MigrationState[]> {
  const [exists] = await sql<{ ok: boolean }[]>`select to_regclass('drizzle.__drizzle_migrations') is not null as ok`;
  const applied = exists!.ok ? new Set((await sql<{ created_at: string }[]>`select created_at from drizzle.__drizzle_migrations`).map((r) => Number(r.created_at))) : new Set<number>();
  return readJournal(folder).map((e) => ({ tag: e.tag, when: e.when, applied: applied.has(e.when) }));
}

/**
 * Applies pending migrations under a session advisory lock on a single dedicated connection, so two
 * runs (two deploys, a deploy and an operator) never interleave; the second waits, then finds
 * nothing to do. Refuses a legacy database unless it is being adopted.
 */
export async function runMigrations(
  url: string,
  options: { folder?: string; allowLegacy?: boolean; adoptLegacy?: boolean; adoption?: AdoptionOptions; log?: (m: string) => void } = {},
): Promise<{ applied: string[]; total: number; adoption?: AdoptionSummary }> {
  const folder = options.folder ?? MIGRATIONS_FOLDER;
  const { url: plain, ssl } = tlsFromUrl(url);
  const sql = postgres(plain, { max: 1, onnotice: () => {}, ...(ssl ? { ssl } : {}), connection: { application_name: 'flowlink-migrate' } });
  try {
    await sql`select pg_advisory_lock(${MIGRATION_LOCK_KEY})`;
    try {
      const legacy = await isLegacyDatabase(sql);
      // adoption builds the baseline schema itself and stamps it; the migrator then applies the rest
      const adoption = legacy && options.adoptLegacy ? await adoptLegacyDatabase(sql, { folder, log: options.log, ...options.adoption }) : undefined;
      if (legacy && !adoption && !options.allowLegacy) {
        throw new LegacyDatabaseError(
          'this database belongs to the legacy platform (it has alembic_version and no flowlink migration history). ' +
            'Plain migrations would create a second schema beside it. Run `flowlink db migrate --adopt-legacy` to take it over: ' +
            'its data is translated to the flow_id keys, legacy tables are archived, nothing is deleted.',
        );
      }
      const before = await migrationStatus(sql, folder);
      await migrate(drizzle(sql), { migrationsFolder: folder });
      const after = await migrationStatus(sql, folder);
      const appliedNow = after.filter((m) => m.applied && !before.find((b) => b.tag === m.tag)?.applied).map((m) => m.tag);
      for (const tag of appliedNow) options.log?.(`applied ${tag}`);
      await validateLinkKeys(sql, options.log);
      return { applied: appliedNow, total: after.length, ...(adoption ? { adoption } : {}) };
    } finally {
      await sql`select pg_advisory_unlock(${MIGRATION_LOCK_KEY})`.catch(() => {});
    }
  } finally {
    await sql.end({ timeout: 5 });
  }
}

/**
 * Validates the link keys migration 0002 adds NOT VALID, outside the migration transaction (its
 * scan then blocks no writer). A key whose rows differ from their parent (an adopted database) stays
 * NOT VALID, reported, without failing the migration; once a backfill or a repair made the rows
 * consistent, the next migrate (every deploy runs one) validates it and the integrity check can
 * trust it again.
 */
async function validateLinkKeys(sql: postgres.Sql, log?: (m: string) => void) {
  const pending = await sql<{ table: string; name: string }[]>`
    select conrelid::regclass::text as table, conname as name from pg_constraint
    where contype = 'f' and not convalidated and connamespace = 'public'::regnamespace and conname like '%\_link\_fkey'
    order by conname`;
  for (const key of pending) {
    try {
      await sql.unsafe(`alter table ${key.table} validate constraint "${key.name}"`);
      log?.(`validated ${key.name}`);
    } catch (err) {
      if ((err as { code?: string }).code !== '23503') throw err;
      log?.(`${key.name} stays NOT VALID: rows of ${key.table} still differ from their parent's master flow or tenant (see flowlink integrity)`);
    }
  }
}
