import { resolve } from 'node:path';
import { Annotations, ArnFormat, type CfnElement, CfnOutput, CfnParameter, Duration, Stack, type StackProps, Validations } from 'aws-cdk-lib';
import { SecurityGroup, Vpc } from 'aws-cdk-lib/aws-ec2';
import { Rule } from 'aws-cdk-lib/aws-events';
import { LambdaFunction } from 'aws-cdk-lib/aws-events-targets';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { DatabaseProxy } from 'aws-cdk-lib/aws-rds';
import { Bucket } from 'aws-cdk-lib/aws-s3';
import { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import { StringParameter } from 'aws-cdk-lib/aws-ssm';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import { connectionBudget } from '../config/capacity.ts';
import { ROLES } from '../../db/schema/access.ts';
import type { EnvironmentConfig, FunctionId } from '../config/environments.ts';
import { PROJECT_ROOT } from '../constructs/bundling.ts';
import { FlowlinkFunction, type FlowlinkFunctionProps } from '../constructs/flowlink-function.ts';
import { ImportStateMachine } from '../constructs/import-state-machine.ts';
import { IntegrityCheckSchedule } from '../constructs/integrity-check-schedule.ts';
import { MigrationsTrigger } from '../constructs/migrations-trigger.ts';
import { Operations } from '../constructs/operations.ts';
import { DATABASE_NAME, parameterName, proxyName, type SharedParameter } from './stateful-stack.ts';

/** Where the Node.js Lambda runtimes keep Amazon's CA certificates, the RDS ones included. */
export const LAMBDA_CA_BUNDLE = '/var/runtime/ca-cert.pem';
import { OutcomeReporting } from '../constructs/outcome-reporting.ts';
import { IMPORT_PREFIX, MAPPINGS_PREFIX } from '../../workflows/contracts.ts';
import { PLACEHOLDERS } from '../../workflows/definition.ts';
import { LAMBDAS } from '../../workflows/steps.ts';

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
    Annotations.of(vpc).acknowledgeWarning('@aws-cdk/aws-ec2:noSubnetRouteTableId', "The Lambdas only need the subnet ids; nothing in this stack reads the isolated subnets' route tables.");
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
    // TLS verify-full on every connection, against the CA bundle the Lambda runtime ships. The functions
    // log in as their database role with an IAM token (DB_USER); only the migrations read the master secret.
    const viaProxy = { DB_USER: ROLES.app, DB_HOST: read('proxy-endpoint'), DB_NAME: DATABASE_NAME, DB_CA_BUNDLE: LAMBDA_CA_BUNDLE };
    // advisory locks and long transactions pin RDS Proxy sessions: these connect to the instance
    const asOperator = { ...viaProxy, DB_USER: ROLES.operator, DB_HOST: read('database-endpoint') };
    const asMigrator = { DB_SECRET_ARN: databaseSecret.secretArn, DB_HOST: read('database-endpoint'), DB_NAME: DATABASE_NAME, DB_CA_BUNDLE: LAMBDA_CA_BUNDLE };
    const proxy = DatabaseProxy.fromDatabaseProxyAttributes(this, 'Proxy', {
      dbProxyArn: read('proxy-arn'),
      dbProxyName: proxyName(config.stage),
      endpoint: read('proxy-endpoint'),
      securityGroups: [],
    });
    /** `rds-db:connect` on the instance as `user` (the operator's direct connection). */
    const connectToInstance = (user: string) =>
      new PolicyStatement({
        actions: ['rds-db:connect'],
        resources: [this.formatArn({ service: 'rds-db', resource: 'dbuser', resourceName: `${read('database-resource-id')}/${user}`, arnFormat: ArnFormat.COLON_RESOURCE_NAME })],
      });

    const importBucket = Bucket.fromBucketArn(this, 'ImportBucket', importBucketArn);
    const step = (fnId: FunctionId, description: string, extra: Partial<FlowlinkFunctionProps> = {}) =>
      new FlowlinkFunction(this, fnId, { ...base(fnId), name: LAMBDAS[fnId].folder, description, environment: viaProxy, ...extra });

    const storeImport = step('StoreImport', 'Workflow step: streams the dropped file into data_imports + raw_import_records', {
      environment: { ...viaProxy, MAX_OBJECT_BYTES: String(config.maxImportObjectBytes) },
    });
    // HeadObject and GetObject of any version under imports/, nothing else (no bucket reads)
    storeImport.addToRolePolicy(new PolicyStatement({ actions: ['s3:GetObject', 's3:GetObjectVersion'], resources: [`${importBucketArn}/${IMPORT_PREFIX}*`] }));
    // listing imports/ only: without s3:ListBucket, HeadObject of a missing key is 403, not the 404 read as "does not exist"
    storeImport.addToRolePolicy(new PolicyStatement({ actions: ['s3:ListBucket'], resources: [importBucketArn], conditions: { StringLike: { 's3:prefix': [`${IMPORT_PREFIX}*`] } } }));
    const createMasterFlow = step('CreateMasterFlow', "Workflow step: creates the import's discovery master flow");
    const linkRecords = step('LinkRecords', 'Workflow step: links the import and its raw records to the master flow');
    const startDiscovery = step('StartDiscovery', 'Workflow step: creates the discovery flow and runs its phases');
    const reconcileInventory = step('ReconcileInventory', "Workflow step: matches the drop's assets into the engagement's inventory");
    const validateIntegrity = step('ValidateIntegrity', "Workflow step: checks the flow's integrity, completes it");
    const markFailed = step('MarkFailed', 'Workflow step: records the failure on the import and its master flow');
    const reportOutcome = step('ReportOutcome', 'Workflow step: writes the outcome report under reports/ of the import bucket');

    this.importWorkflow = new ImportStateMachine(this, 'ImportWorkflow', {
      definitionFile: props.definitionFile ?? WORKFLOW_DEFINITION_FILE,
      // each Lambda under its placeholder in the ASL (workflows/steps.ts)
      functions: Object.fromEntries(
        Object.entries({
          StoreImport: storeImport,
          CreateMasterFlow: createMasterFlow,
          LinkRecords: linkRecords,
          StartDiscovery: startDiscovery,
          ReconcileInventory: reconcileInventory,
          ValidateIntegrity: validateIntegrity,
          MarkFailed: markFailed,
          ReportOutcome: reportOutcome,
        } satisfies Record<keyof typeof PLACEHOLDERS, FlowlinkFunction>).map(([id, fn]) => [PLACEHOLDERS[id as keyof typeof PLACEHOLDERS], fn]),
      ),
      logRetention: config.logs.retention,
      logRemovalPolicy: config.logs.removalPolicy,
      logGroupName: `/aws/vendedlogs/states/flowlink-${config.stage}-import`,
    });
    const stateMachine = this.importWorkflow.stateMachine;
    new OutcomeReporting(this, 'OutcomeReporting', {
      importBucket,
      importBucketArnName: this.importBucketArnParameter(),
      reportFunction: reportOutcome,
      stateMachine,
    });

    const triggerDeadLetters = deadLetterQueue(this, 'TriggerDeadLetterQueue');
    const trigger = new FlowlinkFunction(this, 'Trigger', {
      ...base('Trigger'),
      name: LAMBDAS.Trigger.folder,
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
    // a mapping correction file is read by the trigger itself (functions/trigger/route.ts)
    trigger.addToRolePolicy(new PolicyStatement({ actions: ['s3:GetObject', 's3:GetObjectVersion'], resources: [`${importBucketArn}/${MAPPINGS_PREFIX}*`] }));
    new Rule(this, 'ImportObjectCreated', {
      description: `An object created under ${IMPORT_PREFIX} starts an import; under ${MAPPINGS_PREFIX}, it sets mapping corrections`,
      eventPattern: {
        source: ['aws.s3'],
        detailType: ['Object Created'],
        detail: { bucket: { name: [importBucket.bucketName] }, object: { key: [{ prefix: IMPORT_PREFIX }, { prefix: MAPPINGS_PREFIX }] } },
      },
      // delivery failures (throttling, permissions) after EventBridge's retries
      targets: [new LambdaFunction(trigger, { deadLetterQueue: triggerDeadLetters, retryAttempts: 8, maxEventAge: Duration.hours(24) })],
    });

    const backfill = new FlowlinkFunction(this, 'Backfill', {
      ...base('Backfill'),
      name: LAMBDAS.Backfill.folder,
      description: 'Links orphaned rows to their master flows; invoke manually, dry run unless {"apply": true}',
      environment: asOperator,
    });
    const retract = new FlowlinkFunction(this, 'Retract', {
      ...base('Retract'),
      name: LAMBDAS.Retract.folder,
      description: 'Retracts one import (its master flow, assets, inventory observations); invoke manually, dry run unless {"apply": true}',
      environment: asOperator,
    });
    const integrityCheck = new FlowlinkFunction(this, 'IntegrityCheck', {
      ...base('IntegrityCheck'),
      name: LAMBDAS.IntegrityCheck.folder,
      description: 'Full integrity check; publishes one metric per check, HealthScore and CriticalViolations',
      environment: asOperator,
    });
    const scheduleDeadLetters = deadLetterQueue(this, 'ScheduleDeadLetterQueue');
    new IntegrityCheckSchedule(this, 'IntegritySchedule', {
      function: integrityCheck,
      expression: config.integritySchedule.expression,
      deepExpression: config.integritySchedule.deepExpression,
      timeZone: config.integritySchedule.timeZone,
      deadLetterQueue: scheduleDeadLetters,
    });

    const steps = [storeImport, createMasterFlow, linkRecords, startDiscovery, reconcileInventory, validateIntegrity, markFailed, reportOutcome];
    this.migrations = new MigrationsTrigger(this, 'Migrations', {
      ...base('Migrations'),
      environment: asMigrator,
      // the schema is migrated before any code or definition that may need it is updated
      executeBefore: [stateMachine, ...steps, trigger, backfill, retract, integrityCheck],
    });

    // one database user per function, no password anywhere but the migrations' (docs/security.md)
    databaseSecret.grantRead(this.migrations.function);
    for (const fn of [...steps, trigger]) proxy.grantConnect(fn, ROLES.app);
    for (const fn of [backfill, retract, integrityCheck]) fn.addToRolePolicy(connectToInstance(ROLES.operator));

    this.functions = {
      StoreImport: storeImport,
      CreateMasterFlow: createMasterFlow,
      LinkRecords: linkRecords,
      StartDiscovery: startDiscovery,
      ReconcileInventory: reconcileInventory,
      ValidateIntegrity: validateIntegrity,
      MarkFailed: markFailed,
      ReportOutcome: reportOutcome,
      Trigger: trigger,
      Backfill: backfill,
      Retract: retract,
      IntegrityCheck: integrityCheck,
      Migrations: this.migrations.function,
    };
    this.operations = new Operations(this, 'Operations', {
      stateMachine,
      functions: this.functions,
      deadLetterQueues: { TriggerDeadLetterQueue: triggerDeadLetters, ScheduleDeadLetterQueue: scheduleDeadLetters },
      alarmEmail: config.alarms.email,
      dashboardName: `flowlink-${config.stage}`,
      // every proxied step container pins its session (docs/operations/aws-checks.md: RDS Proxy pinning)
      pinnedSessionsExpected: connectionBudget(config).proxyClients,
      // their failures end in MarkFailed and a failed execution; ReportOutcome's are caught (the
      // outcome never changes), so its own Errors alarm is what tells of a missing report
      retriedByWorkflow: ['StoreImport', 'CreateMasterFlow', 'LinkRecords', 'StartDiscovery', 'ReconcileInventory', 'ValidateIntegrity', 'MarkFailed'],
      keyRemovalPolicy: config.logs.removalPolicy,
      database: {
        instanceIdentifier: read('database-instance-id'),
        proxyName: proxyName(config.stage),
        maxConnections: config.database.maxConnections,
        allocatedStorageGiB: config.database.allocatedStorageGiB,
      },
    });

    this.acknowledgeFindings(storeImport, trigger);
    Validations.of(this).acknowledge({
      id: `AwsSolutions-IAM5[Resource::<${this.getLogicalId(integrityCheck.node.defaultChild as CfnElement)}.Arn>:*]`,
      reason: 'The Scheduler target role may invoke the integrity-check function (and its versions): grantInvoke by aws-scheduler-targets.',
    });
    new CfnOutput(this, 'StateMachineArn', { value: stateMachine.stateMachineArn });
    new CfnOutput(this, 'BackfillFunctionName', { value: backfill.functionName });
    new CfnOutput(this, 'RetractFunctionName', { value: retract.functionName });
    new CfnOutput(this, 'IntegrityCheckFunctionName', { value: integrityCheck.functionName });
    new CfnOutput(this, 'MigrationsFunctionName', { value: this.migrations.function.functionName });
  }

  private acknowledgeFindings(storeImport: FlowlinkFunction, trigger: FlowlinkFunction): void {
    const reason = 'StoreImport may GetObject/GetObjectVersion any object under the imports/ prefix (any tenant drops there), nothing else.';
    Validations.of(storeImport).acknowledge({ id: `AwsSolutions-IAM5[Resource::${this.importBucketArnParameter()}/${IMPORT_PREFIX}*]`, reason });
    Validations.of(trigger).acknowledge({
      id: `AwsSolutions-IAM5[Resource::${this.importBucketArnParameter()}/${MAPPINGS_PREFIX}*]`,
      reason: 'The trigger may GetObject/GetObjectVersion any mapping correction file under the mappings/ prefix (any tenant drops there), nothing else.',
    });
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
