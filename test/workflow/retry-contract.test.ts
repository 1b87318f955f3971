import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadDefinition, localSubstitutions, TASK_FUNCTIONS, TASK_STATES, taskStatesOf } from '../../workflows/definition.ts';
import { LAMBDAS, STEP_TASKS, type LambdaId, type RetryClass } from '../../workflows/steps.ts';

const definition = loadDefinition(localSubstitutions());
/** Every Task state, the chunk Tasks inside the Maps included. */
const tasks = taskStatesOf(definition as never);
type Retrier = { ErrorEquals: string[]; MaxAttempts?: number; IntervalSeconds?: number; BackoffRate?: number; MaxDelaySeconds?: number };
/** A step Lambda's core: functions/<folder>/<folder>.ts (workflows/steps.ts). */
const coreOf = (lambda: LambdaId) => `functions/${LAMBDAS[lambda].folder}/${LAMBDAS[lambda].folder}.ts`;
const readCore = (lambda: LambdaId) => readFileSync(resolve(import.meta.dirname, '..', '..', coreOf(lambda)), 'utf8');

/** The retry class (workflows/steps.ts) the ASL Retry array of a Task has. */
function retryClassOf(retry: Retrier[]): RetryClass | string {
  const transient = retry.find((r) => r.ErrorEquals.includes('TransientError'));
  const timeout = retry.find((r) => r.ErrorEquals.includes('States.Timeout'));
  if (!transient) return 'none';
  if (!timeout) return 'transient';
  if (timeout === transient) return 'outcome';
  return timeout.ErrorEquals.length === 1 && timeout.MaxAttempts === 1 ? 'fenced-timeout' : 'other';
}

describe('the Retry arrays', () => {
  it('every Task retries TransientError (what classifyError makes of connection loss, contention and throttling)', () => {
    for (const state of TASK_STATES) {
      const retry = (tasks[state]!.Retry ?? []) as Retrier[];
      expect(
        retry.some((r) => r.ErrorEquals.includes('TransientError')),
        state,
      ).toBe(true);
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
      const core = readCore(TASK_FUNCTIONS[state]);
      expect(core, `${state} runs its transaction through the fence`).toMatch(/stepTransaction\(|FENCE_SQL/);
    }
    const retried = TASK_STATES.filter((s) => ((tasks[s]!.Retry ?? []) as Retrier[]).some((r) => r.ErrorEquals.includes('States.Timeout')));
    expect(retried).toEqual(['CreateMasterFlow', 'LinkChunk', 'FinishLink', 'PlanDiscovery', 'FinishDiscovery', 'FinishReconcile', 'ValidateIntegrity', 'MarkFailed']);
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

describe('the ASL matches the step contract (workflows/steps.ts)', () => {
  const lambdaTasks = Object.entries(tasks).filter(([, t]) => String(t.Resource).startsWith('arn:aws:lambda:'));

  it('every Lambda Task of the ASL is in the registry, and every registry Task in the ASL', () => {
    expect(lambdaTasks.map(([name]) => name).sort()).toEqual(Object.keys(STEP_TASKS).sort());
  });

  it("each Task invokes its registry Lambda, with the registry's TimeoutSeconds and retry class, within the Lambda's timeout", () => {
    const asl = Object.fromEntries(
      lambdaTasks.map(([name, t]) => [
        name,
        {
          lambda: /:function:flowlink-(\w+)$/.exec(String(t.Resource))?.[1],
          timeoutS: t.TimeoutSeconds,
          retry: retryClassOf((t.Retry ?? []) as Retrier[]),
        },
      ]),
    );
    const registry = Object.fromEntries(Object.values(STEP_TASKS).map((t) => [t.state, { lambda: t.lambda, timeoutS: t.timeoutS, retry: t.retry }]));
    expect(asl).toEqual(registry);
    for (const t of Object.values(STEP_TASKS)) expect(t.timeoutS, t.state).toBeLessThanOrEqual(LAMBDAS[t.lambda].timeoutS);
  });

  it('a Task retried on States.Timeout is fenced, and a fenced Task runs its transaction through the fence', () => {
    for (const t of Object.values(STEP_TASKS)) {
      if (t.retry === 'fenced-timeout') expect(t.fenced, t.state).toBe(true);
      if (t.fenced) expect(readCore(t.lambda), `${t.state} runs its transaction through the fence`).toMatch(/stepTransaction\(|FENCE_SQL/);
    }
  });
});
