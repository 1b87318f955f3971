import { Duration } from 'aws-cdk-lib';
import { InvocationType, Trigger } from 'aws-cdk-lib/triggers';
import { Construct } from 'constructs';
import { LAMBDAS } from '../../workflows/steps.ts';
import { FlowlinkFunction, type FlowlinkFunctionProps } from './flowlink-function.ts';

/** Where the bundled SQL migrations sit in the Lambda package (the env MIGRATIONS_FOLDER). */
export const LAMBDA_MIGRATIONS_FOLDER = '/var/task/migrations';

export interface MigrationsTriggerProps extends Omit<FlowlinkFunctionProps, 'name' | 'description' | 'commandHooks'> {
  /** What must only change once the schema is migrated: the state machine, the step Lambdas. */
  readonly executeBefore: Construct[];
}

/**
 * The migrations Lambda and the CDK trigger that runs it during a deploy, before anything that needs
 * the new schema is updated.
 *
 * Primary course:
 * 1. Bundles the function with db/migrations copied beside the code (MIGRATIONS_FOLDER).
 * 2. Two deploys never migrate at once: the migration advisory lock serialises them (and, where the
 *    environment reserves it, a reserved concurrency of 1).
 * 3. A Trigger invokes it synchronously whenever its bundle changes (code or SQL; a first deploy
 *    creates it, so it runs); a failure fails the deploy before `executeBefore` is touched.
 *
 * @example
 * new MigrationsTrigger(this, 'Migrations', { vpc, securityGroup, environment, logRetention, logRemovalPolicy, executeBefore: [stateMachine] });
 */
export class MigrationsTrigger extends Construct {
  readonly function: FlowlinkFunction;
  readonly trigger: Trigger;

  constructor(scope: Construct, id: string, props: MigrationsTriggerProps) {
    super(scope, id);
    const { executeBefore, ...functionProps } = props;
    this.function = new FlowlinkFunction(this, 'Function', {
      ...functionProps,
      name: LAMBDAS.Migrations.folder,
      description: 'Applies pending PostgreSQL migrations (run by a CDK trigger on deploy)',
      timeout: props.timeout ?? Duration.minutes(15),
      environment: { ...props.environment, MIGRATIONS_FOLDER: LAMBDA_MIGRATIONS_FOLDER },
      commandHooks: {
        beforeBundling: () => [],
        beforeInstall: () => [],
        afterBundling: (inputDir, outputDir) => [`cp -R "${inputDir}/db/migrations" "${outputDir}/migrations"`],
      },
    });
    this.trigger = new Trigger(this, 'Trigger', {
      handler: this.function,
      invocationType: InvocationType.REQUEST_RESPONSE,
      timeout: props.timeout ?? Duration.minutes(15),
      executeOnHandlerChange: true,
      executeBefore,
    });
  }
}
