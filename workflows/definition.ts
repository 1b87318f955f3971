import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { LAMBDA_IDS, LAMBDAS, STEP_TASKS, type LambdaContract, type WorkflowLambdaId } from './steps.ts';

/** The ASL file: the only definition of the import workflow, deployed by the CDK and run locally. */
export const DEFINITION_FILE = resolve(import.meta.dirname, 'import-workflow.asl.json');

/** The Lambdas of the workflow's steps (the outcome report aside): each one's Task states share its `${...}` placeholder. */
export type StepFunction = Exclude<WorkflowLambdaId, 'ReportOutcome'>;
export const STEP_FUNCTIONS = LAMBDA_IDS.filter((id): id is StepFunction => 'tasks' in LAMBDAS[id] && id !== 'ReportOutcome');

/**
 * The top-level states that do work, in execution order (MarkFailed is the failure path, not part
 * of the chain). LinkRecords, StartDiscovery and ReconcileInventory are Map states over the import's row ranges; a
 * redrive continues from the one of these that failed.
 */
export const STEP_STATES = [
  'StoreImport',
  'CreateMasterFlow',
  'LinkRecords',
  'FinishLink',
  'PlanDiscovery',
  'StartDiscovery',
  'FinishDiscovery',
  'ReconcileInventory',
  'FinishReconcile',
  'ValidateIntegrity',
] as const;
export type StepState = (typeof STEP_STATES)[number];

/** The Map states and the Task each runs per chunk. */
export const CHUNK_STATES = { LinkRecords: 'LinkChunk', StartDiscovery: 'DiscoverChunk', ReconcileInventory: 'ReconcileChunk' } as const;

/** Every Task state of the steps (the chunk Tasks inside the Maps included) and the Lambda it invokes. */
export const TASK_FUNCTIONS = Object.fromEntries(
  Object.values(STEP_TASKS)
    .filter((t) => t.lambda !== 'ReportOutcome')
    .map((t) => [t.state, t.lambda]),
) as Record<TaskState, StepFunction>;
export type TaskState = { [K in StepFunction]: keyof (typeof LAMBDAS)[K]['tasks'] & string }[StepFunction];
export const TASK_STATES = Object.keys(TASK_FUNCTIONS) as TaskState[];

/** The states a redrive can continue from: the steps and MarkFailed. */
export const REDRIVE_STATES: readonly string[] = [...STEP_STATES, 'MarkFailed'];

/**
 * The outcome states at the end of either path: the report (Lambda report-outcome, for both) and
 * its EventBridge event (the native putEvents integration). They never change the outcome.
 */
export const OUTCOME_STATES = ['ReportSucceeded', 'PublishSucceeded', 'ReportFailed', 'PublishFailed'] as const;
export type OutcomeState = (typeof OUTCOME_STATES)[number];
export const PUBLISH_STATES = ['PublishSucceeded', 'PublishFailed'] as const satisfies readonly OutcomeState[];
/** Every Task state of the definition: what the local runner provides a handler for. */
export type LocalTaskState = TaskState | OutcomeState;
export const LOCAL_TASK_STATES: readonly LocalTaskState[] = [...TASK_STATES, ...OUTCOME_STATES];

/** The `${...}` placeholder of each Lambda's Task Resource: the CDK's definitionSubstitutions keys. */
export const PLACEHOLDERS = Object.fromEntries(
  LAMBDA_IDS.flatMap((id) => {
    const c: LambdaContract = LAMBDAS[id];
    return c.placeholder ? [[id, c.placeholder]] : [];
  }),
) as { readonly [K in WorkflowLambdaId]: (typeof LAMBDAS)[K]['placeholder'] };

/** Every Task state of a definition, the ones nested in Map/Parallel states included. */
export function taskStatesOf(definition: { States: Record<string, Record<string, unknown>> }): Record<string, Record<string, unknown>> {
  const found: Record<string, Record<string, unknown>> = {};
  const visit = (states: Record<string, Record<string, unknown>>) => {
    for (const [name, state] of Object.entries(states)) {
      if (state.Type === 'Task') found[name] = state;
      const nested = (state.ItemProcessor ?? state.Iterator) as { States: Record<string, Record<string, unknown>> } | undefined;
      if (nested) visit(nested.States);
      for (const branch of (state.Branches as { States: Record<string, Record<string, unknown>> }[] | undefined) ?? []) visit(branch.States);
    }
  };
  visit(definition.States);
  return found;
}

/** The placeholder names, for CDK definitionSubstitutions. */
export const PLACEHOLDER_NAMES = Object.values(PLACEHOLDERS);
export type Substitutions = Record<(typeof PLACEHOLDER_NAMES)[number], string>;

/** The raw ASL text, placeholders intact (what the CDK hands to DefinitionBody.fromString). */
export function readDefinitionText(): string {
  return readFileSync(DEFINITION_FILE, 'utf8');
}

/**
 * The definition with every `${Name}` placeholder replaced. Throws when a substitution is missing
 * or the file names a placeholder we do not know, so the CDK and the local runner cannot drift.
 */
export function loadDefinition(substitutions: Substitutions): { StartAt: string; States: Record<string, Record<string, unknown>> } & Record<string, unknown> {
  const text = readDefinitionText().replace(/\$\{(\w+)\}/g, (_, name: string) => {
    const value = (substitutions as Record<string, string | undefined>)[name];
    if (value === undefined) throw new Error(`${DEFINITION_FILE}: no substitution for \${${name}}`);
    return value;
  });
  return JSON.parse(text);
}

/** Lambda-looking ARNs for the local runner (its Task overrides never call them). */
export function localSubstitutions(region = 'us-east-1', account = '000000000000'): Substitutions {
  return Object.fromEntries(Object.entries(PLACEHOLDERS).map(([fn, name]) => [name, `arn:aws:lambda:${region}:${account}:function:flowlink-${fn}`])) as Substitutions;
}
