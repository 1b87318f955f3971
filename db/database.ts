import postgres from 'postgres';
import { startLocalPostgres } from './local-postgres.ts';

export interface DatabaseTarget {
  url: string;
  /** 'env' when DATABASE_URL chose it, 'embedded' for the project's local server. */
  source: 'env' | 'embedded';
  stop(): Promise<void>;
}

const LOCAL_DATABASE = 'flowlink';

/**
 * DATABASE_URL when set; otherwise the embedded PostgreSQL in .flowlink/pgdata, started for the
 * duration of the command, with its `flowlink` database created on first use.
 */
export async function openDatabase(env: NodeJS.ProcessEnv = process.env): Promise<DatabaseTarget> {
  if (env.DATABASE_URL) return { url: env.DATABASE_URL, source: 'env', stop: async () => {} };
  const server = await startLocalPostgres();
  const admin = postgres(server.url, { max: 1, onnotice: () => {} });
  try {
    const [row] = await admin`select 1 as ok from pg_database where datname = ${LOCAL_DATABASE}`;
    if (!row) await admin.unsafe(`create database ${LOCAL_DATABASE}`);
  } finally {
    await admin.end();
  }
  return { url: server.url.replace(/\/postgres$/, `/${LOCAL_DATABASE}`), source: 'embedded', stop: server.stop };
}

/** The URL with its password masked, for messages. */
export function describeUrl(url: string): string {
  return url.replace(/:\/\/([^:@/]+):[^@]*@/, '://$1:***@');
}
