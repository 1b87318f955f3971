import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';

/** The ASL file: the only definition of the import workflow, deployed by the CDK and run locally. */
export const DEFINITION_FILE = resolve(import.meta.dirname, 'import-workflow.asl.json');

/** Task states in execution order (MarkFailed is the failure path, not part of the chain). */
export const STEP_STATES = ['StoreImport', 'CreateMasterFlow', 'LinkRecords', 'StartDiscovery', 'ValidateIntegrity'] as const;
export const TASK_STATES = [...STEP_STATES, 'MarkFailed'] as const;
export type TaskState = (typeof TASK_STATES)[number];

/**
 * The outcome states at the end of either path: the report (Lambda report-outcome, for both) and
 * its EventBridge event (the native putEvents integration). They never change the outcome.
 */
export const OUTCOME_STATES = ['ReportSucceeded', 'PublishSucceeded', 'ReportFailed', 'PublishFailed'] as const;
export type OutcomeState = (typeof OUTCOME_STATES)[number];
export const PUBLISH_STATES = ['PublishSucceeded', 'PublishFailed'] as const satisfies readonly OutcomeState[];
/** Every Task state of the definition: what the local runner provides a handler for. */
export const LOCAL_TASK_STATES = [...TASK_STATES, ...OUTCOME_STATES] as const;
export type LocalTaskState = (typeof LOCAL_TASK_STATES)[number];

/** The `${...}` placeholder of each Lambda's ARN: the CDK's definitionSubstitutions keys. */
export const PLACEHOLDERS = {
  StoreImport: 'StoreImportFunctionArn',
  CreateMasterFlow: 'CreateMasterFlowFunctionArn',
  LinkRecords: 'LinkRecordsFunctionArn',
  StartDiscovery: 'StartDiscoveryFunctionArn',
  ValidateIntegrity: 'ValidateIntegrityFunctionArn',
  MarkFailed: 'MarkFailedFunctionArn',
  ReportOutcome: 'ReportOutcomeFunctionArn',
} as const satisfies Record<TaskState | 'ReportOutcome', string>;

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
  return Object.fromEntries(
    Object.entries(PLACEHOLDERS).map(([task, name]) => [name, `arn:aws:lambda:${region}:${account}:function:flowlink-${task}`]),
  ) as Substitutions;
}
