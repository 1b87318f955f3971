import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadDefinition, localSubstitutions, TASK_FUNCTIONS, TASK_STATES, taskStatesOf } from '../../workflows/definition.ts';

const definition = loadDefinition(localSubstitutions());
/** Every Task state, the chunk Tasks inside the Maps included. */
const tasks = taskStatesOf(definition as never);
type Retrier = { ErrorEquals: string[]; MaxAttempts?: number; IntervalSeconds?: number };
const FUNCTION_OF: Record<string, string> = {
  StoreImport: 'functions/store-import/store-import.ts', CreateMasterFlow: 'functions/create-master-flow/create-master-flow.ts',
  LinkRecords: 'functions/link-records/link-records.ts', StartDiscovery: 'functions/start-discovery/start-discovery.ts',
  ReconcileInventory: 'functions/reconcile-inventory/reconcile-inventory.ts',
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
    expect(retried).toEqual(['CreateMasterFlow', 'LinkChunk', 'FinishLink', 'PlanDiscovery', 'FinishDiscovery', 'FinishReconcile', 'ValidateIntegrity', 'MarkFailed']);
  });
});
