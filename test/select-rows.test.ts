/**
 * selectRows (db/queries/sql.ts) reads rows past Drizzle's per-row mapping: it must give exactly
 * what the builder's select of the same fields gives, and refuse a column the driver would return
 * differently (a timestamp: Drizzle's postgres.js driver reads it as text and maps it to a Date).
 */
import { asc, eq, sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { orm } from '../db/client.ts';
import { selectRows } from '../db/queries/sql.ts';
import { dataImports, rawImportRecords } from '../db/schema/index.ts';
import { useTestDatabase } from './support/db.ts';
import { createTenant } from './support/fixtures.ts';

const database = useTestDatabase();

describe('selectRows', () => {
  it('returns what the builder returns for text, uuid, integer, double and boolean columns, nulls included', async () => {
    const { sql: pg } = database.current;
    const tenant = await createTenant(pg);
    const [imp] = await pg<{ id: string }[]>`
      insert into data_imports (client_account_id, engagement_id, import_name, filename, status, total_records, progress_percentage)
      values (${tenant.clientAccountId}, ${tenant.engagementId}, 'a', 'a.csv', 'stored', null, 37.5) returning id`;
    await pg`
      insert into raw_import_records (data_import_id, client_account_id, engagement_id, row_number, raw_data, is_valid)
      values (${imp!.id}, ${tenant.clientAccountId}, ${tenant.engagementId}, 1, '{}', true),
             (${imp!.id}, ${tenant.clientAccountId}, ${tenant.engagementId}, 2, '{}', null)`;
    const db = orm(pg);
    const fields = {
      id: rawImportRecords.id,
      rowNumber: rawImportRecords.rowNumber,
      isValid: rawImportRecords.isValid,
      filename: dataImports.filename,
      totalRecords: dataImports.totalRecords,
      progressPercentage: dataImports.progressPercentage,
      label: sql<string>`upper(${dataImports.importName})`,
    };
    const on = eq(dataImports.id, rawImportRecords.dataImportId);
    const where = eq(rawImportRecords.dataImportId, imp!.id);
    const built = await db.select(fields).from(rawImportRecords).innerJoin(dataImports, on).where(where).orderBy(asc(rawImportRecords.rowNumber));
    const read = await selectRows(db, fields, sql`from ${rawImportRecords} join ${dataImports} on ${on} where ${where} order by ${rawImportRecords.rowNumber}`);
    expect(read).toEqual(built);
    expect(read.map((r) => [r.rowNumber, r.isValid, r.totalRecords, r.progressPercentage, r.label])).toEqual([
      [1, true, null, 37.5, 'A'],
      [2, null, null, 37.5, 'A'],
    ]);
  });

  it('refuses a column the driver returns otherwise than Drizzle maps it', async () => {
    const db = orm(database.current.sql);
    await expect(selectRows(db, { createdAt: dataImports.createdAt }, sql`from ${dataImports}`)).rejects.toThrow(/created_at is PgTimestamp/);
  });
});
