import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadDefinition, localSubstitutions, TASK_FUNCTIONS, TASK_STATES, taskStatesOf } from '../../workflows/definition.ts';

const definition = loadDefinition(localSubstitutions());
/** Every Task state, the chunk Tasks inside the Maps included. */
const tasks = taskStatesOf(definition as never);
type Retrier = { ErrorEquals: string[]; MaxAttempts?: number; IntervalSeconds?: number; BackoffRate?: number; MaxDelaySeconds?: number };
const FUNCTION_OF: Record<string, string> = {
  StoreImport: 'functions/store-import/store-import.ts', CreateMasterFlow: 'functions/create-master-flow/create-master-flow.ts',
  LinkRecords: 'functions/link-records/link-records.ts', StartDiscovery: 'functions/start-discovery/start-discovery.ts',
  ValidateIntegrity: 'functions/validate-integrity/validate-integrity.ts', MarkFailed: 'functions/mark-failed/mark-failed.ts',
};

describe('the Retry arrays', () => {
  it('every Task retries TransientError (what classifyError makes of connection loss, contention and throttling)', () => {
    for (const state of TASK_STATES) {
      const retry = (tasks[state]!.Retry ?? []) as Retrier[];
      expect(retry.some((r) => r.ErrorEquals.includes('TransientError')), state).toBe(true);
    }
  });

  it('States.Timeout is retried once at most, and only by a step whose transaction fences its earlier attempt', () => {
    for (const state of TASK_STATES) {
      const retry = (tasks[state]!.Retry ?? []) as Retrier[];
      const timeout = retry.filter((r) => r.ErrorEquals.includes('States.Timeout'));
      if (!timeout.length) continue;
      expect(timeout, state).toHaveLength(1);
      expect(timeout[0]!.ErrorEquals, state).toEqual(['States.Timeout']);
      expect(timeout[0]!.MaxAttempts, state).toBe(1);
      const core = readFileSync(resolve(import.meta.dirname, '..', '..', FUNCTION_OF[TASK_FUNCTIONS[state]]!), 'utf8');
      expect(core, `${state} runs its transaction through the fence`).toMatch(/stepTransaction\(|FENCE_SQL/);
    }
    const retried = TASK_STATES.filter((s) => ((tasks[s]!.Retry ?? []) as Retrier[]).some((r) => r.ErrorEquals.includes('States.Timeout')));
    expect(retried).toEqual(['CreateMasterFlow', 'LinkChunk', 'FinishLink', 'PlanDiscovery', 'FinishDiscovery', 'ValidateIntegrity', 'MarkFailed']);
  });

  it('a throttled invocation (past a reserved concurrency other imports use) waits up to an hour, within the execution timeout', () => {
    // reserved concurrency is per function, Map concurrency per execution: imports at once share the
    // reservation, and a refused invocation waits for one to end (a chunk may run 900 s)
    const executionTimeout = (definition as unknown as { TimeoutSeconds: number }).TimeoutSeconds;
    const budget = (r: Retrier) => {
      let total = 0;
      for (let a = 0; a < (r.MaxAttempts ?? 3); a++) total += Math.min((r.IntervalSeconds ?? 1) * (r.BackoffRate ?? 2) ** a, r.MaxDelaySeconds ?? Infinity);
      return total;
    };
    for (const state of [...TASK_STATES, 'ReportSucceeded', 'ReportFailed']) {
      const retry = (tasks[state]!.Retry ?? []) as Retrier[];
      const throttle = retry.filter((r) => r.ErrorEquals.includes('Lambda.TooManyRequestsException'));
      expect(throttle, state).toHaveLength(1);
      expect(throttle[0]!.ErrorEquals, state).toEqual(['Lambda.TooManyRequestsException']);
      expect(budget(throttle[0]!), state).toBeGreaterThanOrEqual(3600);
      expect(budget(throttle[0]!), state).toBeLessThan(executionTimeout);
    }
  });
});
