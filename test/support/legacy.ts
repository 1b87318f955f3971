import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Sql } from '../../db/client.ts';

const FIXTURES = resolve(import.meta.dirname, '..', 'fixtures', 'legacy');

/** A stable uuid for a readable name, so tests can say `id('imp:config')`. */
export function id(name: string): string {
  const h = createHash('sha1').update(name).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-8${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/** Legacy master flows: the technical `id` and the business `flow_id` differ. */
export const masterId = (name: string) => id(`master-id:${name}`);
export const flowId = (name: string) => id(`flow-id:${name}`);

const T0 = Date.parse('2025-01-06T09:00:00Z');
const at = (minutes: number) => new Date(T0 + minutes * 60_000).toISOString();

/**
 * A legacy database: the fixture schema plus data covering every case adoption and backfill handle
 * (named in comments). `variant: 'phase1'` then applies the hand-made part of Phase 1.
 */
export async function buildLegacyDatabase(sql: Sql, variant: 'pre-fix' | 'phase1' = 'pre-fix') {
  await sql.unsafe(readFileSync(resolve(FIXTURES, 'schema.sql'), 'utf8'));
  // only the keys a row names, so the legacy defaults (is_mock, created_at ...) apply to the rest
  const ins = async (table: string, rows: Record<string, unknown>[]) => {
    for (const row of rows) {
      const cols = Object.keys(row)
        .map((c) => `"${c}"`)
        .join(', ');
      await sql.unsafe(`insert into ${table} (${cols}) select ${cols} from jsonb_populate_record(null::${table}, $1::jsonb)`, [JSON.stringify(row)]);
    }
  };

  await ins('alembic_version', [{ version_num: '20250107_fix_master' }]);
  await ins('client_accounts', [
    { id: id('client:acme'), name: 'Acme', slug: 'acme', industry: 'retail', is_mock: false, created_at: at(-100) },
    { id: id('client:demo'), name: 'Demo Corp', slug: 'demo', is_mock: true, created_at: at(-100) },
  ]);
  await ins('engagements', [
    { id: id('eng:acme'), client_account_id: id('client:acme'), name: 'Acme cloud', status: 'active', created_at: at(-90) },
    { id: id('eng:demo'), client_account_id: id('client:demo'), name: 'Demo', status: null, is_mock: true, created_at: at(-90) },
  ]);
  await ins('users', [{ id: id('user:ann'), email: 'ann@acme.test', client_account_id: id('client:acme'), is_active: true, created_at: at(-80) }]);

  const acme = { client_account_id: id('client:acme'), engagement_id: id('eng:acme') };
  const demo = { client_account_id: id('client:demo'), engagement_id: id('eng:demo') };
  const master = (name: string, minutes: number, extra: Record<string, unknown> = {}) => ({
    id: masterId(name),
    flow_id: flowId(name),
    ...acme,
    flow_type: 'discovery',
    flow_status: 'running',
    flow_name: `flow ${name}`,
    flow_configuration: {},
    flow_persistence_data: {},
    created_at: at(minutes),
    ...extra,
  });
  await ins('crewai_flow_state_extensions', [
    master('config', 0, { flow_configuration: { source: 'data_import', import_id: id('imp:config') } }),
    master('name', 1000, { flow_name: `Discovery Import ${id('imp:name')}` }),
    master('df', 2000),
    master('ok', 3000, { flow_status: 'completed' }),
    master('prox', 4000), // imp:prox 30 min later, asset:prox 20 min later
    master('tie-a', 5000),
    master('tie-b', 5090), // imp:tie and asset:tie exactly between
    master('assess', 6000, { flow_type: 'assessment' }), // imp:type 10 min later: wrong type, no candidate
    master('demo', 7000, { ...demo }), // imp:cross (acme) 10 min later: other tenant, no candidate
    master('casefold', 8000, { flow_type: 'Discovery', flow_status: 'initialized' }),
    master('unknown-type', 8100, { flow_type: 'legacy_magic' }), // quarantined
    master('bad-engagement', 8200, { engagement_id: id('eng:demo') }), // engagement of another client: quarantined
    master('persist', 9000, { flow_persistence_data: { data_import_id: id('imp:persist'), raw_data: [1, 2] } }),
    master('claimed', 10000, { flow_configuration: { import_id: id('imp:claimed') } }), // imp:near 10 min later: claimed by evidence
    master('array-config', 11000, { flow_configuration: ['not', 'an', 'object'], flow_status: 'weird' }),
  ]);

  const imp = (name: string, minutes: number, extra: Record<string, unknown> = {}) => ({
    id: id(`imp:${name}`),
    ...acme,
    master_flow_id: null,
    import_name: `import ${name}`,
    import_type: 'servers',
    source_filename: `${name}.csv`,
    file_size_bytes: 1234,
    file_type: 'text/csv',
    status: 'completed',
    imported_by: id('user:ann'),
    created_at: at(minutes),
    ...extra,
  });
  await ins('data_imports', [
    imp('ok', 3001, { master_flow_id: masterId('ok') }), // wrong key: the master's technical id
    imp('config', 20),
    imp('name', 20_000),
    imp('persist', 21_000),
    imp('df', 22_000),
    imp('prox', 4030, { status: 'processing' }),
    imp('tie', 5045),
    imp('type', 6010),
    imp('cross', 7010),
    imp('far', 30_000),
    imp('claimed', 25_000),
    imp('near', 10_010),
    imp('weird-status', 8001, { status: 'weird', master_flow_id: masterId('casefold') }),
    imp('failed', 8002, { status: 'failed', master_flow_id: masterId('casefold') }),
    imp('mismatch', 8003, { engagement_id: id('eng:demo') }), // quarantined with its records and mappings
    imp('demo', 7001, { ...demo, master_flow_id: masterId('demo'), status: 'pending' }),
  ]);

  const raw = (name: string, importName: string, row: number, extra: Record<string, unknown> = {}) => ({
    id: id(`raw:${name}`),
    data_import_id: id(`imp:${importName}`),
    ...acme,
    master_flow_id: null,
    row_number: row,
    raw_data: { hostname: name },
    created_at: at(3002),
    ...extra,
  });
  await ins('raw_import_records', [
    raw('ok-1', 'ok', 1, { master_flow_id: masterId('ok'), asset_id: id('asset:direct') }),
    raw('ok-1-dup', 'ok', 1, { master_flow_id: masterId('ok'), created_at: at(3003) }), // duplicate row number
    raw('ok-2', 'ok', 2, { client_account_id: null, engagement_id: null }), // linked by backfill: its import is linked
    raw('ok-0', 'ok', 0, { master_flow_id: masterId('ok') }), // row number below 1
    raw('config-1', 'config', 1),
    raw('config-2', 'config', 2),
    raw('name-1', 'name', 1),
    raw('persist-1', 'persist', 1),
    raw('df-1', 'df', 1),
    raw('prox-1', 'prox', 1),
    raw('tie-1', 'tie', 1),
    raw('far-1', 'far', 1),
    raw('claimed-1', 'claimed', 1),
    raw('near-1', 'near', 1),
    raw('mismatch-1', 'mismatch', 1),
  ]);

  const df = (name: string, minutes: number, extra: Record<string, unknown> = {}) => ({
    id: id(`df:${name}`),
    flow_id: id(`df-flow:${name}`),
    master_flow_id: null,
    ...acme,
    data_import_id: null,
    flow_name: `discovery ${name}`,
    flow_description: `described ${name}`,
    status: 'active',
    progress_percentage: 10,
    crewai_state_data: {},
    assessment_package: { package: name },
    created_at: at(minutes),
    ...extra,
  });
  await ins('discovery_flows', [
    df('ok', 3001, { master_flow_id: masterId('ok'), data_import_id: id('imp:ok'), flow_id: flowId('ok'), status: 'completed' }),
    df('df', 2001, { master_flow_id: flowId('df'), data_import_id: id('imp:df'), flow_id: flowId('df') }),
    df('df-dup', 1999, { master_flow_id: flowId('df') }), // older, but df:df shares the master's flow_id: this one is the duplicate
    df('dangling', 40_000, { master_flow_id: id('nothing') }), // points at nothing, no evidence: stays quarantined
    df('null-import', 20_001, { data_import_id: id('imp:name') }), // released once imp:name is linked
    df('same-flow', 9001, { flow_id: flowId('persist') }), // released: its flow_id is a master's flow_id
    df('to-quarantined-master', 8101, { master_flow_id: masterId('unknown-type') }),
    df('ghost-import', 8004, { master_flow_id: flowId('casefold'), data_import_id: id('imp:never-existed'), status: 'unheard-of' }),
  ]);

  const fm = (name: string, importName: string, extra: Record<string, unknown> = {}) => ({
    id: id(`fm:${name}`),
    data_import_id: id(`imp:${importName}`),
    master_flow_id: null,
    client_account_id: acme.client_account_id,
    source_field: 'host',
    target_field: 'hostname',
    mapping_type: 'direct',
    confidence_score: 0.9,
    is_user_defined: false,
    status: 'suggested',
    validation_rules: { trim: true },
    user_feedback: 'looks right',
    sample_values: ['a'],
    created_at: at(3004),
    ...extra,
  });
  await ins('import_field_mappings', [
    fm('ok', 'ok', { master_flow_id: flowId('ok'), updated_at: at(3010) }),
    fm('ok-dup', 'ok', { master_flow_id: flowId('ok') }), // same source_field, older: duplicate
    fm('ok-conf', 'ok', { master_flow_id: flowId('ok'), source_field: 'cpu', confidence_score: 85 }),
    fm('ok-magic', 'ok', { master_flow_id: masterId('ok'), source_field: 'ram', mapping_type: 'magic', confidence_score: null, is_user_defined: true }),
    fm('config', 'config', { client_account_id: null }), // released with imp:config
    fm('tie', 'tie'), // stays quarantined: its import cannot be linked
    fm('mismatch', 'mismatch'),
  ]);

  const asset = (name: string, minutes: number, extra: Record<string, unknown> = {}) => ({
    id: id(`asset:${name}`),
    ...acme,
    master_flow_id: null,
    discovery_flow_id: null,
    name,
    hostname: name,
    asset_type: 'server',
    raw_data: { from: name },
    field_mappings_used: ['host'],
    created_at: at(minutes),
    ...extra,
  });
  await ins('assets', [
    asset('via-df', 3005, { discovery_flow_id: id('df:ok') }), // released: its discovery flow's master
    asset('direct', 3006, { master_flow_id: masterId('ok'), asset_type: 'Server' }),
    asset('vm', 3007, { master_flow_id: flowId('ok'), asset_type: 'vm' }),
    asset('toaster', 3008, { master_flow_id: flowId('ok'), asset_type: 'toaster', discovery_flow_id: id('df:dangling') }),
    asset('prox', 4020), // released: one discovery flow 20 min away
    asset('tie', 5045), // unresolved: two flows 45 min away
    asset('none', 50_000), // unresolved: nothing within an hour
    asset('demo', 7002, { ...demo, master_flow_id: flowId('demo'), is_mock: true }),
  ]);

  await ins('data_import_sessions', [{ id: id('session:1'), ...acme, session_name: 'default', is_default: true, created_at: at(0) }]);
  await ins('v3_data_imports', [{ id: id('v3imp:1'), ...acme, filename: 'v3.csv', status: 'completed', created_at: at(0) }]);
  await ins('v3_raw_import_records', [{ id: id('v3raw:1'), data_import_id: id('v3imp:1'), row_number: 1, raw_data: { a: 1 }, created_at: at(0) }]);
  await ins('v3_discovery_flows', [{ id: id('v3df:1'), flow_id: id('v3df-flow:1'), ...acme, created_at: at(0) }]);
  await ins('v3_field_mappings', [{ id: id('v3fm:1'), data_import_id: id('v3imp:1'), source_field: 'a', target_field: 'b', created_at: at(0) }]);
  await ins('workflow_states', [{ id: id('ws:1'), ...acme, workflow_type: 'discovery', created_at: at(0) }]);
  await ins('discovery_assets', [{ id: id('da:1'), asset_name: 'x', created_at: at(0) }]);
  await ins('mapping_learning_patterns', [{ id: id('mlp:1'), source_field_pattern: 'host*', created_at: at(0) }]);
  await ins('data_quality_issues', [{ id: id('dqi:1'), issue_type: 'missing', created_at: at(0) }]);
  await ins('workflow_progress', [{ id: id('wp:1'), stage: 'x', created_at: at(0) }]);
  await ins('import_processing_steps', [{ id: id('ips:1'), step_name: 'x', created_at: at(0) }]);

  if (variant === 'phase1') await sql.unsafe(readFileSync(resolve(FIXTURES, 'phase1-partial.sql'), 'utf8'));
}

/** Every table of the legacy schema and the ids of its rows (alembic_version keyed by version_num). */
export async function legacyRowIds(sql: Sql, schema = 'public'): Promise<Record<string, string[]>> {
  const tables = await sql<{ t: string }[]>`
    select tablename as t from pg_tables p where schemaname = ${schema}
      and (tablename = 'alembic_version' or exists (select 1 from information_schema.columns c
           where c.table_schema = p.schemaname and c.table_name = p.tablename and c.column_name = 'id'))
    order by 1`;
  const out: Record<string, string[]> = {};
  for (const { t } of tables) {
    const key = t === 'alembic_version' ? 'version_num' : 'id';
    out[t] = (await sql.unsafe(`select ${key}::text as k from "${schema}"."${t}" order by 1`)).map((r) => r.k as string);
  }
  return out;
}
