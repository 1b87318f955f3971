/**
 * The hot statements keep their shape and their plans now that they are written through Drizzle:
 * the statements that actually reach the server (postgres.js `debug` on a second client) are
 * checked for their set-based shape, then EXPLAINed (format json) on a few thousand rows after
 * ANALYZE, as the steps run them (flowlink_app, the tenant's row-level security applied), and their
 * plans must use the indexes the statements were written for.
 */
import { getTableConfig, type PgTable } from 'drizzle-orm/pg-core';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROLES, scope } from '../db/access.ts';
import { buildPlan } from '../db/backfill/plan.ts';
import { orm, type Sql } from '../db/client.ts';
import { runIntegrityCheck } from '../db/integrity/index.ts';
import { assets, rawImportRecords } from '../db/schema/index.ts';
import { linkChunk } from '../functions/link-records/link-records.ts';
import { linkRecords } from './support/whole-import.ts';
import { discoverChunk, finishDiscovery, planDiscovery } from '../functions/start-discovery/start-discovery.ts';
import { useTestDatabase } from './support/db.ts';
import { createMasterFlow, createTenant, type Tenant } from './support/fixtures.ts';

const database = useTestDatabase();

interface Sent {
  query: string;
  params: unknown[];
}

interface PlanNode {
  'Node Type': string;
  'Relation Name'?: string;
  'Index Name'?: string;
  'Index Cond'?: string;
  'Function Name'?: string;
  'Conflict Arbiter Indexes'?: string[];
  Operation?: string;
  Plans?: PlanNode[];
}

/** The indexes the statements were written for, as the schema names them. */
const keyOn = (table: PgTable, columns: string) =>
  getTableConfig(table)
    .uniqueConstraints.find((u) => u.columns.map((c) => c.name).join() === columns)!
    .getName()!;
const indexOn = (table: PgTable, columns: string) => getTableConfig(table).indexes.find((i) => i.config.columns.map((c) => (c as { name?: string }).name).join() === columns)!.config.name!;
const RAW_ROWS_KEY = keyOn(rawImportRecords, 'data_import_id,row_number');
const RAW_FLOW_INDEX = indexOn(rawImportRecords, 'master_flow_id');
const ASSET_KEY = keyOn(assets, 'raw_import_record_id');

/** Many imports beside the two the tests work on, as in a real database: a flow's rows are few of them. */
const ROWS = { linked: 2000, other: 60, others: 100, small: 400, skips: 2000 };

let recorder: Sql;
const sent: Sent[] = [];
let tenant: Tenant;
/** An import linked chunk by chunk in the test; four more stored beside it; a small one discovered. */
const ids = { big: '', bigFlow: '', small: '', smallFlow: '', discoveryFlowId: '' };

/** Every statement the recording client sends from now on. */
async function recorded(work: () => Promise<unknown>): Promise<Sent[]> {
  sent.length = 0;
  await work();
  return [...sent];
}

/**
 * EXPLAIN (format json) of a statement as it was sent, with its parameters: every node of the plan.
 * By default as the steps run it, as flowlink_app for the tenant: the plan with the tenant policies.
 */
async function planOf(statement: Sent, client?: postgres.Sql | postgres.TransactionSql): Promise<PlanNode[]> {
  const explain = (c: postgres.Sql | postgres.TransactionSql) => c.unsafe(`explain (format json) ${statement.query}`, statement.params as never[]);
  const [row] = client
    ? await explain(client)
    : await database.current.sql.begin(async (tx) => {
        await scope(tx, tenant, ROLES.app);
        return explain(tx);
      });
  const nodes: PlanNode[] = [];
  const walk = (n: PlanNode) => {
    nodes.push(n);
    n.Plans?.forEach(walk);
  };
  walk((row!['QUERY PLAN'] as [{ Plan: PlanNode }])[0].Plan);
  return nodes;
}

const seqScansOf = (nodes: PlanNode[], table: string) => nodes.filter((n) => n['Node Type'] === 'Seq Scan' && n['Relation Name'] === table);

/** `imports` stored imports of `rows` raw records each, written set-based; their ids. */
async function storedImports(sql: Sql, imports: number, rows: number, name: string): Promise<string[]> {
  const made = await sql<{ id: string }[]>`
    insert into data_imports (client_account_id, engagement_id, import_name, filename, status, total_records)
    select ${tenant.clientAccountId}, ${tenant.engagementId}, ${name} || n, ${name}, 'stored', ${rows} from generate_series(1, ${imports}) n
    returning id`;
  await sql`
    insert into raw_import_records (data_import_id, client_account_id, engagement_id, row_number, raw_data)
    select i, ${tenant.clientAccountId}, ${tenant.engagementId}, g,
           jsonb_build_object('hostname', 'srv-' || g, 'ip_address', '10.0.' || (g % 250) || '.' || (g % 200),
                              'os', 'Linux', 'cpu', (g % 32)::text, 'notes', repeat('x', 200))
    from unnest(${made.map((m) => m.id)}::uuid[]) i, generate_series(1, ${rows}) g`;
  return made.map((m) => m.id);
}

beforeAll(async () => {
  const { sql, url } = database.current;
  tenant = await createTenant(sql);
  [ids.big] = await storedImports(sql, 1, ROWS.linked, 'big.csv');
  ids.bigFlow = await createMasterFlow(sql, tenant);
  await storedImports(sql, ROWS.others, ROWS.other, 'other.csv');
  [ids.small] = await storedImports(sql, 1, ROWS.small, 'small.csv');
  ids.smallFlow = await createMasterFlow(sql, tenant);
  await sql`analyze`;
  recorder = postgres(url, {
    max: 1,
    onnotice: () => {},
    debug: (_connection: number, query: string, params: unknown[]) => void sent.push({ query, params }),
  });
  orm(recorder); // Drizzle's serializers on this client, as connect() sets them
});

afterAll(async () => {
  await recorder?.end({ timeout: 5 });
});

describe('hot statements: the same SQL reaches the server and keeps its plan', () => {
  it("LinkRecords: one UPDATE per chunk over a bounded row_number range of the tenant's import, on the (data_import_id, row_number) index", async () => {
    const input = { ...tenant, dataImportId: ids.big, flowId: ids.bigFlow, chunkRows: 200, chunks: ROWS.linked / 200 };
    const statements = await recorded(async () => {
      await linkChunk(recorder, { ...input, fromRow: 1, chunk: 0 });
      await linkChunk(recorder, { ...input, fromRow: 201, chunk: 1 });
    });
    const updates = statements.filter((s) => /^\s*update\s+"?raw_import_records"?/i.test(s.query));
    expect(updates).toHaveLength(2);
    for (const [i, u] of updates.entries()) {
      expect(u.query).toMatch(/"raw_import_records"\."row_number" between \$\d+ and \$\d+/);
      expect(u.query).toMatch(/"raw_import_records"\."data_import_id" = \$\d+/);
      expect(u.query).toMatch(/"raw_import_records"\."client_account_id" = \$\d+/);
      expect(u.query).toMatch(/"raw_import_records"\."engagement_id" = \$\d+/);
      expect(u.query).toMatch(/"raw_import_records"\."master_flow_id" is distinct from \$\d+/);
      expect(u.params.map(String)).toEqual(expect.arrayContaining([ids.big, tenant.clientAccountId, tenant.engagementId, String(1 + 200 * i), String(200 * (i + 1))]));
    }

    const plan = await planOf(updates[0]!);
    expect(seqScansOf(plan, 'raw_import_records')).toEqual([]);
    const onKey = plan.filter((n) => n['Index Name'] === RAW_ROWS_KEY);
    expect(onKey.length).toBeGreaterThan(0);
    // the range bounds the index scan itself, not a filter over all the import's rows
    expect(onKey.some((n) => /row_number >= .*row_number <= /.test(n['Index Cond'] ?? ''))).toBe(true);
  });

  it('discovery: a first run COPYs each page; a re-run sends one INSERT … SELECT FROM jsonb_to_recordset … ON CONFLICT per page, arbitrated by the raw record key', async () => {
    const input = { ...tenant, dataImportId: ids.small, flowId: ids.smallFlow };
    await linkRecords(database.current.sql, { ...input, rowCount: ROWS.small });
    const { discoveryFlowId } = await planDiscovery(database.current.sql, input);
    ids.discoveryFlowId = discoveryFlowId;
    const chunk = { ...input, discoveryFlowId, fromRow: 1, chunkRows: ROWS.small, chunk: 0, chunks: 1 };
    const first = await recorded(() => discoverChunk(recorder, chunk, { batchSize: 100 }));
    const copies = first.filter((s) => /^\s*copy\s+"?assets"?\s*\(/i.test(s.query));
    expect(copies).toHaveLength(ROWS.small / 100);
    expect(copies[0]!.query).toMatch(/from stdin$/);
    expect(first.filter((s) => /^\s*(insert|update|delete)/i.test(s.query) && /"?assets"?/.test(s.query.slice(0, 40)))).toEqual([]);

    const statements = await recorded(() => discoverChunk(recorder, chunk, { batchSize: 100 }));
    const writes = statements.filter((s) => /^\s*insert\s+into\s+"?assets"?/i.test(s.query));
    expect(writes).toHaveLength(ROWS.small / 100);
    for (const w of writes) {
      expect(w.query).toMatch(/from jsonb_to_recordset\(\$\d+::text::jsonb\)/);
      expect(w.query).toMatch(/on conflict \("raw_import_record_id"\) do update/);
      expect(w.params).toEqual(expect.arrayContaining([tenant.clientAccountId, tenant.engagementId, ids.smallFlow, discoveryFlowId]));
      // the page travels as one parameter: 100 records, not 100 statements
      const page = w.params.find((p) => typeof p === 'string' && p.startsWith('[')) as string;
      expect(JSON.parse(page)).toHaveLength(100);
    }
    expect(statements.filter((s) => /^\s*(insert|update|delete|copy)/i.test(s.query) && /"?assets"?/.test(s.query.slice(0, 40)))).toHaveLength(writes.length);

    const plan = await planOf(writes[0]!);
    expect(plan[0]).toMatchObject({ 'Node Type': 'ModifyTable', Operation: 'Insert', 'Relation Name': 'assets' });
    expect(plan[0]!['Conflict Arbiter Indexes']).toEqual([ASSET_KEY]);
    expect(plan.some((n) => n['Node Type'] === 'Function Scan' && n['Function Name'] === 'jsonb_to_recordset')).toBe(true);
    expect(plan.filter((n) => n['Relation Name'] === 'raw_import_records')).toEqual([]);
  });

  it("discovery: a skipped row's old asset is found by the raw record key, also when the assets' statistics predate the flow", async () => {
    const { sql } = database.current;
    // every 10th row has nothing to name an asset by: skipped
    const [dataImportId] = await storedImports(sql, 1, ROWS.skips, 'skips.csv');
    await sql`update raw_import_records set raw_data = '{"notes": "no identity"}' where data_import_id = ${dataImportId!} and row_number % 10 = 0`;
    const input = { ...tenant, dataImportId: dataImportId!, flowId: await createMasterFlow(sql, tenant) };
    await linkRecords(sql, { ...input, rowCount: ROWS.skips });
    const { discoveryFlowId } = await planDiscovery(sql, input);
    await sql`analyze assets`; // what the statistics know: none of this flow's assets
    const chunk = { ...input, discoveryFlowId, fromRow: 1, chunkRows: ROWS.skips, chunk: 0, chunks: 1 };
    const isDelete = (s: Sent) => /^\s*delete\s+from\s+"?assets"?/i.test(s.query.replace(/^\s*with[\s\S]*?\)\s*(?=delete)/i, ''));
    // a first run of a range finds no asset in it (under the range's lock): nothing to remove
    const first = await recorded(() => discoverChunk(recorder, chunk, { batchSize: 100 }));
    expect(first.filter(isDelete)).toEqual([]);

    // an asset an earlier run made from a row that is skipped now: the re-run removes it
    await sql`
      update assets set raw_import_record_id = (select id from raw_import_records where data_import_id = ${dataImportId!} and row_number = 1000)
      where raw_import_record_id = (select id from raw_import_records where data_import_id = ${dataImportId!} and row_number = 999)`;
    const again = await recorded(() => discoverChunk(recorder, chunk, { batchSize: 100 }));
    const [left] = await sql<{ assets: number; ofSkipped: number }[]>`
      select count(*)::int as assets, count(*) filter (where r.row_number % 10 = 0)::int as "ofSkipped"
      from assets a join raw_import_records r on r.id = a.raw_import_record_id where a.discovery_flow_id = ${discoveryFlowId}`;
    expect(left).toEqual({ assets: ROWS.skips * 0.9, ofSkipped: 0 });
    const deletes = again.filter(isDelete);
    expect(deletes).toHaveLength(ROWS.skips / 100);
    const plan = await planOf(deletes.at(-1)!);
    expect(seqScansOf(plan, 'assets')).toEqual([]);
    // not every asset of the flow read to find the page's few
    expect(plan.filter((n) => n['Relation Name'] === 'assets' && n['Index Name'] && n['Index Name'] !== ASSET_KEY && !/_pkey$/.test(n['Index Name']))).toEqual([]);
    expect(plan.some((n) => n['Index Name'] === ASSET_KEY)).toBe(true);
    // and the skip recorded on each raw record found by its own key, not among all the import's rows
    const marks = again.filter((s) => /^\s*update\s+"raw_import_records"\s+set\s+"validation_errors"/i.test(s.query));
    expect(marks).toHaveLength(ROWS.skips / 100);
    const markPlan = await planOf(marks.at(-1)!);
    expect(seqScansOf(markPlan, 'raw_import_records')).toEqual([]);
    // the import's key, if used, is bounded by the page's rows
    for (const n of markPlan.filter((n) => n['Index Name'] === RAW_ROWS_KEY)) expect(n['Index Cond']).toMatch(/row_number >= .*row_number <= /);
  });

  it("integrity counts: one aggregate pass per table; a flow's raw records read through its indexes", async () => {
    await finishDiscovery(database.current.sql, { ...tenant, dataImportId: ids.small, flowId: ids.smallFlow, discoveryFlowId: ids.discoveryFlowId });
    await database.current.sql`analyze`;
    const statements = await recorded(() => runIntegrityCheck(recorder, { flowId: ids.smallFlow, schema: false, deep: true }));
    const passes = statements.filter((s) => /^\s*select count\(\*\) as rows/i.test(s.query));
    const tablesCounted = passes.map((s) => /from\s+"([a-z_]+)"\s+c\b/.exec(s.query)?.[1] ?? 'master');
    expect(new Set(tablesCounted).size).toBe(tablesCounted.length);
    expect(tablesCounted).toEqual(expect.arrayContaining(['raw_import_records', 'assets', 'data_imports', 'discovery_flows', 'master']));
    const raw = passes[tablesCounted.indexOf('raw_import_records')]!;
    // every check of the table is a filter of the same pass
    expect(raw.query.match(/count\(\*\) filter \(where/g)!.length).toBeGreaterThan(1);
    expect(raw.params).toContain(ids.smallFlow);

    const plan = await planOf(raw);
    expect(seqScansOf(plan, 'raw_import_records')).toEqual([]);
    // the flow's records by their link, and its imports' unlinked records by their import
    expect(plan.map((n) => n['Index Name'])).toEqual(expect.arrayContaining([RAW_FLOW_INDEX, RAW_ROWS_KEY]));
  });

  it('backfill plan: the unlinked raw records counted per import in one grouped pass, never row by row', async () => {
    await recorder
      .begin(async (tx) => {
        const statements = await recorded(() => buildPlan(orm(tx)));
        const touching = statements.filter((s) => /"raw_import_records"/.test(s.query));
        expect(touching.length).toBeLessThanOrEqual(2);
        const records = statements.find((s) => /create temp table "bf_records" on commit drop as/i.test(s.query));
        expect(records).toBeDefined();
        expect(records!.query).toMatch(/group by/i);
        // EXPLAIN of its query (the work table exists now: the statement's SELECT is what runs)
        const select = { ...records!, query: records!.query.replace(/^[\s\S]*?on commit drop as/i, '') };
        const plan = await planOf(select, tx);
        const scans = plan.filter((n) => n['Relation Name'] === 'raw_import_records');
        expect(scans).toHaveLength(1);
        expect(plan.some((n) => /Aggregate/.test(n['Node Type']))).toBe(true);
        expect(plan.some((n) => n['Node Type'] === 'Nested Loop' && n.Plans?.some((c) => c['Relation Name'] === 'raw_import_records' && c['Node Type'] !== 'Seq Scan'))).toBe(false);
        throw new Rollback();
      })
      .catch((err) => {
        if (!(err instanceof Rollback)) throw err;
      });
  });
});

/** Leaves the backfill's transaction without committing anything. */
class Rollback extends Error {}
