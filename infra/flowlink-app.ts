import { type App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { EnvironmentConfig } from './config/environments.ts';
import { DATABASE_NAME, StatefulStack } from './stacks/stateful-stack.ts';
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
    stateful: {
      vpc: stateful.vpc,
      databaseClients: stateful.databaseClients,
      database: stateful.database,
      databaseSecret: stateful.databaseSecret,
      databaseName: DATABASE_NAME,
      proxy: stateful.proxy,
      importBucketArn: stateful.importBucketArnImport,
      importBucketArnExportName: stateful.importBucketArnExportName,
    },
  });
  // explicit: the bucket ARN arrives through a named export, which the CDK cannot trace
  stateless.addStackDependency(stateful, 'the stateless stack imports the stateful exports');
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  return { stateful, stateless };
}
