import { drizzle } from 'drizzle-orm/node-postgres';
import type pg from 'pg';
import type { AnyDb } from '../../db/client.ts';
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
