import { resolve } from 'node:path';
import { Annotations, type CfnElement, CfnOutput, CfnParameter, Duration, Stack, type StackProps, Validations } from 'aws-cdk-lib';
import { SecurityGroup, Vpc } from 'aws-cdk-lib/aws-ec2';
import { Rule } from 'aws-cdk-lib/aws-events';
import { LambdaFunction } from 'aws-cdk-lib/aws-events-targets';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { Bucket } from 'aws-cdk-lib/aws-s3';
import { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import { StringParameter } from 'aws-cdk-lib/aws-ssm';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import type { EnvironmentConfig, FunctionId } from '../config/environments.ts';
import { PROJECT_ROOT } from '../constructs/bundling.ts';
import { FlowlinkFunction, type FlowlinkFunctionProps } from '../constructs/flowlink-function.ts';
import { IMPORT_PREFIX } from '../constructs/import-bucket.ts';
import { ImportStateMachine } from '../constructs/import-state-machine.ts';
import { IntegrityCheckSchedule } from '../constructs/integrity-check-schedule.ts';
import { MigrationsTrigger } from '../constructs/migrations-trigger.ts';
import { Operations } from '../constructs/operations.ts';
import { DATABASE_NAME, parameterName, proxyName, type SharedParameter } from './stateful-stack.ts';

/** Where the Node.js Lambda runtimes keep Amazon's CA certificates, the RDS ones included. */
export const LAMBDA_CA_BUNDLE = '/var/runtime/ca-cert.pem';
import { OutcomeReporting } from '../constructs/outcome-reporting.ts';

/** The workflow definition deployed by default. */
export const WORKFLOW_DEFINITION_FILE = resolve(PROJECT_ROOT, 'workflows', 'import-workflow.asl.json');

export interface StatelessStackProps extends StackProps {
  readonly config: EnvironmentConfig;
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

  private readonly config: EnvironmentConfig;

  constructor(scope: Construct, id: string, props: StatelessStackProps) {
    super(scope, id, props);
    const { config } = props;
    this.config = config;
    // the stateful stack's resources, by the SSM parameters it writes (resolved at deploy time, no export)
    const read = (name: SharedParameter) => StringParameter.valueForStringParameter(this, parameterName(config.stage, name));
    const vpc = Vpc.fromVpcAttributes(this, 'Vpc', {
      vpcId: read('vpc-id'),
      availabilityZones: [...config.availabilityZones],
      isolatedSubnetIds: config.availabilityZones.map((_, i) => read(`isolated-subnet-${i}`)),
    });
    Annotations.of(vpc).acknowledgeWarning(
      '@aws-cdk/aws-ec2:noSubnetRouteTableId',
      'The Lambdas only need the subnet ids; nothing in this stack reads the isolated subnets\' route tables.',
    );
    const databaseClients = SecurityGroup.fromSecurityGroupId(this, 'DatabaseClients', read('database-clients-security-group-id'), { mutable: false });
    const databaseSecret = Secret.fromSecretCompleteArn(this, 'DatabaseSecret', read('database-secret-arn'));
    const importBucketArn = read('import-bucket-arn');

    const base = (fnId: FunctionId) => ({
      vpc,
      securityGroup: databaseClients,
      logRetention: config.logs.retention,
      logRemovalPolicy: config.logs.removalPolicy,
      memorySize: config.lambda.sizes[fnId].memoryMiB,
      timeout: config.lambda.sizes[fnId].timeout,
      ephemeralStorageMiB: config.lambda.sizes[fnId].ephemeralStorageMiB,
      reservedConcurrentExecutions: config.lambda.reservedConcurrency[fnId],
    });
    // TLS verify-full on every connection, against the CA bundle the Lambda runtime ships
    const viaProxy = { DB_SECRET_ARN: databaseSecret.secretArn, DB_HOST: read('proxy-endpoint'), DB_NAME: DATABASE_NAME, DB_CA_BUNDLE: LAMBDA_CA_BUNDLE };
    // advisory locks and long transactions pin RDS Proxy sessions: these connect to the instance
    const direct = { ...viaProxy, DB_HOST: read('database-endpoint') };

    const importBucket = Bucket.fromBucketArn(this, 'ImportBucket', importBucketArn);
    const step = (fnId: FunctionId & string, name: FlowlinkFunctionProps['name'], description: string, extra: Partial<FlowlinkFunctionProps> = {}) =>
      new FlowlinkFunction(this, fnId, { ...base(fnId), name, description, environment: viaProxy, ...extra });

    const storeImport = step('StoreImport', 'store-import', 'Workflow step: streams the dropped file into data_imports + raw_import_records', {
      environment: { ...viaProxy, MAX_OBJECT_BYTES: String(config.maxImportObjectBytes) },
    });
    // HeadObject and GetObject of any version under imports/, nothing else (no listing, no bucket reads)
    storeImport.addToRolePolicy(new PolicyStatement({ actions: ['s3:GetObject', 's3:GetObjectVersion'], resources: [`${importBucketArn}/${IMPORT_PREFIX}*`] }));
    const createMasterFlow = step('CreateMasterFlow', 'create-master-flow', "Workflow step: creates the import's discovery master flow");
    const linkRecords = step('LinkRecords', 'link-records', 'Workflow step: links the import and its raw records to the master flow');
    const startDiscovery = step('StartDiscovery', 'start-discovery', 'Workflow step: creates the discovery flow and runs its phases');
    const validateIntegrity = step('ValidateIntegrity', 'validate-integrity', "Workflow step: checks the flow's integrity, completes it");
    const markFailed = step('MarkFailed', 'mark-failed', 'Workflow step: records the failure on the import and its master flow');
    const reportOutcome = step('ReportOutcome', 'report-outcome', 'Workflow step: writes the outcome report under reports/ of the import bucket');

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
      importBucket, importBucketArnName: this.importBucketArnParameter(), reportFunction: reportOutcome, stateMachine,
    });

    const triggerDeadLetters = deadLetterQueue(this, 'TriggerDeadLetterQueue');
    const trigger = new FlowlinkFunction(this, 'Trigger', {
      ...base('Trigger'),
      name: 'trigger',
      description: 'Starts one import execution per uploaded object version',
      environment: {
        ...viaProxy,
        STATE_MACHINE_ARN: stateMachine.stateMachineArn,
        CHUNK_ROWS: String(config.workflow.chunkRows),
        MAP_CONCURRENCY: String(config.workflow.mapConcurrency),
        MAX_REJECTED_ROWS_PERCENT: String(config.workflow.maxRejectedRowsPercent),
      },
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
      ...base('Backfill'),
      name: 'backfill',
      description: 'Links orphaned rows to their master flows; invoke manually, dry run unless {"apply": true}',
      environment: direct,
    });
    const integrityCheck = new FlowlinkFunction(this, 'IntegrityCheck', {
      ...base('IntegrityCheck'),
      name: 'integrity-check',
      description: 'Full integrity check; publishes one metric per check, HealthScore and CriticalViolations',
      environment: direct,
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
      ...base('Migrations'),
      environment: direct,
      // the schema is migrated before any code or definition that may need it is updated
      executeBefore: [stateMachine, ...steps, trigger, backfill, integrityCheck],
    });

    for (const fn of [...steps, trigger, backfill, integrityCheck, this.migrations.function]) databaseSecret.grantRead(fn);

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
      // StoreImport's transaction-scoped advisory lock pins its proxy session for the container's life
      pinnedSessionsExpected: config.lambda.reservedConcurrency.StoreImport ?? config.lambda.accountConcurrency,
      database: {
        instanceIdentifier: read('database-instance-id'),
        proxyName: proxyName(config.stage),
        maxConnections: config.database.maxConnections,
        allocatedStorageGiB: config.database.allocatedStorageGiB,
      },
    });

    this.acknowledgeFindings(storeImport);
    Validations.of(this).acknowledge({
      id: `AwsSolutions-IAM5[Resource::<${this.getLogicalId(integrityCheck.node.defaultChild as CfnElement)}.Arn>:*]`,
      reason: 'The Scheduler target role may invoke the integrity-check function (and its versions): grantInvoke by aws-scheduler-targets.',
    });
    new CfnOutput(this, 'StateMachineArn', { value: stateMachine.stateMachineArn });
    new CfnOutput(this, 'BackfillFunctionName', { value: backfill.functionName });
    new CfnOutput(this, 'IntegrityCheckFunctionName', { value: integrityCheck.functionName });
    new CfnOutput(this, 'MigrationsFunctionName', { value: this.migrations.function.functionName });
  }

  private acknowledgeFindings(storeImport: FlowlinkFunction): void {
    const reason = 'StoreImport may GetObject/GetObjectVersion any object under the imports/ prefix (any tenant drops there), nothing else.';
    Validations.of(storeImport).acknowledge({ id: `AwsSolutions-IAM5[Resource::${this.importBucketArnParameter()}/${IMPORT_PREFIX}*]`, reason });
  }

  /** How cdk-nag names the import bucket's ARN: the CloudFormation parameter that reads its SSM parameter. */
  private importBucketArnParameter(): string {
    const name = parameterName(this.config.stage, 'import-bucket-arn');
    const parameter = this.node.children.find((c): c is CfnParameter => c instanceof CfnParameter && c.default === name);
    if (!parameter) throw new Error(`no CloudFormation parameter reads ${name}`);
    return `<${this.getLogicalId(parameter)}>`;
  }
}

/** An SQS queue that only receives what could not be delivered (encrypted, TLS only, 14 days). */
function deadLetterQueue(scope: Construct, id: string): Queue {
  const queue = new Queue(scope, id, { encryption: QueueEncryption.SQS_MANAGED, enforceSSL: true, retentionPeriod: Duration.days(14) });
  Validations.of(queue).acknowledge({ id: 'AwsSolutions-SQS3', reason: 'This queue is itself a dead-letter queue.' });
  return queue;
}
