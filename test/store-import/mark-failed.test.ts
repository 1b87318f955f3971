import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NotFoundError, TenantError } from '../../workflows/step-errors.ts';
import { markImportFailed } from '../../db/queries/imports.ts';
import { jsonb, orm } from '../../db/client.ts';
import { pgOrm } from '../../functions/store-import/pg.ts';
import { useTestDatabase } from '../support/db.ts';
import { createMasterFlow, createTenant, type Tenant } from '../support/fixtures.ts';

const database = useTestDatabase();
let pool: pg.Pool;
let tenant: Tenant;
beforeAll(async () => {
  pool = new pg.Pool({ connectionString: database.current.url, max: 2 });
  tenant = await createTenant(database.current.sql);
});
afterAll(() => pool?.end());

const failure = { errorName: 'IntegrityViolationError', message: 'orphans found', details: { file: 'x.csv', row: 7 } };

async function storedImport(key: string, flowId: string | null = null) {
  const sql = database.current.sql;
  const [imp] = await sql<{ id: string }[]>`
    insert into data_imports (client_account_id, engagement_id, import_name, filename, s3_bucket, s3_key, s3_etag, status, master_flow_id)
    values (${tenant.clientAccountId}, ${tenant.engagementId}, 'x.csv', 'x.csv', 'imports', ${key}, 'etag-1', 'stored', ${flowId}) returning id`;
  await sql`insert into raw_import_records (data_import_id, client_account_id, engagement_id, master_flow_id, row_number, raw_data)
    values (${imp!.id}, ${tenant.clientAccountId}, ${tenant.engagementId}, ${flowId}, 1, ${jsonb({ a: '1' })})`;
  return imp!.id;
}

async function state(id: string) {
  const [row] = await database.current.sql`
    select d.status, d.error_message, d.error_details, jsonb_typeof(d.error_details) as details_type,
           f.flow_status, f.error_message as flow_error, f.error_details as flow_details,
           (select count(*)::int from raw_import_records r where r.data_import_id = d.id) as records
    from data_imports d left join crewai_flow_state_extensions f on f.flow_id = coalesce(d.master_flow_id, (d.error_details->>'flowId')::uuid)
    where d.id = ${id}`;
  return row!;
}

describe('markImportFailed', () => {
  it('marks an import and its master flow failed through postgres.js, and again changes nothing', async () => {
    const flowId = await createMasterFlow(database.current.sql, tenant);
    const id = await storedImport('a.csv', flowId);
    const out = await markImportFailed(orm(database.current.sql), { dataImportId: id, ...tenant }, failure);
    expect(out).toEqual({ dataImportId: id, flowId, marked: true });
    const first = await state(id);
    expect(first).toMatchObject({
      status: 'failed',
      error_message: 'orphans found',
      details_type: 'object',
      error_details: { errorName: 'IntegrityViolationError', file: 'x.csv', row: 7 },
      flow_status: 'failed',
      flow_error: 'orphans found',
      flow_details: { errorName: 'IntegrityViolationError', file: 'x.csv', row: 7 },
      records: 1,
    });
    await markImportFailed(orm(database.current.sql), { dataImportId: id, ...tenant }, failure);
    expect(await state(id)).toEqual(first);
  });

  it('marks a created but not yet linked master flow named by flowId, through node-postgres and by S3 identity', async () => {
    const flowId = await createMasterFlow(database.current.sql, tenant);
    const id = await storedImport('b.csv');
    const out = await markImportFailed(pgOrm(pool), { bucket: 'imports', key: 'b.csv', etag: 'etag-1', flowId, ...tenant }, failure);
    expect(out).toEqual({ dataImportId: id, flowId, marked: true });
    const [flow] = await database.current.sql`select flow_status, jsonb_typeof(error_details) as t from crewai_flow_state_extensions where flow_id = ${flowId}`;
    expect(flow).toEqual({ flow_status: 'failed', t: 'object' });
    expect(await state(id)).toMatchObject({ status: 'failed', records: 1 });
  });

  it('creates the failed import of an object that never got one, once', async () => {
    const target = { bucket: 'imports', key: 'imports/c/e/never.csv', versionId: 'v1', ...tenant };
    const a = await markImportFailed(pgOrm(pool), target, { errorName: 'InvalidImportError', message: 'never.csv: the file is empty (0 bytes)' });
    const b = await markImportFailed(orm(database.current.sql), target, { errorName: 'InvalidImportError', message: 'never.csv: the file is empty (0 bytes)' });
    expect(b).toEqual(a);
    const rows = await database.current.sql`select filename, status, s3_version_id, master_flow_id from data_imports where s3_key = ${target.key}`;
    expect(rows).toEqual([{ filename: 'never.csv', status: 'failed', s3_version_id: 'v1', master_flow_id: null }]);
  });

  it('never moves a completed import or a completed/cancelled master flow back, by id or by S3 identity (marked: false, rows untouched)', async () => {
    const sql = database.current.sql;
    for (const [importStatus, flowStatus] of [
      ['completed', 'completed'],
      ['processing', 'cancelled'],
      ['completed', 'running'],
    ] as const) {
      const flowId = await createMasterFlow(sql, tenant);
      const key = `final-${importStatus}-${flowStatus}.csv`;
      const id = await storedImport(key, flowId);
      await sql`update crewai_flow_state_extensions set flow_status = ${flowStatus} where flow_id = ${flowId}`;
      await sql`update data_imports set status = ${importStatus}, completed_at = now() where id = ${id}`;
      const rows = () => sql`select to_jsonb(d) as d, to_jsonb(f) as f from data_imports d join crewai_flow_state_extensions f on f.flow_id = d.master_flow_id where d.id = ${id}`;
      const before = await rows();
      const byId = await markImportFailed(orm(sql), { dataImportId: id, ...tenant }, failure);
      const byObject = await markImportFailed(pgOrm(pool), { bucket: 'imports', key, etag: 'etag-1', ...tenant }, failure);
      if (importStatus === 'completed') {
        expect(byId).toEqual({ dataImportId: id, flowId, marked: false });
        expect(byObject).toEqual({ dataImportId: id, flowId, marked: false });
        expect(await rows()).toEqual(before);
      } else {
        // the import may still fail; its cancelled flow stays cancelled
        expect(byId.marked).toBe(true);
        const [after] = await rows();
        expect(after!.d).toMatchObject({ status: 'failed' });
        expect(after!.f).toEqual(before[0]!.f);
      }
    }
  });

  it('stays within the tenant', async () => {
    const id = await storedImport('d.csv');
    const other = await createTenant(database.current.sql);
    await expect(markImportFailed(pgOrm(pool), { dataImportId: id, ...other }, failure)).rejects.toThrow(NotFoundError);
    await expect(markImportFailed(pgOrm(pool), { bucket: 'imports', key: 'd.csv', etag: 'etag-1', ...other }, failure)).rejects.toThrow(TenantError);
    expect(await state(id)).toMatchObject({ status: 'stored', error_message: null });
  });
});
