import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Readable } from 'node:stream';
import { readXlsx } from '../../functions/store-import/formats/xlsx.ts';
import { storeImport } from '../../functions/store-import/store-import.ts';
import { startFaultProxy, type FaultProxy } from '../support/fault-proxy.ts';
import { useStoreImportWorld } from './support.ts';

/**
 * A workbook is spooled to a temporary file; every path must remove it, including those where no
 * row was ever read. The temp folder is this file's own (TMPDIR), so other tests cannot disturb
 * the count.
 */
const world = useStoreImportWorld();
const WORKBOOK = readFileSync(join(import.meta.dirname, '..', 'fixtures', 'inventory', 'rvtools-vinfo.xlsx'));
const previousTmp = process.env.TMPDIR;
let temp: string;
let proxy: FaultProxy;
let proxied: pg.Pool;

beforeAll(async () => {
  temp = mkdtempSync(join(tmpdir(), 'flowlink-spool-test-'));
  process.env.TMPDIR = temp;
  proxy = await startFaultProxy(world.pool.options.connectionString!);
  proxied = new pg.Pool({ connectionString: proxy.url, max: 1 });
  proxied.on('error', () => {});
});
afterAll(async () => {
  process.env.TMPDIR = previousTmp;
  await proxied?.end();
  await proxy?.close();
});

const left = () => readdirSync(temp);

describe('workbook spool files', () => {
  it('are removed when the connection is lost while the workbook is opened, so that no row is ever read', async () => {
    const key = `imports/${world.tenant.clientAccountId}/${world.tenant.engagementId}/idle-loss.xlsx`;
    const { etag } = await world.s3.put(key, WORKBOOK);
    proxy.fired.length = 0;
    proxy.step = 'spool';
    // the import row is inserted and answered; 30 ms later, while S3 and the spool file are read, the connection drops
    proxy.arm({ step: 'spool', kind: 'mid-statement', match: /insert into "?data_imports"?/i });
    const err = await storeImport({ s3: world.s3.s3, pool: proxied }, { bucket: world.s3.bucket, key, etag, ...world.tenant }).catch((e) => e);
    expect(proxy.fired).toHaveLength(1);
    expect(err).toBeInstanceOf(Error);
    expect(left()).toEqual([]);
  });

  it('are removed when the connection is lost at the COPY', async () => {
    proxy.fired.length = 0;
    const key = `imports/${world.tenant.clientAccountId}/${world.tenant.engagementId}/lost.xlsx`;
    const { etag } = await world.s3.put(key, WORKBOOK);
    proxy.step = 'spool';
    proxy.arm({ step: 'spool', kind: 'before-statement', match: /^copy /i });
    const err = await storeImport({ s3: world.s3.s3, pool: proxied }, { bucket: world.s3.bucket, key, etag, ...world.tenant }).catch((e) => e);
    expect(proxy.fired).toHaveLength(1);
    expect((err as Error).message).toMatch(/Connection terminated/);
    expect(left()).toEqual([]);
  });

  it('are removed after a workbook without a header row, a broken archive, and a successful import', async () => {
    const { result: broken } = await world.drop('broken.xlsx', Buffer.concat([WORKBOOK.subarray(0, 200), Buffer.alloc(2000)]));
    await expect(broken).rejects.toMatchObject({ name: 'InvalidImportError' });
    expect(left()).toEqual([]);

    const { result: ok } = await world.drop('rvtools.xlsx', WORKBOOK);
    expect((await ok).rowCount).toBeGreaterThan(0);
    expect(left()).toEqual([]);
  });

  it('a row stream that is never started cannot clean up after itself (its finally never runs): close() does, and is safe twice', async () => {
    const table = await readXlsx(Readable.from([WORKBOOK]), { file: 'unread.xlsx' });
    await table.rows[Symbol.asyncIterator]().return?.(undefined);
    expect(left()).toHaveLength(1); // what StoreImport leaked when it failed before the first row
    await table.close!();
    await table.close!();
    expect(left()).toEqual([]);
  });
});
