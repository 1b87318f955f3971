import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { App, type Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import type { CloudAssembly } from 'aws-cdk-lib/cx-api';
import { environments, type Stage } from '../../infra/config/environments.ts';
import { addFlowlink, type FlowlinkStacks } from '../../infra/flowlink-app.ts';

const root = resolve(import.meta.dirname, '..', '..');

/** The context `cdk synth` gets from cdk.json, plus no bundling (assertions need no code assets). */
export function testContext(): Record<string, unknown> {
  const cdkJson = JSON.parse(readFileSync(join(root, 'cdk.json'), 'utf8')) as { context: Record<string, unknown> };
  return { ...cdkJson.context, 'aws:cdk:bundling-stacks': [] };
}

export interface SynthesizedStage extends FlowlinkStacks {
  readonly app: App;
  readonly assembly: CloudAssembly;
  readonly stateful$: Template;
  readonly stateless$: Template;
}

export interface SynthOptions {
  /** Bundle the Lambdas with esbuild, as `cdk synth` does (slower). @default false */
  readonly bundling?: boolean;
}

const cache = new Map<string, SynthesizedStage>();

/**
 * One environment synthesized like `cdk synth -c stage=<stage>` (cdk-nag included: a finding
 * throws), once per test file, stage and options.
 */
export function synthStage(stage: Stage, options: SynthOptions = {}): SynthesizedStage {
  const key = `${stage}:${options.bundling ?? false}`;
  const cached = cache.get(key);
  if (cached) return cached;
  const context = testContext();
  if (options.bundling) delete context['aws:cdk:bundling-stacks'];
  const app = new App({
    context,
    outdir: mkdtempSync(join(tmpdir(), `flowlink-cdk-${stage}-`)),
    // the CDK's own template linter (warnings only, about 10 s of CPU); `cdk synth` in CI runs it
    builtinCloudFormationValidation: false,
  });
  const stacks = addFlowlink(app, environments[stage]);
  const assembly = app.synth();
  const template = (stack: Stack) => Template.fromJSON(assembly.getStackByName(stack.stackName).template);
  const result = { app, assembly, ...stacks, stateful$: template(stacks.stateful), stateless$: template(stacks.stateless) };
  cache.set(key, result);
  return result;
}

/** The CloudFormation logical id of a construct's default resource. */
export function logicalId(stack: Stack, construct: { node: { defaultChild?: unknown } }): string {
  return stack.getLogicalId(construct.node.defaultChild as Parameters<Stack['getLogicalId']>[0]);
}
