import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeLambdaDatabase } from '../../functions/_shared/database.ts';
import { TASK_STATES, type TaskState } from '../../workflows/definition.ts';
import { SAMPLE_FILE } from '../../workflows/local/pipeline.ts';
import { startFaultProxy, type Fault, type FaultKind, type FaultProxy } from '../support/fault-proxy.ts';
import { importState, tenantSnapshot, useWorkflowWorld, type TenantSnapshot } from './harness.ts';

/**
 * The class proof: a fault-injecting TCP proxy between every step and PostgreSQL, and for every
 * step every way its connection can fail, through the real state machine and its Retry. Each case
 * must end with an execution that succeeded and exactly the database of a clean run.
 */
const world = useWorkflowWorld();
const SAMPLE = readFileSync(SAMPLE_FILE);
/**
 * Short budgets keep the hang cases fast (deadline 7.2 s, statement_timeout 6 s, idle-in-transaction
 * 2 s, lock_timeout 0.8 s), with room for a loaded machine: a reconnect took 1.5 s at load 13.
 */
const STEP_BUDGET_MS = 8_000;

/** Each step's main statement: where "mid-statement" and "hang" strike. */
const MAIN: Record<Exclude<TaskState, 'MarkFailed'>, Fault['match']> = {
  // identifiers may come quoted: Drizzle quotes every table and column it names
  StoreImport: 'copy-data',
  CreateMasterFlow: /insert into "?crewai_flow_state_extensions"?/i,
  LinkChunk: /update "?raw_import_records"? set "?master_flow_id"?/i,
  FinishLink: /update "?data_imports"? set\s+"?status"? = case/i,
  PlanDiscovery: /update "?data_imports"? set "?source_system"?/i,
  // a first run COPYs its pages, a re-run upserts them
  DiscoverChunk: /^\s*(copy "?assets"?\s*\(|insert into "?assets"?)/i,
  FinishDiscovery: /update "?discovery_flows"? set/i,
  ReconcileChunk: /update "?assets"? a set inventory_item_id/i,
  FinishReconcile: /update "?inventory_reconciliations"? set "?completed_at"?/i,
  ValidateIntegrity: /update "?data_imports"? set "?status"? = /i,
};
/** Every Task state of the chain (the chunk Tasks of the Maps included); MarkFailed is the failure path. */
const STEPS = TASK_STATES.filter((s): s is keyof typeof MAIN => s !== 'MarkFailed');
const KINDS: FaultKind[] = ['before-first-statement', 'mid-statement', 'before-commit', 'after-commit', 'hang'];

let proxy: FaultProxy;
let clean: TenantSnapshot;

beforeAll(async () => {
  proxy = await startFaultProxy(process.env.DATABASE_URL!);
  process.env.DATABASE_URL = proxy.url; // what every step handler connects to from now on
  await closeLambdaDatabase();
  const tenant = await world.tenant();
  const { record } = await drop(tenant);
  expect(record.status).toBe('SUCCEEDED');
  clean = await tenantSnapshot(world.sql, tenant);
});
afterAll(async () => {
  await closeLambdaDatabase({ timeout: 0 });
  await proxy?.close();
});

function drop(tenant: Awaited<ReturnType<typeof world.tenant>>) {
  return world.drop(tenant, 'servers.csv', SAMPLE, {
    beforeStep: (state) => {
      proxy.step = state;
    },
    stepBudgetMs: STEP_BUDGET_MS,
  });
}

describe('faults between the steps and PostgreSQL, through the real state machine and its Retry', () => {
  it('has a clean run through the proxy to compare with', () => {
    expect(clean.raw_import_records!.rows).toBe(25);
    expect(clean.assets!.rows).toBe(25);
  });

  for (const step of STEPS) {
    for (const kind of KINDS) {
      it(`${step}: connection ${kind} → retried, succeeded, the database of a clean run`, async () => {
        const tenant = await world.tenant();
        proxy.fired.length = 0;
        proxy.arm({ step, kind, match: MAIN[step] });
        const { record } = await drop(tenant);

        expect(proxy.fired.map((f) => f.fault.kind)).toEqual([kind]);
        expect(record.status, JSON.stringify(record.error)).toBe('SUCCEEDED');
        const retried = record.events.filter((e) => e.type === 'StateRetried' && e.state === step);
        // a lost COMMIT answer after a commit that happened may still be retried (it is, as a
        // connection error): the retry then finds the step's rows and changes nothing
        expect(retried.length).toBeGreaterThanOrEqual(1);
        expect(record.events.some((e) => e.state === 'MarkFailed')).toBe(false);
        expect(await tenantSnapshot(world.sql, tenant)).toEqual(clean);
        expect((await importState(world.sql, tenant))!.status).toBe('completed');
      });
    }
  }
});
