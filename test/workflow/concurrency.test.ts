import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { loadDefinition, LOCAL_TASK_STATES, localSubstitutions, taskStatesOf } from '../../workflows/definition.ts';
import { LAMBDA_THROTTLED, LocalLambdas } from '../../workflows/local/lambdas.ts';
import { SAMPLE_FILE } from '../../workflows/local/pipeline.ts';
import { importState, tenantSnapshot, useWorkflowWorld } from './harness.ts';

/**
 * Imports at once, as Lambda runs them: each invocation in a container of its own (its own
 * database connection), and each function within its reserved concurrency, past which Lambda
 * refuses a synchronous invocation with Lambda.TooManyRequestsException.
 */
const world = useWorkflowWorld();
const SAMPLE = readFileSync(SAMPLE_FILE);

type Retrier = { ErrorEquals: string[]; IntervalSeconds?: number; MaxAttempts?: number; BackoffRate?: number; MaxDelaySeconds?: number };
const tasks = taskStatesOf(loadDefinition(localSubstitutions()) as never);

/** A retrier's longest total wait in seconds (no jitter): what it gives the condition it retries to clear. */
function retryBudgetSeconds(r: Retrier): number {
  let total = 0;
  for (let attempt = 0; attempt < (r.MaxAttempts ?? 3); attempt++) {
    total += Math.min((r.IntervalSeconds ?? 1) * (r.BackoffRate ?? 2) ** attempt, r.MaxDelaySeconds ?? Infinity);
  }
  return total;
}

/**
 * The definition's retry waits in test time: every retrier but the throttle's waits nothing; the
 * throttle's waits its whole budget spread evenly over its attempts, at MS_PER_SECOND ms for each
 * second on AWS (a local chunk takes milliseconds where one on AWS takes seconds).
 */
const MS_PER_SECOND = 2;
const scaledRetryWaits = Object.fromEntries(
  LOCAL_TASK_STATES.filter((s) => tasks[s]).map((state) => [
    state,
    ((tasks[state]!.Retry ?? []) as Retrier[]).map((r) => (r.ErrorEquals.includes(LAMBDA_THROTTLED) ? (retryBudgetSeconds(r) / (r.MaxAttempts ?? 3)) * MS_PER_SECOND : 0)),
  ]),
);

describe('imports at once', () => {
  it('runs two chunks of a Map in flight at once, each on its own database connection', async () => {
    const tenant = await world.tenant();
    // the chunks' transactions queue behind this lock where they write assets: each one open while it waits
    const blocker = await world.sql.reserve();
    await blocker`begin`;
    await blocker`lock table assets in share row exclusive mode`;
    const dropped = world.drop(tenant, 'servers.csv', SAMPLE, {}, { chunkRows: 10, mapConcurrency: 3 });
    let waiting = 0;
    try {
      for (let i = 0; i < 400 && waiting < 2; i++) {
        const [row] = await world.sql<{ n: number }[]>`
          select count(*)::int as n from pg_stat_activity where application_name like 'fl:%' and wait_event_type = 'Lock'`;
        waiting = row!.n;
        if (waiting < 2) await new Promise((r) => setTimeout(r, 50));
      }
    } finally {
      await blocker`rollback`;
      blocker.release();
    }
    expect(waiting).toBeGreaterThanOrEqual(2);
    const { record } = await dropped;
    expect(record.status, JSON.stringify(record.error)).toBe('SUCCEEDED');
  });

  it('N drops at once against reservations smaller than their Maps all succeed: throttled invocations wait, then run', async () => {
    const lambdas = new LocalLambdas({ StoreImport: 2, CreateMasterFlow: 2, LinkRecords: 2, StartDiscovery: 2, ValidateIntegrity: 2, MarkFailed: 2, ReportOutcome: 2 });
    const tenants = await Promise.all([1, 2, 3].map(() => world.tenant()));
    const clean = await world.drop(await world.tenant(), 'servers.csv', SAMPLE);
    expect(clean.record.status).toBe('SUCCEEDED');

    const drops = await Promise.all(tenants.map((tenant) => world.drop(tenant, 'servers.csv', SAMPLE, { lambdas, retryIntervalOverrides: scaledRetryWaits }, { chunkRows: 5, mapConcurrency: 2 })));

    // the limits were hit (the test exercises throttling) and never exceeded
    expect([...lambdas.throttled.values()].reduce((a, b) => a + b, 0)).toBeGreaterThan(0);
    for (const [fn, peak] of lambdas.peak) expect(peak, fn).toBeLessThanOrEqual(2);
    for (const { record } of drops) {
      expect(record.status, JSON.stringify(record.error)).toBe('SUCCEEDED');
      expect(record.events.some((e) => e.state === 'MarkFailed')).toBe(false);
    }
    for (const tenant of tenants) {
      expect((await importState(world.sql, tenant))!.status).toBe('completed');
      expect((await tenantSnapshot(world.sql, tenant)).assets!.rows).toBe(25);
    }
  });
});
