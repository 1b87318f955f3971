import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import postgres from 'postgres';
import { connect, type DbHandle } from '../../db/client.ts';
import { freePort, startLocalPostgres } from '../../db/local-postgres.ts';
import { runMigrations } from '../../db/migrate.ts';
import { closeLambdaDatabase } from '../../functions/_shared/database.ts';
import { startLocalS3, type LocalS3 } from '../../workflows/local/s3.ts';
import { withDatabase } from '../support/urls.ts';

/**
 * A fresh migrated database for one benchmark: on DATABASE_URL's server when set, otherwise on an
 * embedded server in a temporary folder. `close()` drops it and stops what it started.
 */
export async function benchDatabase(label: string): Promise<DbHandle> {
  let serverUrl = process.env.DATABASE_URL;
  let stopServer = async () => {};
  if (!serverUrl) {
    const dir = mkdtempSync(join(tmpdir(), 'flowlink-bench-pg-'));
    chmodSync(dir, 0o755);
    const server = await startLocalPostgres({ dataDir: join(dir, 'data'), port: await freePort(), persistent: false });
    serverUrl = server.url;
    stopServer = async () => {
      await server.stop();
      rmSync(dir, { recursive: true, force: true });
    };
  }
  const name = `flowlink_bench_${label.replace(/\W/g, '_')}_${process.pid}`;
  const admin = postgres(serverUrl, { max: 1, onnotice: () => {} });
  await admin.unsafe(`drop database if exists ${name} with (force)`);
  await admin.unsafe(`create database ${name}`);
  const url = withDatabase(serverUrl, name);
  await runMigrations(url);
  const handle = connect(url, { max: 4, application: `flowlink-bench-${label}` });
  return {
    ...handle,
    close: async () => {
      await handle.close();
      await admin.unsafe(`drop database if exists ${name} with (force)`);
      await admin.end();
      await stopServer();
    },
  };
}

/** What the in-process workflow runs against: a scratch folder, a fresh migrated database, s3rver. */
export interface LocalStack {
  dir: string;
  db: DbHandle;
  s3: LocalS3;
}

/**
 * Runs `work` with a local stack; the in-process handlers find its database and S3 through the
 * environment, as Lambdas do. Afterwards the environment is restored and everything is removed.
 */
export async function withLocalStack<T>(label: string, work: (stack: LocalStack) => Promise<T>): Promise<T> {
  const dir = mkdtempSync(join(tmpdir(), `flowlink-bench-${label}-`));
  const db = await benchDatabase(label);
  const s3 = await startLocalS3(join(dir, 's3'));
  const saved = { DATABASE_URL: process.env.DATABASE_URL, S3_ENDPOINT: process.env.S3_ENDPOINT };
  process.env.DATABASE_URL = db.url;
  process.env.S3_ENDPOINT = s3.endpoint;
  try {
    return await work({ dir, db, s3 });
  } finally {
    await closeLambdaDatabase().catch(() => {});
    for (const [k, v] of Object.entries(saved))
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    await s3.stop().catch(() => {});
    await db.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Wall-clock seconds of `work`. */
export async function timed<T>(work: () => Promise<T>): Promise<{ seconds: number; result: T }> {
  const start = process.hrtime.bigint();
  const result = await work();
  return { seconds: Number(process.hrtime.bigint() - start) / 1e9, result };
}

/** True when this module is the process entry point (so a bench file can also be run by hand). */
export function isMain(metaUrl: string): boolean {
  return process.argv[1] !== undefined && new URL(metaUrl).pathname === process.argv[1];
}
