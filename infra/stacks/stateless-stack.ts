import { resolve } from 'node:path';
import { type CfnElement, CfnOutput, Duration, Stack, type StackProps, Validations } from 'aws-cdk-lib';
import type { ISecurityGroup, IVpc } from 'aws-cdk-lib/aws-ec2';
import { Rule } from 'aws-cdk-lib/aws-events';
import { LambdaFunction } from 'aws-cdk-lib/aws-events-targets';
import type { IDatabaseInstance, IDatabaseProxy } from 'aws-cdk-lib/aws-rds';
import { Bucket } from 'aws-cdk-lib/aws-s3';
import type { ISecret } from 'aws-cdk-lib/aws-secretsmanager';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import type { EnvironmentConfig } from '../config/environments.ts';
import { PROJECT_ROOT } from '../constructs/bundling.ts';
import { FlowlinkFunction, type FlowlinkFunctionProps } from '../constructs/flowlink-function.ts';
import { IMPORT_PREFIX } from '../constructs/import-bucket.ts';
import { ImportStateMachine } from '../constructs/import-state-machine.ts';
import { IntegrityCheckSchedule } from '../constructs/integrity-check-schedule.ts';
import { MigrationsTrigger } from '../constructs/migrations-trigger.ts';
import { Operations } from '../constructs/operations.ts';
import { OutcomeReporting } from '../constructs/outcome-reporting.ts';

/** The workflow definition deployed by default. */
export const WORKFLOW_DEFINITION_FILE = resolve(PROJECT_ROOT, 'workflows', 'import-workflow.asl.json');

/** What the stateless stack uses from the stateful one. */
export interface StatefulResources {
  readonly vpc: IVpc;
  readonly databaseClients: ISecurityGroup;
  readonly database: IDatabaseInstance;
  readonly databaseSecret: ISecret;
  readonly databaseName: string;
  readonly proxy: IDatabaseProxy;
  /** The import bucket's ARN (an import of the stateful stack's export) and that export's name. */
  readonly importBucketArn: string;
  readonly importBucketArnExportName: string;
}

export interface StatelessStackProps extends StackProps {
  readonly config: EnvironmentConfig;
  readonly stateful: StatefulResources;
  /** @default workflows/import-workflow.asl.json */
  readonly definitionFile?: string;
}

/**
 * Everything that holds no data: the Lambdas, the state machine, the S3 → trigger wiring, the
 * integrity schedule, alarms and the dashboard. Redeploying or destroying it never touches data.
 */
export class StatelessStack extends Stack {
  readonly functions: Record<string, FlowlinkFunction>;
  readonly importWorkflow: ImportStateMachine;
  readonly migrations: MigrationsTrigger;
  readonly operations: Operations;

  constructor(scope: Construct, id: string, props: StatelessStackProps) {
    super(scope, id, props);
    const { config, stateful } = props;
    const base = {
      vpc: stateful.vpc,
      securityGroup: stateful.databaseClients,
      logRetention: config.logs.retention,
      logRemovalPolicy: config.logs.removalPolicy,
    };
    const viaProxy = { DB_SECRET_ARN: stateful.databaseSecret.secretArn, DB_HOST: stateful.proxy.endpoint, DB_NAME: stateful.databaseName };
    // advisory locks and long transactions pin RDS Proxy sessions: these connect to the instance
    const direct = { ...viaProxy, DB_HOST: stateful.database.dbInstanceEndpointAddress };

    const importBucket = Bucket.fromBucketArn(this, 'ImportBucket', stateful.importBucketArn);
    const step = (fnId: string, name: FlowlinkFunctionProps['name'], description: string, extra: Partial<FlowlinkFunctionProps> = {}) =>
      new FlowlinkFunction(this, fnId, { ...base, name, description, environment: viaProxy, reservedConcurrentExecutions: config.concurrency.steps, ...extra });

    const storeImport = step('StoreImport', 'store-import', 'Workflow step: streams the dropped file into data_imports + raw_import_records', {
      timeout: Duration.minutes(15),
      memorySize: 1769,
    });
    importBucket.grantRead(storeImport, `${IMPORT_PREFIX}*`);
    const createMasterFlow = step('CreateMasterFlow', 'create-master-flow', "Workflow step: creates the import's discovery master flow");
    const linkRecords = step('LinkRecords', 'link-records', 'Workflow step: links the import and its raw records to the master flow', { timeout: Duration.minutes(5) });
    const startDiscovery = step('StartDiscovery', 'start-discovery', 'Workflow step: creates the discovery flow and runs its phases', { timeout: Duration.minutes(5) });
    const validateIntegrity = step('ValidateIntegrity', 'validate-integrity', "Workflow step: checks the flow's integrity, completes it", { timeout: Duration.minutes(5) });
    const markFailed = step('MarkFailed', 'mark-failed', 'Workflow step: records the failure on the import and its master flow');
    const reportOutcome = step('ReportOutcome', 'report-outcome', 'Workflow step: writes the outcome report under reports/ of the import bucket', {
      timeout: Duration.seconds(30),
    });

    this.importWorkflow = new ImportStateMachine(this, 'ImportWorkflow', {
      definitionFile: props.definitionFile ?? WORKFLOW_DEFINITION_FILE,
      functions: {
        StoreImportFunctionArn: storeImport,
        CreateMasterFlowFunctionArn: createMasterFlow,
        LinkRecordsFunctionArn: linkRecords,
        StartDiscoveryFunctionArn: startDiscovery,
        ValidateIntegrityFunctionArn: validateIntegrity,
        MarkFailedFunctionArn: markFailed,
        ReportOutcomeFunctionArn: reportOutcome,
      },
      logRetention: config.logs.retention,
      logRemovalPolicy: config.logs.removalPolicy,
    });
    const stateMachine = this.importWorkflow.stateMachine;
    new OutcomeReporting(this, 'OutcomeReporting', {
      importBucket, importBucketArnName: stateful.importBucketArnExportName, reportFunction: reportOutcome, stateMachine,
    });

    const triggerDeadLetters = deadLetterQueue(this, 'TriggerDeadLetterQueue');
    const trigger = new FlowlinkFunction(this, 'Trigger', {
      ...base,
      name: 'trigger',
      description: 'Starts one import execution per uploaded object version',
      environment: {
        ...viaProxy,
        STATE_MACHINE_ARN: stateMachine.stateMachineArn,
        CHUNK_ROWS: String(config.workflow.chunkRows),
        MAP_CONCURRENCY: String(config.workflow.mapConcurrency),
      },
      timeout: Duration.seconds(30),
      reservedConcurrentExecutions: config.concurrency.trigger,
      // function errors after Lambda's own async retries
      deadLetterQueue: triggerDeadLetters,
    });
    stateMachine.grantStartExecution(trigger);
    new Rule(this, 'ImportObjectCreated', {
      description: `An object created under ${IMPORT_PREFIX} of the import bucket starts an import`,
      eventPattern: {
        source: ['aws.s3'],
        detailType: ['Object Created'],
        detail: { bucket: { name: [importBucket.bucketName] }, object: { key: [{ prefix: IMPORT_PREFIX }] } },
      },
      // delivery failures (throttling, permissions) after EventBridge's retries
      targets: [new LambdaFunction(trigger, { deadLetterQueue: triggerDeadLetters, retryAttempts: 8, maxEventAge: Duration.hours(24) })],
    });

    const backfill = new FlowlinkFunction(this, 'Backfill', {
      ...base,
      name: 'backfill',
      description: 'Links orphaned rows to their master flows; invoke manually, dry run unless {"apply": true}',
      environment: direct,
      timeout: Duration.minutes(15),
      memorySize: 1024,
      reservedConcurrentExecutions: 1,
    });
    const integrityCheck = new FlowlinkFunction(this, 'IntegrityCheck', {
      ...base,
      name: 'integrity-check',
      description: 'Full integrity check; publishes one metric per check, HealthScore and CriticalViolations',
      environment: direct,
      timeout: Duration.minutes(15),
      memorySize: 1024,
    });
    const scheduleDeadLetters = deadLetterQueue(this, 'ScheduleDeadLetterQueue');
    new IntegrityCheckSchedule(this, 'IntegritySchedule', {
      function: integrityCheck,
      expression: config.integritySchedule.expression,
      deepExpression: config.integritySchedule.deepExpression,
      timeZone: config.integritySchedule.timeZone,
      deadLetterQueue: scheduleDeadLetters,
    });

    const steps = [storeImport, createMasterFlow, linkRecords, startDiscovery, validateIntegrity, markFailed, reportOutcome];
    this.migrations = new MigrationsTrigger(this, 'Migrations', {
      ...base,
      environment: direct,
      // the schema is migrated before any code or definition that may need it is updated
      executeBefore: [stateMachine, ...steps, trigger, backfill, integrityCheck],
    });

    for (const fn of [...steps, trigger, backfill, integrityCheck, this.migrations.function]) stateful.databaseSecret.grantRead(fn);

    this.functions = {
      StoreImport: storeImport,
      CreateMasterFlow: createMasterFlow,
      LinkRecords: linkRecords,
      StartDiscovery: startDiscovery,
      ValidateIntegrity: validateIntegrity,
      MarkFailed: markFailed,
      ReportOutcome: reportOutcome,
      Trigger: trigger,
      Backfill: backfill,
      IntegrityCheck: integrityCheck,
      Migrations: this.migrations.function,
    };
    this.operations = new Operations(this, 'Operations', {
      stateMachine,
      functions: this.functions,
      deadLetterQueues: { TriggerDeadLetterQueue: triggerDeadLetters, ScheduleDeadLetterQueue: scheduleDeadLetters },
      alarmEmail: config.alarms.email,
      dashboardName: `flowlink-${config.stage}`,
    });

    this.acknowledgeFindings(storeImport, stateful.importBucketArnExportName);
    Validations.of(this).acknowledge({
      id: `AwsSolutions-IAM5[Resource::<${this.getLogicalId(integrityCheck.node.defaultChild as CfnElement)}.Arn>:*]`,
      reason: 'The Scheduler target role may invoke the integrity-check function (and its versions): grantInvoke by aws-scheduler-targets.',
    });
    new CfnOutput(this, 'StateMachineArn', { value: stateMachine.stateMachineArn });
    new CfnOutput(this, 'BackfillFunctionName', { value: backfill.functionName });
    new CfnOutput(this, 'IntegrityCheckFunctionName', { value: integrityCheck.functionName });
    new CfnOutput(this, 'MigrationsFunctionName', { value: this.migrations.function.functionName });
  }

  private acknowledgeFindings(storeImport: FlowlinkFunction, bucketArnExport: string): void {
    const reason = 'bucket.grantRead(fn, "imports/*"): StoreImport reads any object version under the imports/ prefix, nothing else.';
    Validations.of(storeImport).acknowledge({ id: `AwsSolutions-IAM5[Resource::${bucketArnExport}/${IMPORT_PREFIX}*]`, reason });
    for (const action of ['s3:GetObject*', 's3:GetBucket*', 's3:List*']) {
      Validations.of(storeImport).acknowledge({ id: `AwsSolutions-IAM5[Action::${action}]`, reason });
    }
  }
}

/** An SQS queue that only receives what could not be delivered (encrypted, TLS only, 14 days). */
function deadLetterQueue(scope: Construct, id: string): Queue {
  const queue = new Queue(scope, id, { encryption: QueueEncryption.SQS_MANAGED, enforceSSL: true, retentionPeriod: Duration.days(14) });
  Validations.of(queue).acknowledge({ id: 'AwsSolutions-SQS3', reason: 'This queue is itself a dead-letter queue.' });
  return queue;
}
