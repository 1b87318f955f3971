import pg from 'pg';
import { afterAll, beforeAll } from 'vitest';
import { storeImport, type StoreImportResult } from '../../functions/store-import/store-import.ts';
import type { Sql } from '../../db/client.ts';
import { useTestDatabase } from '../support/db.ts';
import { createTenant, type Tenant } from '../support/fixtures.ts';
import { startLocalS3, type LocalS3 } from './s3-server.ts';

export interface ImportRow {
  row_number: number;
  raw_data: Record<string, unknown>;
}

/**
 * A test file's world for StoreImport: a fresh database, an s3rver, a node-postgres pool and a
 * tenant; `drop` uploads bytes under the tenant's prefix and runs storeImport on them.
 */
interface RunOptions {
  maxCellChars?: number;
  maxRejectedRowsPercent?: number;
}

export function useStoreImportWorld() {
  const database = useTestDatabase();
  const world = {} as {
    s3: LocalS3;
    pool: pg.Pool;
    tenant: Tenant;
    sql: Sql;
    drop(name: string, body: Buffer | string, options?: { contentType?: string } & RunOptions): Promise<{ key: string; etag: string; result: Promise<StoreImportResult> }>;
    run(key: string, etag?: string, options?: RunOptions): Promise<StoreImportResult>;
    rows(dataImportId: string): Promise<ImportRow[]>;
    importOf(key: string): Promise<Record<string, unknown> | undefined>;
    rawCountFor(key: string): Promise<number>;
  };
  beforeAll(async () => {
    world.sql = database.current.sql;
    world.s3 = await startLocalS3();
    world.pool = new pg.Pool({ connectionString: database.current.url, max: 4 });
    world.tenant = await createTenant(world.sql);
    const t = world.tenant;
    world.run = (key, etag, options = {}) =>
      storeImport({ s3: world.s3.s3, pool: world.pool, maxCellChars: options.maxCellChars }, { bucket: world.s3.bucket, key, etag, ...t, maxRejectedRowsPercent: options.maxRejectedRowsPercent });
    world.drop = async (name, body, options = {}) => {
      const key = `imports/${t.clientAccountId}/${t.engagementId}/${name}`;
      const { etag } = await world.s3.put(key, body, options.contentType);
      return { key, etag, result: world.run(key, etag, options) };
    };
    world.rows = async (id) => world.sql<ImportRow[]>`select row_number, raw_data from raw_import_records where data_import_id = ${id} order by row_number`;
    world.importOf = async (key) => {
      const [row] = await world.sql`select * from data_imports where s3_key = ${key}`;
      return row;
    };
    world.rawCountFor = async (key) => {
      const [row] = await world.sql<{ n: number }[]>`
        select count(*)::int as n from raw_import_records r join data_imports d on d.id = r.data_import_id where d.s3_key = ${key}`;
      return row!.n;
    };
  });
  afterAll(async () => {
    await world.pool?.end();
    await world.s3?.stop();
  });
  return world;
}

/** UTF-16 bytes with a byte order mark. */
export function utf16(text: string, endian: 'le' | 'be'): Buffer {
  const le = Buffer.from(text, 'utf16le');
  if (endian === 'le') return Buffer.concat([Buffer.from([0xff, 0xfe]), le]);
  const be = Buffer.from(le);
  be.swap16();
  return Buffer.concat([Buffer.from([0xfe, 0xff]), be]);
}
