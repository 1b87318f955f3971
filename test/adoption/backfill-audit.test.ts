import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BackfillUndoError, runBackfill, undoBackfill } from '../../db/backfill/index.ts';
import { jsonb, type Sql } from '../../db/client.ts';
import { createTestDatabase, type TestDatabase } from '../support/db.ts';
import { createTenant, type Tenant } from '../support/fixtures.ts';

// The raw records' audit is one backfill_changes row per data import, with the record ids in
// row_ids: undo must restore exactly those records, never others of the same import.

let db: TestDatabase;
let sql: Sql;
let tenant: Tenant;

beforeAll(async () => {
  db = await createTestDatabase();
  sql = db.sql;
  tenant = await createTenant(sql);
});
afterAll(async () => {
  await db?.close();
});

async function flow(name: string): Promise<string> {
  const [row] = await sql<{ flow_id: string }[]>`
    insert into crewai_flow_state_extensions (client_account_id, engagement_id, flow_type, flow_name)
    values (${tenant.clientAccountId}, ${tenant.engagementId}, 'discovery', ${name}) returning flow_id`;
  return row!.flow_id;
}

async function dataImport(masterFlowId: string | null): Promise<string> {
  const [row] = await sql<{ id: string }[]>`
    insert into data_imports (client_account_id, engagement_id, master_flow_id, import_name, filename, status)
    values (${tenant.clientAccountId}, ${tenant.engagementId}, ${masterFlowId}, 'audit', 'a.csv', 'stored') returning id`;
  return row!.id;
}

async function records(importId: string, masterFlowId: string | null, rows: number[]): Promise<string[]> {
  const ids: string[] = [];
  for (const n of rows) {
    const [row] = await sql<{ id: string }[]>`
      insert into raw_import_records (data_import_id, client_account_id, engagement_id, master_flow_id, row_number, raw_data)
      values (${importId}, ${tenant.clientAccountId}, ${tenant.engagementId}, ${masterFlowId}, ${n}, ${jsonb({ n })}) returning id`;
    ids.push(row!.id);
  }
  return ids;
}

const masters = async (ids: string[]) =>
  (await sql<{ id: string; m: string | null }[]>`select id::text, master_flow_id::text as m from raw_import_records where id = any(${ids}::uuid[]) order by id`).map((r) => [r.id, r.m]);
const expected = (ids: string[], m: string | null) => [...ids].sort().map((i) => [i, m]);

/** An orphan import named by its flow, and an import already linked whose records are only partly linked. */
async function scenario() {
  await sql`delete from data_imports`;
  await sql`delete from crewai_flow_state_extensions`;
  const orphanImport = await dataImport(null);
  const orphanFlow = await sql<{ flow_id: string }[]>`
    insert into crewai_flow_state_extensions (client_account_id, engagement_id, flow_type, flow_name)
    values (${tenant.clientAccountId}, ${tenant.engagementId}, 'discovery', ${`Discovery Import ${orphanImport}`}) returning flow_id`;
  const linkedFlow = await flow('linked');
  const linkedImport = await dataImport(linkedFlow);
  return {
    orphanImport,
    orphanFlow: orphanFlow[0]!.flow_id,
    linkedImport,
    linkedFlow,
    orphanRecords: await records(orphanImport, null, [1, 2, 3]),
    nullRecords: await records(linkedImport, null, [1, 2]),
    alreadyLinked: await records(linkedImport, linkedFlow, [3]),
  };
}

describe('backfill audit of raw records, per data import', () => {
  it('records one audit row per import with exactly the records changed; undo restores exactly those', async () => {
    const s = await scenario();
    const applied = await runBackfill(sql, { apply: true });
    expect(applied.recordLinks.sort((a, b) => a.dataImportId.localeCompare(b.dataImportId))).toEqual(
      [
        { dataImportId: s.orphanImport, flowId: s.orphanFlow, records: 3 },
        { dataImportId: s.linkedImport, flowId: s.linkedFlow, records: 2 },
      ].sort((a, b) => a.dataImportId.localeCompare(b.dataImportId)),
    );
    const audit = await sql<{ table_name: string; row_id: string; ids: string[] | null; old: string | null; new: string }[]>`
      select table_name, row_id::text, array(select x::text from unnest(row_ids) x order by 1) as ids,
        old_master_flow_id::text as old, new_master_flow_id::text as new
      from backfill_changes where run_id = ${applied.runId} order by table_name, row_id`;
    expect(audit).toEqual([
      { table_name: 'data_imports', row_id: s.orphanImport, ids: [], old: null, new: s.orphanFlow },
      ...[
        { table_name: 'raw_import_records', row_id: s.orphanImport, ids: [...s.orphanRecords].sort(), old: null, new: s.orphanFlow },
        { table_name: 'raw_import_records', row_id: s.linkedImport, ids: [...s.nullRecords].sort(), old: null, new: s.linkedFlow },
      ].sort((a, b) => a.row_id.localeCompare(b.row_id)),
    ]);

    // a record stored and linked after the run (as LinkRecords would) is not the run's to undo
    const later = await records(s.linkedImport, s.linkedFlow, [4]);
    expect(await undoBackfill(sql, applied.runId!)).toEqual({ restored: 1 + 3 + 2, requarantined: 0 });
    expect(await masters(s.orphanRecords)).toEqual(expected(s.orphanRecords, null));
    expect(await masters(s.nullRecords)).toEqual(expected(s.nullRecords, null));
    expect(await masters([...s.alreadyLinked, ...later])).toEqual(expected([...s.alreadyLinked, ...later], s.linkedFlow));
    const [imp] = await sql`select master_flow_id from data_imports where id = ${s.orphanImport}`;
    expect(imp!.master_flow_id).toBeNull();
  });

  it("refuses to undo when one of the run's raw records changed since, and changes nothing", async () => {
    const s = await scenario();
    const applied = await runBackfill(sql, { apply: true });
    await sql`update raw_import_records set master_flow_id = null where id = ${s.nullRecords[1]!}`;
    const undo = undoBackfill(sql, applied.runId!);
    await expect(undo).rejects.toThrow(BackfillUndoError);
    await expect(undo).rejects.toThrow(/^1 raw_import_records rows of run .* were changed since/);
    expect(await masters(s.orphanRecords)).toEqual(expected(s.orphanRecords, s.orphanFlow));
    const [run] = await sql`select undone_at from backfill_runs where id = ${applied.runId}`;
    expect(run!.undone_at).toBeNull();
    // put back as the run left it, the undo goes through
    await sql`update raw_import_records set master_flow_id = ${s.linkedFlow} where id = ${s.nullRecords[1]!}`;
    expect(await undoBackfill(sql, applied.runId!)).toEqual({ restored: 6, requarantined: 0 });
  });

  it('still undoes a run audited one row per raw record (runs applied before the per-import audit)', async () => {
    const s = await scenario();
    // linked as such a run left them: records and import together (the link key is checked at commit)
    await sql.begin(async (tx) => {
      await tx`update raw_import_records set master_flow_id = ${s.orphanFlow} where data_import_id = ${s.orphanImport}`;
      await tx`update data_imports set master_flow_id = ${s.orphanFlow} where id = ${s.orphanImport}`;
    });
    const [run] = await sql<{ id: string }[]>`insert into backfill_runs (applied_at) values (now()) returning id`;
    await sql`insert into backfill_changes (run_id, table_name, row_id, client_account_id, engagement_id, new_master_flow_id, evidence)
      select ${run!.id}::uuid, 'raw_import_records', r.id, r.client_account_id, r.engagement_id, r.master_flow_id, 'import'
      from raw_import_records r where r.data_import_id = ${s.orphanImport}
      union all select ${run!.id}::uuid, 'data_imports', ${s.orphanImport}::uuid, ${tenant.clientAccountId}::uuid, ${tenant.engagementId}::uuid,
        ${s.orphanFlow}::uuid, 'flow_name'`;
    expect(await undoBackfill(sql, run!.id)).toEqual({ restored: 4, requarantined: 0 });
    expect(await masters(s.orphanRecords)).toEqual(expected(s.orphanRecords, null));
    expect(await masters(s.alreadyLinked)).toEqual(expected(s.alreadyLinked, s.linkedFlow));
  });
});
