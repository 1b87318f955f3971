import { describe, expect, it } from 'vitest';
import { InvalidImportError, NotFoundError, TenantError } from '../../workflows/step-errors.ts';
import { storeImport } from '../../functions/store-import/store-import.ts';
import { createTenant } from '../support/fixtures.ts';
import { useStoreImportWorld } from './support.ts';

const world = useStoreImportWorld();

const inventory = (rows: number) => `hostname,ip,os\n${Array.from({ length: rows }, (_, i) => `srv-${i + 1},10.0.${i >> 8}.${i & 255},Linux`).join('\n')}\n`;

async function snapshot(key: string) {
  const imports = await world.sql`select * from data_imports where s3_key = ${key} order by id`;
  const [records] = await world.sql<{ n: number; max: number; newest: string }[]>`
    select count(*)::int as n, max(r.row_number) as max, max(r.created_at)::text as newest
    from raw_import_records r join data_imports d on d.id = r.data_import_id where d.s3_key = ${key}`;
  return { imports, records };
}

describe('StoreImport idempotency', () => {
  it('returns the existing import for the same object version and writes nothing', async () => {
    const { key, etag, result } = await world.drop('twice.csv', inventory(50));
    const first = await result;
    const before = await snapshot(key);
    const second = await world.run(key, etag);
    expect(second).toEqual({ dataImportId: first.dataImportId, rowCount: 50, rejectedCount: 0, reused: true });
    expect(await snapshot(key)).toEqual(before);
    expect(before.records).toMatchObject({ n: 50, max: 50 });
  });

  it('makes one import of two concurrent calls for the same object', async () => {
    // uploaded, not imported yet: both calls race for it
    const raceKey = `imports/${world.tenant.clientAccountId}/${world.tenant.engagementId}/race.csv`;
    const { etag: raceEtag } = await world.s3.put(raceKey, inventory(4000));
    const results = await Promise.all([world.run(raceKey, raceEtag), world.run(raceKey, raceEtag)]);
    expect(new Set(results.map((r) => r.dataImportId)).size).toBe(1);
    expect(results.map((r) => r.reused).sort()).toEqual([false, true]);
    expect(results.map((r) => r.rowCount)).toEqual([4000, 4000]);
    const { imports, records } = await snapshot(raceKey);
    expect(imports).toHaveLength(1);
    expect(records).toMatchObject({ n: 4000, max: 4000 });
  });

  it('leaves one failed import and no records when two concurrent calls meet a bad file', async () => {
    const { key, etag, result } = await world.drop('race-bad.csv', `${inventory(3000)}x,"y\n`);
    const outcomes = await Promise.allSettled([result, world.run(key, etag)]);
    expect(outcomes.map((o) => o.status)).toEqual(['rejected', 'rejected']);
    for (const o of outcomes) expect((o as PromiseRejectedResult).reason).toBeInstanceOf(InvalidImportError);
    const { imports, records } = await snapshot(key);
    expect(imports.map((i) => i.status)).toEqual(['failed']);
    expect(records.n).toBe(0);
  });

  it('refuses the same object for another tenant, and an unknown engagement, writing nothing', async () => {
    const { key, etag, result } = await world.drop('tenant.csv', inventory(3));
    await result;
    const other = await createTenant(world.sql);
    const s3 = world.s3.s3;
    await expect(storeImport({ s3, pool: world.pool }, { bucket: world.s3.bucket, key, etag, ...other })).rejects.toThrow(TenantError);
    const otherKey = `imports/${other.clientAccountId}/${world.tenant.engagementId}/mixed.csv`;
    await world.s3.put(otherKey, inventory(3));
    await expect(storeImport({ s3, pool: world.pool }, { bucket: world.s3.bucket, key: otherKey, clientAccountId: other.clientAccountId, engagementId: world.tenant.engagementId })).rejects.toThrow(
      /engagement .* does not exist/,
    );
    expect((await snapshot(otherKey)).imports).toHaveLength(0);
    expect((await snapshot(key)).imports).toHaveLength(1);
  });

  it('refuses an object that is missing or was overwritten since the event before it was stored (NotFoundError)', async () => {
    const key = `imports/${world.tenant.clientAccountId}/${world.tenant.engagementId}/moving.csv`;
    const { etag } = await world.s3.put(key, inventory(2));
    await world.s3.put(key, inventory(3));
    await expect(world.run(key, etag)).rejects.toThrow(NotFoundError);
    await expect(world.run(key, etag)).rejects.toThrow(/has changed since the event/);
    await expect(world.run(`${key}.missing`)).rejects.toThrow(/does not exist/);
  });

  it('finds the import of a version it stored without asking S3: overwritten or deleted since, it is reused, not refused', async () => {
    const { key, etag, result } = await world.drop('stored-then-moved.csv', inventory(2));
    const first = await result;
    await world.s3.put(key, inventory(3));
    expect(await world.run(key, etag)).toEqual({ ...first, reused: true });
    expect((await snapshot(key)).imports.map((i) => i.status)).toEqual(['stored']);
  });

  it("refuses a key outside the tenant's prefix (an execution started by hand with an edited tenant) with TenantError, writing nothing", async () => {
    const other = await createTenant(world.sql);
    const { key, etag } = await world.s3
      .put(`imports/${world.tenant.clientAccountId}/${world.tenant.engagementId}/hand.csv`, inventory(2))
      .then((r) => ({ ...r, key: `imports/${world.tenant.clientAccountId}/${world.tenant.engagementId}/hand.csv` }));
    for (const tenant of [other, { clientAccountId: world.tenant.clientAccountId, engagementId: other.engagementId }]) {
      await expect(storeImport({ s3: world.s3.s3, pool: world.pool }, { bucket: world.s3.bucket, key, etag, ...tenant })).rejects.toMatchObject({
        name: 'TenantError',
        message: expect.stringMatching(/hand\.csv is not under imports\//),
      });
    }
    await expect(storeImport({ s3: world.s3.s3, pool: world.pool }, { bucket: world.s3.bucket, key: 'hand.csv', etag, ...world.tenant })).rejects.toThrow(TenantError);
    expect((await snapshot(key)).imports).toHaveLength(0);
  });

  it('opens and closes its own pool when given a database URL', async () => {
    const key = `imports/${world.tenant.clientAccountId}/${world.tenant.engagementId}/url.csv`;
    const { etag } = await world.s3.put(key, inventory(5));
    const databaseUrl = world.pool.options.connectionString!;
    const out = await storeImport({ s3: world.s3.s3, databaseUrl }, { bucket: world.s3.bucket, key, etag, ...world.tenant });
    expect(out).toMatchObject({ rowCount: 5, reused: false });
  });
});
