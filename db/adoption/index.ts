import type postgres from 'postgres';
import { MIGRATIONS_FOLDER } from '../migrations-folder.ts';
import { baselineStatements, stampBaseline } from './baseline.ts';
import { ADOPTED_TABLES, classifyStatements, insertConverted, insertQuarantine, recordChangesStatements } from './convert.ts';

export { ADOPTED_TABLES, UNLINKED_REASON } from './convert.ts';

/** How long a transactional adoption step waits for a table lock before it gives up (rerun to retry). */
export const ADOPTION_LOCK_TIMEOUT = '30s';

/** Thrown by the failure injection of tests (`failAfterStep`): adoption stopped like a crash would. */
export class AdoptionInterrupted extends Error {
  override name = 'AdoptionInterrupted';
}

export interface AdoptionOptions {
  folder?: string;
  log?: (message: string) => void;
  /** Tests: stop with AdoptionInterrupted right after this step has been recorded. */
  failAfterStep?: string;
}

export interface AdoptionSummary {
  stepsRun: string[];
  stepsSkipped: number;
  adopted: Record<string, number>;
  quarantined: Record<string, number>;
  archivedTables: string[];
}

interface Step {
  name: string;
  /** false: the statements may not run in a transaction (CREATE INDEX CONCURRENTLY); they must be idempotent. */
  transactional: boolean;
  run(sql: postgres.Sql | postgres.TransactionSql): Promise<void>;
}

const exec = (statements: string[]) => async (sql: postgres.Sql | postgres.TransactionSql) => {
  for (const s of statements) await sql.unsafe(s);
};

/**
 * Moves every relation, routine and type of the public schema into legacy_archive: the legacy
 * tables themselves become the untouched archive (every row, every column), and public is free for
 * our schema. Extension members stay.
 */
async function archiveLegacy(sql: postgres.Sql | postgres.TransactionSql) {
  await sql.unsafe('create schema legacy_archive');
  const relations = await sql<{ name: string; kind: string }[]>`
    select c.relname as name, c.relkind as kind from pg_class c
    where c.relnamespace = 'public'::regnamespace and c.relkind in ('r', 'p', 'v', 'm', 'S', 'f')
      and not exists (select 1 from pg_depend d where d.objid = c.oid and d.deptype in ('e', 'a', 'i'))
    order by c.relname`;
  const keyword: Record<string, string> = { r: 'table', p: 'table', f: 'foreign table', v: 'view', m: 'materialized view', S: 'sequence' };
  for (const r of relations) await sql.unsafe(`alter ${keyword[r.kind]} public."${r.name}" set schema legacy_archive`);
  const routines = await sql<{ sig: string }[]>`
    select p.oid::regprocedure::text as sig from pg_proc p
    where p.pronamespace = 'public'::regnamespace and not exists (select 1 from pg_depend d where d.objid = p.oid and d.deptype = 'e')`;
  for (const r of routines) await sql.unsafe(`alter routine ${r.sig.startsWith('public.') ? r.sig : `public.${r.sig}`} set schema legacy_archive`);
  const types = await sql<{ name: string }[]>`
    select t.typname as name from pg_type t
    where t.typnamespace = 'public'::regnamespace and t.typtype in ('e', 'd') and not exists (select 1 from pg_depend d where d.objid = t.oid and d.deptype = 'e')`;
  for (const t of types) await sql.unsafe(`alter type public."${t.name}" set schema legacy_archive`);
}

/** An index left INVALID by a CREATE INDEX CONCURRENTLY that crashed is dropped, then built again. */
async function createIndexConcurrently(sql: postgres.Sql | postgres.TransactionSql, name: string, ddl: string) {
  const [existing] = await sql<{ valid: boolean }[]>`
    select i.indisvalid as valid from pg_index i join pg_class c on c.oid = i.indexrelid
    where c.relname = ${name} and c.relnamespace = 'public'::regnamespace`;
  if (existing?.valid) return;
  if (existing) await sql.unsafe(`drop index concurrently public."${name}"`);
  await sql.unsafe(ddl);
}

function adoptionSteps(folder: string): Step[] {
  const base = baselineStatements(folder);
  const tx = (name: string, run: Step['run']): Step => ({ name, transactional: true, run });
  const steps: Step[] = [
    tx('archive-legacy', archiveLegacy),
    tx('create-tables', exec([...base.types, ...base.tables.map((t) => t.ddl)])),
    tx('classify-rows', exec(classifyStatements())),
    tx('load-rows', exec([...ADOPTED_TABLES.map((t) => insertConverted(t)), ...ADOPTED_TABLES.map((t) => insertQuarantine(t))])),
    tx('record-value-changes', exec(recordChangesStatements())),
  ];
  // NOT NULL through a validated CHECK: SET NOT NULL then skips its full-table scan under ACCESS EXCLUSIVE
  for (const table of base.notNullMasterFlowTables) {
    // not `<table>_master_flow_id_not_null`: PostgreSQL 18 gives that name to the NOT NULL constraint itself
    const check = `flowlink_adoption_${table}_master_flow_id`;
    steps.push(
      tx(`not-null-check:${table}`, exec([`alter table public."${table}" add constraint "${check}" check ("master_flow_id" is not null) not valid`])),
      tx(`not-null-validate:${table}`, exec([`alter table public."${table}" validate constraint "${check}"`])),
      tx(`not-null-set:${table}`, exec([`alter table public."${table}" alter column "master_flow_id" set not null`, `alter table public."${table}" drop constraint "${check}"`])),
    );
  }
  steps.push(tx('foreign-keys-not-valid', exec(base.foreignKeys.map((f) => f.ddl))));
  for (const fk of base.foreignKeys) {
    steps.push(tx(`validate:${fk.name}`, exec([`alter table public."${fk.table}" validate constraint "${fk.name}"`])));
  }
  for (const ix of base.indexes) {
    steps.push({ name: `index:${ix.name}`, transactional: false, run: (sql) => createIndexConcurrently(sql, ix.name, ix.ddl) });
  }
  steps.push(tx('link-guards', exec(base.guards)));
  steps.push(tx('stamp-history', (sql) => stampBaseline(sql, folder)));
  return steps;
}

/**
 * Takes a legacy database over: a sequence of restartable steps, each recorded in
 * flowlink_adoption.steps when it finishes (in the same transaction where it can be), so running
 * it again after a crash resumes at the first unfinished step. The caller holds the migration
 * advisory lock. Ends with our baseline schema in public, identical to a fresh migrate, and the
 * baseline migrations stamped into drizzle's history.
 */
export async function adoptLegacyDatabase(sql: postgres.Sql, options: AdoptionOptions = {}): Promise<AdoptionSummary> {
  const folder = options.folder ?? MIGRATIONS_FOLDER;
  await sql.unsafe('create schema if not exists flowlink_adoption');
  await sql.unsafe('create table if not exists flowlink_adoption.steps (name text primary key, finished_at timestamptz not null default now())');
  const done = new Set((await sql<{ name: string }[]>`select name from flowlink_adoption.steps`).map((r) => r.name));
  const summary: AdoptionSummary = { stepsRun: [], stepsSkipped: 0, adopted: {}, quarantined: {}, archivedTables: [] };
  for (const step of adoptionSteps(folder)) {
    if (done.has(step.name)) {
      summary.stepsSkipped++;
      continue;
    }
    if (step.transactional) {
      await sql.begin(async (tx) => {
        // fail fast instead of queueing behind a long transaction (and blocking everyone queued after us); rerun to retry
        await tx.unsafe(`set local lock_timeout = '${ADOPTION_LOCK_TIMEOUT}'`);
        await step.run(tx);
        await tx`insert into flowlink_adoption.steps (name) values (${step.name})`;
      });
    } else {
      await step.run(sql);
      await sql`insert into flowlink_adoption.steps (name) values (${step.name}) on conflict do nothing`;
    }
    summary.stepsRun.push(step.name);
    options.log?.(`adoption: ${step.name}`);
    if (options.failAfterStep === step.name) throw new AdoptionInterrupted(`adoption interrupted after step ${step.name}`);
  }
  for (const table of ADOPTED_TABLES) {
    const [{ n }] = await sql<{ n: number }[]>`select count(*)::int as n from ${sql('public')}.${sql(table)}`;
    summary.adopted[table] = n;
  }
  for (const r of await sql<{ source_table: string; n: number }[]>`
      select source_table, count(*)::int as n from public.quarantined_rows where released_at is null group by 1 order by 1`) {
    summary.quarantined[r.source_table] = r.n;
  }
  summary.archivedTables = (
    await sql<{ t: string }[]>`
    select tablename as t from pg_tables where schemaname = 'legacy_archive' order by 1`
  ).map((r) => r.t);
  return summary;
}
