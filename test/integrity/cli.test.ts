import { describe, expect, it } from 'vitest';
import { runFlowlink } from '../support/cli.ts';
import { integrityHistory } from '../../db/integrity/index.ts';
import { createTestDatabase, useTestDatabase } from '../support/db.ts';
import { createFlowTree, createMasterFlow, createTenant } from '../support/fixtures.ts';

const database = useTestDatabase();

const flowlink = (args: string[], url = database.current.url) => runFlowlink(args, { DATABASE_URL: url });

describe('flowlink integrity', () => {
  let ids: Awaited<ReturnType<typeof createFlowTree>>;

  it('exits 0 on a clean database and prints the documented JSON', async () => {
    const { sql } = database.current;
    const tenant = await createTenant(sql);
    ids = await createFlowTree(sql, tenant, await createMasterFlow(sql, tenant));
    const run = await flowlink(['integrity', '--json']);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const report = JSON.parse(run.stdout);
    expect(report).toMatchObject({ ok: true, healthScore: 100 });
    expect(Number.isNaN(Date.parse(report.checkedAt))).toBe(false);
    expect(Object.keys(report.tables).sort()).toEqual(Object.keys(ids).sort());
    for (const counts of Object.values(report.tables)) {
      expect(counts).toEqual({ rows: 1, nullMasterFlowId: 0, danglingMasterFlowId: 0, inconsistent: 0, crossTenant: 0 });
    }
    for (const c of report.checks) {
      expect(Object.keys(c)).toEqual(expect.arrayContaining(['id', 'severity', 'table', 'count', 'sampleIds']));
      expect(c.count).toBe(0);
    }
  });

  it('exits 1 on violations, with the rows in the JSON and in the readable table', async () => {
    const { sql } = database.current;
    // both keys would refuse the ghost flow: the master key, and the link to the discovery flow (its master differs)
    await sql`alter table assets drop constraint assets_master_flow_id_fkey`;
    await sql`alter table assets drop constraint assets_discovery_flow_link_fkey`;
    await sql`update assets set master_flow_id = '00000000-0000-4000-8000-00000000dead' where id = ${ids.assets}`;
    const [json, text] = await Promise.all([flowlink(['integrity', '--json']), flowlink(['integrity', '--no-store'])]);
    expect(json.code).toBe(1);
    const report = JSON.parse(json.stdout);
    expect(report.ok).toBe(false);
    expect(report.healthScore).toBeLessThan(100);
    expect(report.tables.assets).toEqual({ rows: 1, nullMasterFlowId: 0, danglingMasterFlowId: 1, inconsistent: 0, crossTenant: 0 });
    const failing = report.checks
      .filter((c: { count: number }) => c.count > 0)
      .map(({ id, severity, table, count, sampleIds }: Record<string, unknown>) => ({ id, severity, table, count, sampleIds }));
    expect(failing).toEqual([
      { id: 'dangling_link.assets', severity: 'critical', table: 'assets', count: 1, sampleIds: [ids.assets] },
      { id: 'fk_missing.assets', severity: 'critical', table: 'assets', count: 1, sampleIds: ['assets'] },
    ]);
    expect(text.code).toBe(1);
    expect(text.stdout).toMatch(/^assets\s+1\s+0\s+1\s+0\s+0$/m);
    expect(text.stdout).toContain('CRITICAL dangling_link.assets: 1');
    expect(text.stdout).toContain(ids.assets);
    expect(text.stdout).toMatch(/health score \d+(\.\d)? \/ 100: violations found/);
  });

  it('stores each run unless --no-store, and lists the history', async () => {
    const stored = await integrityHistory(database.current.sql, { limit: 10 });
    expect(stored.map((r) => r.ok)).toEqual([false, true]);
    const history = await flowlink(['integrity', 'history', '--json']);
    expect(history.code).toBe(0);
    const runs = JSON.parse(history.stdout);
    expect(runs).toHaveLength(2);
    expect(runs[0]).toMatchObject({
      ok: false,
      criticalCount: 2,
      failing: [
        { id: 'dangling_link.assets', count: 1 },
        { id: 'fk_missing.assets', count: 1 },
      ],
    });
    expect(runs[1]).toMatchObject({ ok: true, healthScore: 100, criticalCount: 0, failing: [] });
  });

  it('exits 2 when it cannot run: a scope that is not a uuid, a database without the schema', async () => {
    const unmigrated = await createTestDatabase({ migrated: false });
    try {
      const [badFlow, badClient, noSchema] = await Promise.all([
        flowlink(['integrity', '--flow', 'flow-1']),
        flowlink(['integrity', '--client', '42', '--json']),
        flowlink(['integrity'], unmigrated.url),
      ]);
      expect(badFlow).toMatchObject({ code: 2, stdout: '' });
      expect(badFlow.stderr).toContain('--flow must be a uuid, got "flow-1"');
      expect(badClient.code).toBe(2);
      expect(noSchema.code).toBe(2);
      expect(noSchema.stderr).toContain('crewai_flow_state_extensions(flow_id) does not exist');
    } finally {
      await unmigrated.close();
    }
  });
});
