import { connect, type DbHandle } from '../db/client.ts';
import { openDatabase, type DatabaseTarget } from '../db/database.ts';

/**
 * Runs `work` against the selected database (DATABASE_URL or the embedded server) and always
 * closes the pool and stops the embedded server afterwards.
 */
export async function withDatabase<T>(work: (handle: DbHandle, target: DatabaseTarget) => Promise<T>): Promise<T> {
  const target = await openDatabase();
  const handle = connect(target.url, { application: 'flowlink-cli' });
  try {
    return await work(handle, target);
  } finally {
    await handle.close();
    await target.stop();
  }
}
