import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import postgres from 'postgres';
import type { TestProject } from 'vitest/node';
import { freePort, startLocalPostgres } from '../../db/local-postgres.ts';
import { runMigrations } from '../../db/migrate.ts';
import { withDatabase } from './urls.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Server URL (maintenance database) the test files create their databases on. */
    pgServerUrl: string;
    /** A migrated database every test database is cloned from. */
    pgTemplate: string;
  }
}

/**
 * One PostgreSQL per test run: DATABASE_URL's server when set, otherwise an embedded one in a
 * temporary folder that is removed afterwards. Migrations run once, into a template database.
 */
export default async function setup(project: TestProject) {
  let serverUrl: string;
  let stop = async () => {};
  if (process.env.DATABASE_URL) {
    serverUrl = process.env.DATABASE_URL;
  } else {
    const dir = mkdtempSync(join(tmpdir(), 'flowlink-test-pg-'));
    chmodSync(dir, 0o755); // the server runs as the postgres user, not as us
    const server = await startLocalPostgres({ dataDir: join(dir, 'data'), port: await freePort(), persistent: false });
    serverUrl = server.url;
    stop = async () => {
      await server.stop();
      rmSync(dir, { recursive: true, force: true });
    };
  }
  const template = `flowlink_tpl_${process.pid}`;
  const admin = postgres(serverUrl, { max: 1, onnotice: () => {} });
  await admin.unsafe(`drop database if exists ${template}`);
  await admin.unsafe(`create database ${template}`);
  await runMigrations(withDatabase(serverUrl, template));
  const [{ server_version: version }] = await admin<{ server_version: string }[]>`show server_version`;
  console.log(`test PostgreSQL ${version} (${process.env.DATABASE_URL ? 'DATABASE_URL' : 'embedded'})`);
  project.provide('pgServerUrl', serverUrl);
  project.provide('pgTemplate', template);
  return async () => {
    await admin.unsafe(`drop database if exists ${template} with (force)`).catch(() => {});
    await admin.end();
    await stop();
  };
}
