import { createServer } from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import { DatabaseStartError, freePort, startLocalPostgres } from '../db/local-postgres.ts';
import { migrationStatus, runMigrations } from '../db/migrate.ts';
import { readJournal } from '../db/migrations-folder.ts';
import { runFlowlink } from './support/cli.ts';
import { createTestDatabase, type TestDatabase } from './support/db.ts';

const opened: TestDatabase[] = [];
afterAll(async () => {
  for (const db of opened) await db.close();
});

async function emptyDatabase() {
  const db = await createTestDatabase({ migrated: false });
  opened.push(db);
  return db;
}

describe('flowlink db migrate', () => {
  it('applies every migration once when two runs start together, and nothing on a third run', async () => {
    const db = await emptyDatabase();
    const [a, b] = await Promise.all([runMigrations(db.url), runMigrations(db.url)]);
    const journal = readJournal();
    // the advisory lock serialises them: one applies everything, the other finds nothing to do
    expect([a.applied.length, b.applied.length].sort()).toEqual([0, journal.length]);
    const [{ n }] = await db.sql<{ n: number }[]>`select count(*)::int as n from drizzle.__drizzle_migrations`;
    expect(n).toBe(journal.length);
    expect((await runMigrations(db.url)).applied).toEqual([]);
    expect((await migrationStatus(db.sql)).every((m) => m.applied)).toBe(true);
  });

  it('validates a link key left NOT VALID once its rows agree, and keeps it NOT VALID (reported) while they do not', async () => {
    const db = await emptyDatabase();
    await runMigrations(db.url);
    const { sql } = db;
    const key = 'raw_import_records_data_import_link_fkey';
    const [{ def }] = await sql<{ def: string }[]>`select pg_get_constraintdef(oid) as def from pg_constraint where conname = ${key}`;
    await sql`insert into client_accounts (id, name, slug) values ('00000000-0000-4000-8000-000000000001', 'c', 'c')`;
    await sql`insert into engagements (id, client_account_id, name, slug) values ('00000000-0000-4000-8000-000000000002', '00000000-0000-4000-8000-000000000001', 'e', 'e')`;
    const tenant = sql`'00000000-0000-4000-8000-000000000001', '00000000-0000-4000-8000-000000000002'`;
    const [flow] = await sql<{ id: string }[]>`insert into crewai_flow_state_extensions (client_account_id, engagement_id, flow_type, flow_name)
      values (${tenant}, 'discovery', 'f') returning flow_id as id`;
    const [imp] = await sql<{ id: string }[]>`insert into data_imports (client_account_id, engagement_id, import_name, filename, status)
      values (${tenant}, 'i', 'i.csv', 'stored') returning id`;
    // as on an adopted database: a record already linked while its import is not
    await sql`alter table raw_import_records drop constraint ${sql(key)}`;
    await sql`insert into raw_import_records (data_import_id, client_account_id, engagement_id, master_flow_id, row_number, raw_data)
      values (${imp!.id}, ${tenant}, ${flow!.id}, 1, '{}')`;
    await sql.unsafe(`alter table raw_import_records add constraint ${key} ${def} not valid`);
    const validated = async () => (await sql<{ v: boolean }[]>`select convalidated as v from pg_constraint where conname = ${key}`)[0]!.v;

    const logged: string[] = [];
    await runMigrations(db.url, { log: (m) => logged.push(m) });
    expect(await validated()).toBe(false);
    expect(logged).toEqual([expect.stringMatching(new RegExp(`^${key} stays NOT VALID`))]);

    await sql`update data_imports set master_flow_id = ${flow!.id} where id = ${imp!.id}`;
    logged.length = 0;
    await runMigrations(db.url, { log: (m) => logged.push(m) });
    expect(await validated()).toBe(true);
    expect(logged).toEqual([`validated ${key}`]);
  });

  it('reports pending migrations with exit 1, then applies them and reports up to date with exit 0', async () => {
    const db = await emptyDatabase();
    const env = { DATABASE_URL: db.url };
    const before = await runFlowlink(['db', 'status', '--json'], env);
    expect(before.code).toBe(1);
    expect(JSON.parse(before.stdout)).toMatchObject({ pending: readJournal().length });
    const migrate = await runFlowlink(['db', 'migrate'], env);
    expect(migrate.code, migrate.stderr).toBe(0);
    expect(migrate.stdout).toMatch(/applied 0000_init/);
    const after = await runFlowlink(['db', 'status'], env);
    expect(after.code).toBe(0);
    expect(after.stdout).toMatch(/up to date/);
    expect(after.stdout).not.toMatch(/postgres:postgres@|:\/\/postgres@.*password/);
  });

  it('answers bad usage with exit 2', async () => {
    const bad = await runFlowlink(['db', 'migrat'], { DATABASE_URL: 'postgres://unused@127.0.0.1:1/x' });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/unknown command/);
  });
});

describe('the embedded PostgreSQL', () => {
  it('says clearly that its port is taken, and what to do', async () => {
    const port = await freePort();
    const squatter = createServer();
    await new Promise<void>((done) => squatter.listen(port, '127.0.0.1', done));
    try {
      const started = startLocalPostgres({ dataDir: '/nonexistent/never-created', port });
      await expect(started).rejects.toBeInstanceOf(DatabaseStartError);
      await expect(started).rejects.toThrow(new RegExp(`port ${port} on 127\\.0\\.0\\.1 is taken.*FLOWLINK_PG_PORT.*DATABASE_URL`));
    } finally {
      squatter.close();
    }
  });
});
