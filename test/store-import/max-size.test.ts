import type { S3Client } from '@aws-sdk/client-s3';
import { describe, expect, it } from 'vitest';
import { InvalidImportError } from '../../workflows/step-errors.ts';
import { maxObjectBytes } from '../../functions/store-import/handler.ts';
import { storeImport } from '../../functions/store-import/store-import.ts';
import { useStoreImportWorld } from './support.ts';

const world = useStoreImportWorld();

/** The real (s3rver) client, recording which commands StoreImport sends. */
function recording(s3: S3Client) {
  const sent: string[] = [];
  const client = { send: (command: { constructor: { name: string } }) => (sent.push(command.constructor.name), s3.send(command as never)) } as unknown as S3Client;
  return { client, sent };
}

describe('StoreImport: the largest object it accepts', () => {
  const csv = 'host,ip\nweb01,10.0.0.1\nweb02,10.0.0.2\n';
  const size = Buffer.byteLength(csv);

  it('refuses a larger object with a clear error before reading it, and records the import failed', async () => {
    const key = `imports/${world.tenant.clientAccountId}/${world.tenant.engagementId}/too-big.csv`;
    const { etag } = await world.s3.put(key, csv);
    const { client, sent } = recording(world.s3.s3);

    const attempt = storeImport({ s3: client, pool: world.pool, maxObjectBytes: size - 1 }, { bucket: world.s3.bucket, key, etag, ...world.tenant });

    await expect(attempt).rejects.toThrow(InvalidImportError);
    await expect(attempt).rejects.toThrow(`too-big.csv: the object is ${size} bytes, more than the ${size - 1} bytes StoreImport accepts (MAX_OBJECT_BYTES); split the file`);
    expect(sent).toEqual(['HeadObjectCommand']);
    const imported = await world.importOf(key);
    expect(imported).toMatchObject({ status: 'failed' });
    expect(imported!.error_details).toMatchObject({ errorName: 'InvalidImportError', file: 'too-big.csv', size, maxObjectBytes: size - 1 });
    expect(await world.rawCountFor(key)).toBe(0);
  });

  it('stores an object of exactly the limit', async () => {
    const key = `imports/${world.tenant.clientAccountId}/${world.tenant.engagementId}/just-fits.csv`;
    const { etag } = await world.s3.put(key, csv);
    const out = await storeImport({ s3: world.s3.s3, pool: world.pool, maxObjectBytes: size }, { bucket: world.s3.bucket, key, etag, ...world.tenant });
    expect(out).toMatchObject({ rowCount: 2, reused: false });
  });

  it('reads the limit from MAX_OBJECT_BYTES, refusing a value that is not a whole number of bytes', () => {
    expect(maxObjectBytes({ MAX_OBJECT_BYTES: '1073741824' })).toBe(1024 ** 3);
    expect(maxObjectBytes({})).toBeUndefined();
    expect(() => maxObjectBytes({ MAX_OBJECT_BYTES: '1GB' })).toThrow(/MAX_OBJECT_BYTES must be a positive whole number of bytes, not "1GB"/);
  });
});
