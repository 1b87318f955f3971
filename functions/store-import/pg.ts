import { drizzle } from 'drizzle-orm/node-postgres';
import type pg from 'pg';
import { ROLES, SCOPE_SQL, scopeParams } from '../../db/access.ts';
import { driverError, type AnyDb } from '../../db/client.ts';
import type { Tenant } from '../../db/queries/sql.ts';
import * as schema from '../../db/schema/index.ts';

const ORMS = new WeakMap<pg.Pool | pg.PoolClient, AnyDb>();

/**
 * Drizzle over node-postgres, which StoreImport alone uses (for its COPY): over a pool, or over a
 * checked-out client, whose queries then run on that one connection inside whatever transaction it
 * holds. One instance per pool or client.
 */
export function pgOrm(client: pg.Pool | pg.PoolClient): AnyDb {
  let db = ORMS.get(client);
  if (!db) {
    db = drizzle(client, { schema });
    ORMS.set(client, db);
  }
  return db;
}

/**
 * One transaction on one connection of the pool as the app for the tenant (role and tenant set at
 * its start, db/access.ts), with Drizzle over it.
 */
export async function tenantTransactionOnPool<T>(pool: pg.Pool, tenant: Tenant, work: (db: AnyDb) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  // a connection lost while checked out is also an 'error' event on the client: unheard, it would
  // end the process; the statement in flight fails with it anyway
  const lost = () => {};
  client.on('error', lost);
  let broken = false;
  try {
    await client.query('begin');
    await client.query(SCOPE_SQL, scopeParams(tenant, ROLES.app));
    const result = await work(pgOrm(client));
    await client.query('commit');
    return result;
  } catch (err) {
    broken = await client.query('rollback').then(
      () => false,
      () => true,
    );
    throw driverError(err);
  } finally {
    client.off('error', lost);
    client.release(broken);
  }
}
