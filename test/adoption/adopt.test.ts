import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADOPTED_TABLES } from '../../db/adoption/index.ts';
import { LegacyDatabaseError, migrationStatus, runMigrations } from '../../db/migrate.ts';
import { dumpPublicSchema } from '../support/catalog.ts';
import { createTestDatabase, useTestDatabase, type TestDatabase } from '../support/db.ts';
import { buildLegacyDatabase, flowId, id, legacyRowIds, masterId } from '../support/legacy.ts';

const fresh = useTestDatabase();
let legacy: TestDatabase;
let before: Record<string, string[]>;

beforeAll(async () => {
  legacy = await createTestDatabase({ migrated: false });
  await buildLegacyDatabase(legacy.sql, 'pre-fix');
  before = await legacyRowIds(legacy.sql);
  await runMigrations(legacy.url, { adoptLegacy: true });
});
afterAll(async () => {
  await legacy?.close();
});

const q = (db: TestDatabase, text: string) => db.sql.unsafe(text) as Promise<Record<string, unknown>[]>;

describe('adopting a legacy database (pre-fix)', () => {
  it('ends with exactly the schema of a fresh migrate', async () => {
    expect(await dumpPublicSchema(legacy.sql)).toEqual(await dumpPublicSchema(fresh.current.sql));
  });

  it('stamps the migration history so plain migrate has nothing left to do', async () => {
    expect((await migrationStatus(legacy.sql)).every((m) => m.applied)).toBe(true);
    const [a, b] = await Promise.all([
      q(legacy, 'select hash, created_at from drizzle.__drizzle_migrations order by id'),
      q(fresh.current, 'select hash, created_at from drizzle.__drizzle_migrations order by id'),
    ]);
    expect(a).toEqual(b);
    expect((await runMigrations(legacy.url)).applied).toEqual([]);
  });

  it('keeps every legacy row: live or quarantined for the adopted tables, all of them in the archive', async () => {
    const archived = await legacyRowIds(legacy.sql, 'legacy_archive');
    expect(Object.fromEntries(Object.keys(before).map((t) => [t, archived[t]]))).toEqual(before);
    for (const table of ADOPTED_TABLES) {
      const live =
        table === 'crewai_flow_state_extensions'
          ? `exists (select 1 from public.crewai_flow_state_extensions n where n.flow_id = a.flow_id)`
          : `exists (select 1 from public.${table} n where n.id = a.id)`;
      const rows = await q(
        legacy,
        `select a.id::text as id, ${live} as live,
          (select count(*)::int from public.quarantined_rows r where r.source_table = '${table}' and r.row_id = a.id::text) as quarantined
        from legacy_archive.${table} a`,
      );
      for (const r of rows) expect([r.live, r.quarantined], `${table} ${r.id}`).toSatisfy(([l, n]) => (l ? n === 0 : n === 1));
    }
  });

  it('translates wrong-key values to flow_id and records the change', async () => {
    const [imp] = await q(legacy, `select master_flow_id::text as m, status::text as s from data_imports where id = '${id('imp:ok')}'`);
    expect(imp).toEqual({ m: flowId('ok'), s: 'completed' });
    const [raw] = await q(legacy, `select master_flow_id::text as m from raw_import_records where id = '${id('raw:ok-1')}'`);
    expect(raw!.m).toBe(flowId('ok'));
    const [df] = await q(legacy, `select master_flow_id::text as m from discovery_flows where id = '${id('df:ok')}'`);
    expect(df!.m).toBe(flowId('ok'));
    const changes = await q(
      legacy,
      `select table_name, row_id::text, legacy_value, new_value, reason from legacy_archive.adoption_changes
      where column_name = 'master_flow_id' and row_id = '${id('asset:direct')}'`,
    );
    expect(changes).toEqual([
      { table_name: 'assets', row_id: id('asset:direct'), legacy_value: masterId('ok'), new_value: flowId('ok'), reason: 'wrong key: legacy technical id translated to flow_id' },
    ]);
    const [mapping] = await q(legacy, `select id::text, flow_id::text from legacy_archive.crewai_flow_state_extensions where id = '${masterId('ok')}'`);
    expect(mapping).toEqual({ id: masterId('ok'), flow_id: flowId('ok') });
  });

  it('quarantines exactly the rows that cannot satisfy the new constraints, with their reason and full row', async () => {
    const rows = await q(legacy, `select source_table, row_id, reason, original_row from quarantined_rows order by source_table, row_id`);
    const got = Object.fromEntries(rows.map((r) => [`${r.source_table}:${r.row_id}`, r.reason]));
    expect(got).toEqual({
      [`crewai_flow_state_extensions:${masterId('unknown-type')}`]: `invalid: unknown flow_type 'legacy_magic'`,
      [`crewai_flow_state_extensions:${masterId('bad-engagement')}`]: `invalid: engagement ${id('eng:demo')} does not belong to client account ${id('client:acme')}`,
      [`data_imports:${id('imp:mismatch')}`]: `invalid: engagement ${id('eng:demo')} does not belong to client account ${id('client:acme')}`,
      [`raw_import_records:${id('raw:mismatch-1')}`]: `parent quarantined: data import ${id('imp:mismatch')}`,
      [`raw_import_records:${id('raw:ok-0')}`]: 'invalid: row_number 0 is below 1',
      [`raw_import_records:${id('raw:ok-1-dup')}`]: `duplicate: row 1 of data import ${id('imp:ok')} is raw record ${id('raw:ok-1')}`,
      [`import_field_mappings:${id('fm:mismatch')}`]: `parent quarantined: data import ${id('imp:mismatch')}`,
      [`import_field_mappings:${id('fm:ok-conf')}`]: 'invalid: confidence_score 85 is outside 0..1',
      [`import_field_mappings:${id('fm:ok-dup')}`]: `duplicate: source_field 'host' of data import ${id('imp:ok')} is mapping ${id('fm:ok')}`,
      [`import_field_mappings:${id('fm:config')}`]: 'unlinked: master_flow_id is NULL',
      [`import_field_mappings:${id('fm:tie')}`]: 'unlinked: master_flow_id is NULL',
      [`discovery_flows:${id('df:dangling')}`]: `unlinked: master_flow_id ${id('nothing')} matches no master flow`,
      [`discovery_flows:${id('df:null-import')}`]: 'unlinked: master_flow_id is NULL',
      [`discovery_flows:${id('df:same-flow')}`]: 'unlinked: master_flow_id is NULL',
      [`discovery_flows:${id('df:to-quarantined-master')}`]: `unlinked: master_flow_id ${masterId('unknown-type')} matches no master flow`,
      [`discovery_flows:${id('df:df-dup')}`]: `duplicate: master flow ${flowId('df')} already has discovery flow ${id('df:df')}`,
      [`assets:${id('asset:via-df')}`]: 'unlinked: master_flow_id is NULL',
      [`assets:${id('asset:prox')}`]: 'unlinked: master_flow_id is NULL',
      [`assets:${id('asset:tie')}`]: 'unlinked: master_flow_id is NULL',
      [`assets:${id('asset:none')}`]: 'unlinked: master_flow_id is NULL',
    });
    const dup = rows.find((r) => r.row_id === id('raw:ok-1-dup'))!;
    expect(dup.original_row).toMatchObject({ id: id('raw:ok-1-dup'), row_number: 1, master_flow_id: masterId('ok'), raw_data: { hostname: 'ok-1-dup' } });
  });

  it('keeps every value that has a place: renames, enum mappings, tenants', async () => {
    const [imp] = await q(legacy, `select filename, file_size::int, mime_type, imported_by::text from data_imports where id = '${id('imp:config')}'`);
    expect(imp).toEqual({ filename: 'config.csv', file_size: 1234, mime_type: 'text/csv', imported_by: id('user:ann') });
    const statuses = await q(
      legacy,
      `select id::text, status::text, error_message from data_imports where id in
      ('${id('imp:config')}', '${id('imp:prox')}', '${id('imp:weird-status')}', '${id('imp:failed')}', '${id('imp:demo')}') order by import_name`,
    );
    expect(Object.fromEntries(statuses.map((s) => [s.id, [s.status, s.error_message]]))).toEqual({
      [id('imp:config')]: ['stored', null], // completed but unlinked
      [id('imp:prox')]: ['stored', null],
      [id('imp:weird-status')]: ['stored', null], // unknown: documented default
      [id('imp:failed')]: ['failed', 'failed before adoption; the legacy platform recorded no error message'],
      [id('imp:demo')]: ['pending', null],
    });
    const [fm] = await q(legacy, `select match_type::text, confidence, transformation_rules from import_field_mappings where id = '${id('fm:ok')}'`);
    expect(fm).toEqual({ match_type: 'exact', confidence: 0.9, transformation_rules: { trim: true } });
    const [magic] = await q(legacy, `select match_type::text, confidence, engagement_id::text from import_field_mappings where id = '${id('fm:ok-magic')}'`);
    expect(magic).toEqual({ match_type: 'fuzzy', confidence: 1, engagement_id: id('eng:acme') });
    const assets = await q(legacy, `select name, asset_type::text, asset_type_reason, raw_import_record_id::text, discovery_flow_id::text from assets order by name`);
    expect(assets).toEqual([
      { name: 'demo', asset_type: 'server', asset_type_reason: null, raw_import_record_id: null, discovery_flow_id: null },
      { name: 'direct', asset_type: 'server', asset_type_reason: `legacy asset_type 'Server' mapped to server`, raw_import_record_id: id('raw:ok-1'), discovery_flow_id: null },
      { name: 'toaster', asset_type: null, asset_type_reason: `legacy asset_type 'toaster' is not in the asset model`, raw_import_record_id: null, discovery_flow_id: null },
      { name: 'vm', asset_type: 'server', asset_type_reason: `legacy asset_type 'vm' mapped to server`, raw_import_record_id: null, discovery_flow_id: null },
    ]);
    const flows = await q(
      legacy,
      `select flow_id::text, flow_type::text, flow_status::text, flow_configuration from crewai_flow_state_extensions
      where flow_id in ('${flowId('casefold')}', '${flowId('array-config')}') order by flow_name`,
    );
    expect(flows).toEqual([
      { flow_id: flowId('array-config'), flow_type: 'discovery', flow_status: 'pending', flow_configuration: { legacy_value: ['not', 'an', 'object'] } },
      { flow_id: flowId('casefold'), flow_type: 'discovery', flow_status: 'pending', flow_configuration: {} },
    ]);
    const [ghost] = await q(legacy, `select data_import_id, status::text from discovery_flows where id = '${id('df:ghost-import')}'`);
    expect(ghost).toEqual({ data_import_id: null, status: 'pending' });
    const tenants = await q(legacy, `select slug from client_accounts order by slug`);
    expect(tenants.map((t) => t.slug)).toEqual(['acme', 'demo']);
    const raw = await q(legacy, `select client_account_id::text, engagement_id::text from raw_import_records where id = '${id('raw:ok-2')}'`);
    expect(raw).toEqual([{ client_account_id: id('client:acme'), engagement_id: id('eng:acme') }]);
  });

  it('moves the v3, session and deprecated tables out of public with their rows', async () => {
    const archived = await q(legacy, `select tablename from pg_tables where schemaname = 'legacy_archive' order by 1`);
    expect(archived.map((r) => r.tablename)).toEqual(
      expect.arrayContaining([
        'alembic_version',
        'data_import_sessions',
        'v3_data_imports',
        'v3_raw_import_records',
        'v3_discovery_flows',
        'v3_field_mappings',
        'workflow_states',
        'discovery_assets',
        'mapping_learning_patterns',
        'data_quality_issues',
        'workflow_progress',
        'import_processing_steps',
      ]),
    );
    const [{ n }] = (await q(legacy, `select count(*)::int as n from legacy_archive.v3_raw_import_records`)) as [{ n: number }];
    expect(n).toBe(1);
  });
});

describe('plain migrate on a legacy database', () => {
  it('refuses with a message that explains --adopt-legacy', async () => {
    const db = await createTestDatabase({ migrated: false });
    try {
      await buildLegacyDatabase(db.sql);
      const err = await runMigrations(db.url).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(LegacyDatabaseError);
      expect((err as Error).message).toMatch(/--adopt-legacy/);
      const [row] = await q(db, `select to_regclass('drizzle.__drizzle_migrations') is null as none`);
      expect(row!.none).toBe(true);
    } finally {
      await db.close();
    }
  });
});

/** The adopted data, comparable across databases: live rows of every adopted table and the quarantine index. */
async function adoptedData(db: TestDatabase) {
  const out: Record<string, unknown> = {};
  for (const table of ADOPTED_TABLES) {
    const key = table === 'crewai_flow_state_extensions' ? 'flow_id' : 'id';
    out[table] = await q(db, `select to_jsonb(t) as row from public.${table} t order by ${key}`);
  }
  out.quarantine = await q(db, `select source_table, row_id, reason, released_at from quarantined_rows order by source_table, row_id`);
  return out;
}

describe('adopting a partially fixed database (Phase 1 applied by hand)', () => {
  it('gives the same schema and the same data as adopting the untouched legacy database', async () => {
    const db = await createTestDatabase({ migrated: false });
    try {
      await buildLegacyDatabase(db.sql, 'phase1');
      const [fk] = await q(db, `select pg_get_constraintdef(oid) as def from pg_constraint where conname = 'data_imports_master_flow_id_fkey'`);
      expect(fk!.def).toMatch(/REFERENCES crewai_flow_state_extensions\(flow_id\)/);
      await runMigrations(db.url, { adoptLegacy: true });
      expect(await dumpPublicSchema(db.sql)).toEqual(await dumpPublicSchema(fresh.current.sql));
      expect(await adoptedData(db)).toEqual(await adoptedData(legacy));
    } finally {
      await db.close();
    }
  });
});

describe('adoption after a crash', () => {
  it('resumes at the first unfinished step, whichever step it stopped after, and ends identical', async () => {
    const db = await createTestDatabase({ migrated: false });
    try {
      await buildLegacyDatabase(db.sql, 'pre-fix');
      const stops = ['archive-legacy', 'load-rows', 'not-null-validate:assets', 'validate:assets_master_flow_id_fkey', 'index:assets_master_flow_id_idx', 'link-guards'];
      const ran: string[] = [];
      for (const stop of stops) {
        const err = await runMigrations(db.url, { adoptLegacy: true, adoption: { failAfterStep: stop } }).catch((e: unknown) => e as Error);
        expect(err, stop).toBeInstanceOf(Error);
        expect((err as Error).name).toBe('AdoptionInterrupted');
        // meanwhile plain migrate still refuses: the database is neither legacy nor ours yet
        await expect(runMigrations(db.url)).rejects.toThrow(/--adopt-legacy/);
        ran.push(stop);
        if (stop === 'validate:assets_master_flow_id_fkey') {
          // a concurrent index build that died half-way leaves an INVALID index under the name a later step wants
          await expect(db.sql.unsafe('create unique index concurrently assets_hostname_idx on assets (client_account_id)')).rejects.toThrow();
          const [left] = await q(db, `select indisvalid from pg_index where indexrelid = 'public.assets_hostname_idx'::regclass`);
          expect(left!.indisvalid).toBe(false);
        }
      }
      const result = await runMigrations(db.url, { adoptLegacy: true });
      expect(result.adoption!.stepsSkipped).toBeGreaterThan(ran.length);
      expect(result.adoption!.stepsRun).toContain('stamp-history');
      expect(result.adoption!.stepsRun).not.toContain('load-rows');
      expect(await dumpPublicSchema(db.sql)).toEqual(await dumpPublicSchema(fresh.current.sql));
      expect(await adoptedData(db)).toEqual(await adoptedData(legacy));
      const [{ n }] = (await q(db, `select count(*)::int as n from flowlink_adoption.steps`)) as [{ n: number }];
      expect(n).toBe(result.adoption!.stepsRun.length + result.adoption!.stepsSkipped);
    } finally {
      await db.close();
    }
  });
});
