import { randomUUID } from 'node:crypto';
import type { Context } from 'aws-lambda';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { useTestDatabase } from '../support/db.ts';
import { synthStage } from './synth.ts';

/**
 * The budget rule on the deployed definition: each Lambda Task of the synthesized state machine is
 * run through its real handler, which sees the synthesized Lambda's timeout as its remaining time
 * (as on AWS). The bounds it then applies to its database work must end within the Task's
 * TimeoutSeconds: a States.Timeout retry fences its predecessor only once that one's deadline has
 * passed.
 */

type Task = { Type: string; Resource?: string; TimeoutSeconds?: number; ItemProcessor?: { States: Record<string, Task> } };

function lambdaTasks(states: Record<string, Task>): [string, Task][] {
  return Object.entries(states).flatMap(([name, state]) => [
    ...(state.Type === 'Task' && /^\$\{\w+\}$/.test(state.Resource ?? '') ? [[name, state] as [string, Task]] : []),
    ...(state.ItemProcessor ? lambdaTasks(state.ItemProcessor.States) : []),
  ]);
}

/** A Lambda's handler folder from its ASL placeholder: StartDiscoveryFunctionArn → start-discovery. */
const folderOf = (placeholder: string) => placeholder.replace(/FunctionArn$/, '').replace(/[A-Z]/g, (c, i) => `${i ? '-' : ''}${c.toLowerCase()}`);

/** The `action` of the Tasks that share a Lambda (what the ASL Parameters set). */
const ACTIONS: Record<string, string> = {
  LinkChunk: 'chunk',
  FinishLink: 'finish',
  PlanDiscovery: 'plan',
  DiscoverChunk: 'chunk',
  FinishDiscovery: 'finish',
  ReconcileChunk: 'chunk',
  FinishReconcile: 'finish',
};

/** One input every step schema accepts (each keeps the fields it knows). */
function inputFor(task: string): Record<string, unknown> {
  const ids = { clientAccountId: randomUUID(), engagementId: randomUUID(), dataImportId: randomUUID(), flowId: randomUUID(), discoveryFlowId: randomUUID() };
  const object = { bucket: 'imports-bucket', key: 'imports/budget.csv', versionId: null, etag: null, size: null };
  const state = { ...object, ...ids, error: { Error: 'TransientError', Cause: 'x' } };
  return { ...state, action: ACTIONS[task], fromRow: 1, chunkRows: 1, chunk: 0, chunks: 1, rowCount: 0, status: 'failed', execution: 'budget', state };
}

describe('the budget rule: a step bounds its database work by the smaller of its Lambda timeout and its Task TimeoutSeconds', () => {
  const database = useTestDatabase();
  const { stateless$ } = synthStage('prod');
  const resources = stateless$.toJSON().Resources as Record<string, { Type: string; Properties: Record<string, any> }>;
  const [machine] = Object.values(resources).filter((r) => r.Type === 'AWS::StepFunctions::StateMachine');
  const definition = JSON.parse(machine!.Properties.DefinitionString);
  const substitutions = machine!.Properties.DefinitionSubstitutions as Record<string, { 'Fn::GetAtt': [string, string] }>;
  const tasks = lambdaTasks(definition.States).map(([name, task]) => {
    const placeholder = /^\$\{(\w+)\}$/.exec(task.Resource!)![1]!;
    const lambdaTimeoutS = Number(resources[substitutions[placeholder]!['Fn::GetAtt'][0]]!.Properties.Timeout);
    return { name, folder: folderOf(placeholder), taskTimeoutS: task.TimeoutSeconds!, lambdaTimeoutS };
  });

  afterAll(async () => {
    const { closeLambdaDatabase } = await import('../../functions/_shared/database.ts');
    await closeLambdaDatabase({ timeout: 0 }).catch(() => {});
    vi.unstubAllEnvs();
  });

  it('the definition has Tasks whose TimeoutSeconds is shorter than their Lambda timeout (the case the rule is for)', () => {
    expect(tasks.filter((t) => t.taskTimeoutS < t.lambdaTimeoutS).map((t) => t.name)).toEqual(expect.arrayContaining(['PlanDiscovery', 'FinishDiscovery']));
  });

  it('every Lambda Task: budget = min(Lambda timeout, TimeoutSeconds), deadline within TimeoutSeconds', async () => {
    // an empty tenant: each handler sets its bounds, then fails (nothing to work on) or does nothing
    vi.stubEnv('DATABASE_URL', database.current.url);
    vi.stubEnv('S3_ENDPOINT', 'http://127.0.0.1:9');
    vi.stubEnv('AWS_REGION', 'eu-west-1');
    vi.stubEnv('AWS_ACCESS_KEY_ID', 'x');
    vi.stubEnv('AWS_SECRET_ACCESS_KEY', 'x');
    vi.stubEnv('POWERTOOLS_LOG_LEVEL', 'SILENT');
    vi.resetModules();
    const { currentBounds } = await import('../../functions/_shared/step-bounds.ts');
    const seen: Record<string, { budgetMs: number; deadlineMs: number; statementTimeoutMs: number }> = {};
    const wanted: Record<string, { budgetMs: number; deadlineWithinTask: boolean }> = {};
    for (const task of tasks) {
      const { handler } = (await import(`../../functions/${task.folder}/handler.ts`)) as { handler: (e: unknown, c: Context) => Promise<unknown> };
      const context = { functionName: `flowlink-${task.folder}`, awsRequestId: randomUUID(), getRemainingTimeInMillis: () => task.lambdaTimeoutS * 1000 } as unknown as Context;
      await handler(inputFor(task.name), context).catch(() => {});
      const { budgetMs, deadlineMs, statementTimeoutMs } = currentBounds();
      seen[task.name] = { budgetMs, deadlineMs, statementTimeoutMs };
      wanted[task.name] = { budgetMs: Math.min(task.lambdaTimeoutS, task.taskTimeoutS) * 1000, deadlineWithinTask: true };
    }
    const got = Object.fromEntries(
      Object.entries(seen).map(([name, b]) => [
        name,
        {
          budgetMs: b.budgetMs,
          deadlineWithinTask: b.deadlineMs < tasks.find((t) => t.name === name)!.taskTimeoutS * 1000,
        },
      ]),
    );
    expect(got).toEqual(wanted);
    // StoreImport's work is one COPY: the server lets it run until just before the deadline
    expect(seen.StoreImport!.statementTimeoutMs).toBeGreaterThan(0.85 * seen.StoreImport!.budgetMs);
    expect(seen.StoreImport!.statementTimeoutMs).toBeLessThan(seen.StoreImport!.deadlineMs);
  }, 60_000);
});
