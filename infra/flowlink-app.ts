import { type App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { EnvironmentConfig } from './config/environments.ts';
import { assertCapacity } from './config/capacity.ts';
import { StatefulStack } from './stacks/stateful-stack.ts';
import { StatelessStack } from './stacks/stateless-stack.ts';

export interface FlowlinkStacks {
  readonly stateful: StatefulStack;
  readonly stateless: StatelessStack;
}

/**
 * Adds one environment of flowlink to `app`: its stateful and stateless stacks, checked by cdk-nag's
 * AwsSolutions pack (any unacknowledged finding fails the synth).
 *
 * @example
 * const app = new App();
 * addFlowlink(app, environments.dev);
 */
export function addFlowlink(app: App, config: EnvironmentConfig, options: { definitionFile?: string } = {}): FlowlinkStacks {
  // fail the synth, with the reason, when the reservations or connections cannot fit the account and database
  assertCapacity(config);
  const env = { account: config.account, region: config.region };
  const tags = { project: 'flowlink', stage: config.stage };
  const stateful = new StatefulStack(app, `flowlink-${config.stage}-stateful`, {
    env,
    tags,
    config,
    description: `flowlink ${config.stage}: data (VPC, PostgreSQL, RDS Proxy, import bucket)`,
  });
  const stateless = new StatelessStack(app, `flowlink-${config.stage}-stateless`, {
    env,
    tags,
    config,
    description: `flowlink ${config.stage}: workflow, Lambdas, schedule, alarms`,
    definitionFile: options.definitionFile,
  });
  // explicit: the stateless stack reads the stateful one's SSM parameters, which the CDK cannot trace
  stateless.addStackDependency(stateful, 'the stateless stack reads the SSM parameters the stateful stack writes');
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  return { stateful, stateless };
}
