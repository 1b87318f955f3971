import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type postgres from 'postgres';
import { MIGRATIONS_FOLDER, readJournal } from '../migrations-folder.ts';

/**
 * The migrations whose schema adoption builds by itself. Later migrations are applied by the
 * ordinary migrator once adoption has stamped these into the history. Pinned: adding a migration
 * never changes what adoption does.
 */
export const BASELINE_TAGS = ['0000_init', '0001_link_guards'] as const;

export interface BaselineStatements {
  types: string[];
  tables: { name: string; ddl: string }[];
  foreignKeys: { table: string; name: string; ddl: string }[];
  indexes: { name: string; ddl: string }[];
  /** 0001: the link-guard function and trigger. */
  guards: string[];
  /** Tables whose master_flow_id is NOT NULL in the target schema. */
  notNullMasterFlowTables: string[];
}

const NOT_NULL_MASTER = '"master_flow_id" uuid NOT NULL';

/**
 * The baseline migrations' statements, sorted into the order adoption runs them: types and
 * tables first (master_flow_id still nullable, so rows can be loaded and then repaired), foreign
 * keys later as NOT VALID + VALIDATE, indexes CONCURRENTLY after the data is in.
 */
export function baselineStatements(folder = MIGRATIONS_FOLDER): BaselineStatements {
  const out: BaselineStatements = { types: [], tables: [], foreignKeys: [], indexes: [], guards: [], notNullMasterFlowTables: [] };
  for (const tag of BASELINE_TAGS) {
    const statements = readFileSync(resolve(folder, `${tag}.sql`), 'utf8')
      .split('--> statement-breakpoint')
      .map((s) => s.trim())
      .filter(Boolean);
    for (const stmt of statements) {
      if (tag === '0001_link_guards') out.guards.push(stmt);
      else if (stmt.startsWith('CREATE TYPE')) out.types.push(stmt);
      else if (stmt.startsWith('CREATE TABLE')) {
        const name = /^CREATE TABLE "(\w+)"/.exec(stmt)![1]!;
        if (stmt.includes(NOT_NULL_MASTER)) out.notNullMasterFlowTables.push(name);
        out.tables.push({ name, ddl: stmt.replace(NOT_NULL_MASTER, '"master_flow_id" uuid') });
      } else if (/^ALTER TABLE "\w+" ADD CONSTRAINT "\w+" FOREIGN KEY/.test(stmt)) {
        const [, table, name] = /^ALTER TABLE "(\w+)" ADD CONSTRAINT "(\w+)"/.exec(stmt)!;
        out.foreignKeys.push({ table: table!, name: name!, ddl: stmt.replace(/;$/, '') + ' NOT VALID' });
      } else if (/^CREATE (UNIQUE )?INDEX "\w+"/.test(stmt)) {
        const name = /INDEX "(\w+)"/.exec(stmt)![1]!;
        out.indexes.push({ name, ddl: stmt.replace(/;$/, '').replace(/INDEX "/, 'INDEX CONCURRENTLY "') });
      } else throw new Error(`adoption does not know how to run this baseline statement of ${tag}: ${stmt.slice(0, 80)}`);
    }
  }
  return out;
}

/**
 * Records the baseline migrations as applied exactly as drizzle's migrator would have (sha256 of
 * the file, the journal's `when`), so plain `flowlink db migrate` continues from there.
 */
export async function stampBaseline(tx: postgres.TransactionSql | postgres.Sql, folder = MIGRATIONS_FOLDER) {
  const journal = readJournal(folder);
  await tx.unsafe('CREATE SCHEMA IF NOT EXISTS "drizzle"');
  await tx.unsafe(`CREATE TABLE IF NOT EXISTS "drizzle"."__drizzle_migrations" (
				id SERIAL PRIMARY KEY,
				hash text NOT NULL,
				created_at bigint
			)`);
  for (const tag of BASELINE_TAGS) {
    const entry = journal.find((e) => e.tag === tag);
    if (!entry) throw new Error(`baseline migration ${tag} is missing from the journal`);
    const hash = createHash('sha256')
      .update(readFileSync(resolve(folder, `${tag}.sql`)))
      .digest('hex');
    await tx.unsafe(
      `insert into "drizzle"."__drizzle_migrations" (hash, created_at)
       select $1, $2 where not exists (select 1 from "drizzle"."__drizzle_migrations" where created_at = $2)`,
      [hash, entry.when],
    );
  }
}
