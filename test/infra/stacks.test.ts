import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { App, Stack, Validations } from 'aws-cdk-lib';
import { Bucket } from 'aws-cdk-lib/aws-s3';
import { AwsSolutionsChecks } from 'cdk-nag';
import { describe, expect, it } from 'vitest';
import { environments, STAGES } from '../../infra/config/environments.ts';
import { FLOWLINK_METRICS } from '../../infra/constructs/operations.ts';
import { INTEGRITY_METRICS } from '../../functions/integrity-check/integrity-check.ts';
import {
  loadDefinition,
  OUTCOME_STATES,
  PLACEHOLDERS,
  PUBLISH_STATES,
  readDefinitionText,
  STEP_FUNCTIONS,
  TASK_FUNCTIONS,
  TASK_STATES,
  taskStatesOf,
  type Substitutions,
} from '../../workflows/definition.ts';
import { logicalId, synthStage, testContext } from './synth.ts';

type Resource = { Type: string; Properties: Record<string, any>; DependsOn?: string[] };
const root = resolve(import.meta.dirname, '..', '..');
const resourcesOf = (template: { toJSON(): any }) => template.toJSON().Resources as Record<string, Resource>;
const ofType = (template: { toJSON(): any }, type: string) => Object.entries(resourcesOf(template)).filter(([, r]) => r.Type === type);

/** Actions that read or move data: never allowed on every resource. */
const DATA_ACTIONS = [
  's3:GetObject',
  's3:GetObjectVersion',
  's3:PutObject',
  's3:DeleteObject',
  'secretsmanager:GetSecretValue',
  'rds-db:connect',
  'states:StartExecution',
  'lambda:InvokeFunction',
  'sqs:SendMessage',
  'sqs:ReceiveMessage',
  'kms:Decrypt',
];
const actionCovers = (action: string, dataAction: string) => new RegExp(`^${action.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*')}$`, 'i').test(dataAction);
const asArray = <T>(x: T | T[] | undefined): T[] => (x === undefined ? [] : Array.isArray(x) ? x : [x]);

describe.each(STAGES)('the %s environment', (stage) => {
  const config = environments[stage];

  it('synthesizes offline with no unacknowledged cdk-nag (AwsSolutions) finding, error or warning', () => {
    // Act (synthStage throws on any error finding)
    const { assembly } = synthStage(stage);
    const report = JSON.parse(readFileSync(join(assembly.directory, 'validation-report.json'), 'utf8')) as {
      pluginReports: { pluginName: string; violations: { ruleName: string; severity: string }[] }[];
    };

    // Assess: no warnings either
    expect(report.pluginReports.flatMap((p) => p.violations.map((v) => `${p.pluginName} ${v.ruleName} (${v.severity})`))).toEqual([]);
  });

  it('protects the stateful stack from termination only in prod, never the stateless one', () => {
    const { assembly, stateful, stateless } = synthStage(stage);
    expect(assembly.getStackByName(stateful.stackName).terminationProtection ?? false).toBe(stage === 'prod');
    expect(assembly.getStackByName(stateless.stackName).terminationProtection ?? false).toBe(false);
  });

  it('pins the environment account and region on both stacks, the stateless deployed after the stateful', () => {
    const { assembly, stateful, stateless } = synthStage(stage);
    expect(assembly.getStackByName(stateless.stackName).dependencies.map((d) => d.id)).toContain(stateful.artifactId);
    for (const stack of [stateful, stateless]) {
      expect(assembly.getStackByName(stack.stackName).environment).toMatchObject({ account: config.account, region: config.region });
    }
  });

  it('denies every non-TLS request to the import bucket, and keeps it private, encrypted, versioned and logged', () => {
    const { stateful$, stateful } = synthStage(stage);
    const bucketId = logicalId(stateful, stateful.importBucket);
    const bucket = resourcesOf(stateful$)[bucketId]!.Properties;
    const [, policy] = ofType(stateful$, 'AWS::S3::BucketPolicy').find(([, p]) => p.Properties.Bucket?.Ref === bucketId)!;

    expect(policy.Properties.PolicyDocument.Statement).toContainEqual(
      expect.objectContaining({ Effect: 'Deny', Action: 's3:*', Principal: { AWS: '*' }, Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
    );
    expect(bucket.PublicAccessBlockConfiguration).toEqual({ BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true });
    expect(bucket.VersioningConfiguration).toEqual({ Status: 'Enabled' });
    expect(bucket.BucketEncryption.ServerSideEncryptionConfiguration[0].ServerSideEncryptionByDefault.SSEAlgorithm).toBe('AES256');
    expect(bucket.LoggingConfiguration.DestinationBucketName).toHaveProperty('Ref');
    expect(bucket.LifecycleConfiguration.Rules[0]).toMatchObject({
      Status: 'Enabled',
      NoncurrentVersionExpiration: { NoncurrentDays: config.importBucket.noncurrentVersionExpiration.toDays() },
      AbortIncompleteMultipartUpload: { DaysAfterInitiation: 7 },
    });
    const [, notifications] = ofType(stateful$, 'Custom::S3BucketNotifications')[0]!;
    expect(notifications.Properties.BucketName).toEqual({ Ref: bucketId });
    expect(notifications.Properties.NotificationConfiguration).toEqual({ EventBridgeConfiguration: {} });
  });

  it('runs PostgreSQL pinned, encrypted, backed up, private, behind a TLS-only RDS Proxy', () => {
    const { stateful$ } = synthStage(stage);
    const [[, db]] = ofType(stateful$, 'AWS::RDS::DBInstance') as [[string, Resource]];
    expect(db.Properties).toMatchObject({
      Engine: 'postgres',
      EngineVersion: config.database.postgresFullVersion,
      AutoMinorVersionUpgrade: false,
      StorageEncrypted: true,
      PubliclyAccessible: false,
      MultiAZ: config.database.multiAz,
      BackupRetentionPeriod: config.database.backupRetention.toDays(),
      DeletionProtection: stage === 'prod',
      DBInstanceClass: `db.${config.database.instanceType}`,
    });
    const [[, proxy]] = ofType(stateful$, 'AWS::RDS::DBProxy') as [[string, Resource]];
    expect(proxy.Properties.RequireTLS).toBe(true);
    expect(proxy.Properties.DBProxyName).toBe(`flowlink-${stage}-proxy`);
    const [[, targets]] = ofType(stateful$, 'AWS::RDS::DBProxyTargetGroup') as [[string, Resource]];
    // below 100: the rest of max_connections stays for the direct clients
    expect(targets.Properties.ConnectionPoolConfigurationInfo.MaxConnectionsPercent).toBe(config.database.proxyMaxConnectionsPercent);
    expect(config.database.proxyMaxConnectionsPercent).toBeLessThan(100);
  });

  it('needs no NAT: isolated subnets and VPC endpoints for exactly the APIs the code calls (S3, Step Functions, Secrets Manager)', () => {
    const { stateful$ } = synthStage(stage);
    expect(ofType(stateful$, 'AWS::EC2::NatGateway')).toEqual([]);
    expect(ofType(stateful$, 'AWS::EC2::InternetGateway')).toEqual([]);
    expect(ofType(stateful$, 'AWS::EC2::Subnet')).toHaveLength(config.availabilityZones.length);
    const services = ofType(stateful$, 'AWS::EC2::VPCEndpoint').map(([, e]) => JSON.stringify(e.Properties.ServiceName).match(/\.([a-z0-9-]+)"/)?.[1]);
    expect(services.sort()).toEqual(['s3', 'secretsmanager', 'states']);
    // what the functions' code imports from the AWS SDK: one endpoint each
    const sdkClients = new Set(
      readdirSync(join(root, 'functions'), { recursive: true, encoding: 'utf8' })
        .filter((f) => f.endsWith('.ts'))
        .flatMap((f) => [...readFileSync(join(root, 'functions', f), 'utf8').matchAll(/from '@aws-sdk\/client-([a-z0-9-]+)'/g)].map((m) => m[1])),
    );
    expect([...sdkClients].sort()).toEqual(['s3', 'secrets-manager', 'sfn']);
  });

  it('grants no data action on every resource ("*") in either stack', () => {
    const { stateful$, stateless$ } = synthStage(stage);
    const offending: string[] = [];
    for (const template of [stateful$, stateless$]) {
      const statements = [
        ...ofType(template, 'AWS::IAM::Policy').flatMap(([id, p]) => asArray(p.Properties.PolicyDocument.Statement).map((s: any) => [id, s] as const)),
        ...ofType(template, 'AWS::IAM::Role').flatMap(([id, r]) => asArray(r.Properties.Policies).flatMap((p: any) => asArray(p.PolicyDocument.Statement).map((s: any) => [id, s] as const))),
      ];
      for (const [id, statement] of statements) {
        if (statement.Effect !== 'Allow' || !asArray(statement.Resource).includes('*')) continue;
        const data = asArray<string>(statement.Action).filter((a) => DATA_ACTIONS.some((d) => actionCovers(a, d)));
        if (data.length > 0) offending.push(`${id}: ${data.join(', ')} on *`);
      }
    }
    expect(offending).toEqual([]);
  });

  it('grants each Lambda only what it uses: the imports/ prefix, connecting as its database user (no secret), starting the state machine', () => {
    const { stateless$, stateless } = synthStage(stage);
    const policyOf = (fn: keyof typeof stateless.functions) => {
      const role = logicalId(stateless, stateless.functions[fn]!.role as any);
      const [, policy] = ofType(stateless$, 'AWS::IAM::Policy').find(([, p]) => p.Properties.Roles.some((r: any) => r.Ref === role))!;
      return asArray<any>(policy.Properties.PolicyDocument.Statement);
    };
    const storeImport = JSON.stringify(policyOf('StoreImport'));
    expect(storeImport).toContain('/imports/*');
    const s3Actions = policyOf('StoreImport')
      .flatMap((st) => asArray<string>(st.Action))
      .filter((a) => a.startsWith('s3:'));
    expect(s3Actions.sort()).toEqual(['s3:GetObject', 's3:GetObjectVersion', 's3:ListBucket']);
    expect(storeImport).not.toContain('secretsmanager:');
    expect(storeImport).toContain('rds-db:connect');
    expect(JSON.stringify(policyOf('LinkRecords'))).not.toContain('s3:');
    const trigger = policyOf('Trigger').find((s) => asArray(s.Action).includes('states:StartExecution'));
    expect(trigger.Resource).toEqual({ Ref: logicalId(stateless, stateless.importWorkflow.stateMachine) });
  });

  it('deploys the workflows/ definition verbatim, its placeholders bound to the step Lambdas', () => {
    // Prepare
    const { stateless$, stateless } = synthStage(stage);
    const [[, sm]] = ofType(stateless$, 'AWS::StepFunctions::StateMachine') as [[string, Resource]];
    const arnOf = (id: string) => `arn:aws:lambda:${config.region}:${config.account}:function:${id}`;

    // Act: what CloudFormation does with DefinitionString + DefinitionSubstitutions
    const substitutions = Object.fromEntries(
      Object.entries(sm.Properties.DefinitionSubstitutions as Record<string, { 'Fn::GetAtt': [string, string] }>).map(([k, v]) => [k, arnOf(v['Fn::GetAtt'][0])]),
    ) as Substitutions;
    const deployed = JSON.parse((sm.Properties.DefinitionString as string).replace(/\$\{(\w+)\}/g, (_, n: string) => (substitutions as any)[n]));

    // Assess
    expect(sm.Properties.DefinitionString).toBe(readDefinitionText());
    expect(deployed).toEqual(loadDefinition(substitutions));
    const tasks = taskStatesOf(deployed);
    expect(Object.keys(tasks).sort()).toEqual([...TASK_STATES, ...OUTCOME_STATES].sort());
    for (const state of ['ReportSucceeded', 'ReportFailed'] as const) {
      expect(tasks[state]!.Resource).toBe(arnOf(logicalId(stateless, stateless.functions.ReportOutcome!)));
    }
    for (const state of PUBLISH_STATES) expect(tasks[state]!.Resource).toBe('arn:aws:states:::events:putEvents');
    for (const state of TASK_STATES) {
      const fn = stateless.functions[TASK_FUNCTIONS[state]];
      expect(fn, state).toBeDefined();
      expect(tasks[state]!.Resource).toBe(arnOf(logicalId(stateless, fn!)));
      expect(substitutions[PLACEHOLDERS[TASK_FUNCTIONS[state]]]).toBe(arnOf(logicalId(stateless, fn!)));
    }
    expect(sm.Properties.LoggingConfiguration).toMatchObject({ Level: 'ALL', IncludeExecutionData: true });
    expect(sm.Properties.TracingConfiguration).toEqual({ Enabled: true });
  });

  it('runs LinkRecords and StartDiscovery as distributed Maps of Standard child executions, which the role may start, describe, stop and redrive', () => {
    const { stateless$, stateless } = synthStage(stage);
    const definition = JSON.parse(readDefinitionText());
    for (const map of ['LinkRecords', 'StartDiscovery']) {
      expect(definition.States[map], map).toMatchObject({
        Type: 'Map',
        ItemsPath: '$.chunks.starts',
        MaxConcurrencyPath: '$.mapConcurrency',
        ItemProcessor: { ProcessorConfig: { Mode: 'DISTRIBUTED', ExecutionType: 'STANDARD' } },
      });
    }
    const smId = logicalId(stateless, stateless.importWorkflow.stateMachine);
    const role = logicalId(stateless, stateless.importWorkflow.stateMachine.role as any);
    const statements = ofType(stateless$, 'AWS::IAM::Policy')
      .filter(([, p]) => p.Properties.Roles.some((r: any) => r.Ref === role))
      .flatMap(([, p]) => asArray<any>(p.Properties.PolicyDocument.Statement));
    const start = statements.find((s) => asArray(s.Action).includes('states:StartExecution'));
    expect(start.Resource).toEqual({ Ref: smId });
    const describe = statements.find((s) => asArray(s.Action).includes('states:DescribeExecution'));
    expect(asArray(describe.Action)).toContain('states:StopExecution');
    expect(JSON.stringify(describe.Resource)).toContain(`"Fn::GetAtt":["${smId}","Name"]`);
    const redrive = statements.find((s) => asArray(s.Action).includes('states:RedriveExecution'));
    expect(JSON.stringify(redrive.Resource)).toContain(`"Fn::GetAtt":["${smId}","Name"]`);
    // no .sync integration: the EventBridge rule of startExecution.sync is not needed
    expect(statements.flatMap((s) => asArray<string>(s.Action)).filter((a) => ['events:PutRule', 'events:PutTargets', 'events:DescribeRule'].includes(a))).toEqual([]);
    // the trigger passes the environment's chunking into every execution's input
    const trigger = resourcesOf(stateless$)[logicalId(stateless, stateless.functions.Trigger!)]!;
    expect(trigger.Properties.Environment.Variables).toMatchObject({
      CHUNK_ROWS: String(config.workflow.chunkRows),
      MAP_CONCURRENCY: String(config.workflow.mapConcurrency),
      MAX_REJECTED_ROWS_PERCENT: String(config.workflow.maxRejectedRowsPercent),
    });
  });

  it('runs every flowlink Lambda on Node.js 24 / ARM64 in the VPC with its own log group, and connects the right ones directly', () => {
    const { stateless$, stateless } = synthStage(stage);
    const resources = resourcesOf(stateless$);
    const fns = Object.entries(stateless.functions).map(([name, fn]) => [name, resources[logicalId(stateless, fn)]!.Properties] as const);
    expect(fns).toHaveLength(13);
    for (const [name, props] of fns) {
      expect(props.Runtime, name).toBe('nodejs24.x');
      expect(props.Architectures, name).toEqual(['arm64']);
      expect(props.Handler, name).toBe('index.handler');
      expect(props.VpcConfig.SubnetIds, name).toHaveLength(config.availabilityZones.length);
      expect(props.LoggingConfig.LogGroup, name).toHaveProperty('Ref');
      // the endpoints arrive through the stateful stack's SSM parameters, read at deploy time
      const host = stateless$.toJSON().Parameters[props.Environment.Variables.DB_HOST.Ref]?.Default;
      const direct = ['Migrations', 'Backfill', 'Retract', 'IntegrityCheck'].includes(name);
      expect(host, name).toBe(`/flowlink/${stage}/${direct ? 'database-endpoint' : 'proxy-endpoint'}`);
      expect(props.Environment.Variables, name).toMatchObject({ DB_NAME: 'flowlink', POWERTOOLS_METRICS_NAMESPACE: 'Flowlink', DB_CA_BUNDLE: '/var/runtime/ca-cert.pem' });
      const size = config.lambda.sizes[name as keyof typeof config.lambda.sizes];
      expect({ memory: props.MemorySize, timeout: props.Timeout, reserved: props.ReservedConcurrentExecutions }, name).toEqual({
        memory: size.memoryMiB,
        timeout: size.timeout.toSeconds(),
        reserved: config.lambda.reservedConcurrency[name as keyof typeof config.lambda.reservedConcurrency],
      });
    }
    const env = (name: string) => fns.find(([n]) => n === name)![1];
    expect(env('Trigger').Environment.Variables.STATE_MACHINE_ARN).toEqual({ Ref: logicalId(stateless, stateless.importWorkflow.stateMachine) });
    expect(env('Migrations').Environment.Variables.MIGRATIONS_FOLDER).toBe('/var/task/migrations');
    expect(env('StoreImport').EphemeralStorage).toEqual({ Size: config.lambda.sizes.StoreImport.ephemeralStorageMiB });
    expect(env('StoreImport').Environment.Variables.MAX_OBJECT_BYTES).toBe(String(config.maxImportObjectBytes));
    expect(config.lambda.sizes.StoreImport.ephemeralStorageMiB! * 1024 ** 2).toBeGreaterThan(config.maxImportObjectBytes);
    for (const [, group] of ofType(stateless$, 'AWS::Logs::LogGroup')) expect(group.Properties.RetentionInDays).toBe(config.logs.retention);
  });

  it('runs the migrations trigger before the state machine and the Lambdas are updated', () => {
    const { stateless$, stateless } = synthStage(stage);
    const resources = resourcesOf(stateless$);
    const [[triggerId, trigger]] = ofType(stateless$, 'Custom::Trigger') as [[string, Resource]];
    expect(JSON.stringify(trigger.Properties.HandlerArn)).toContain(logicalId(stateless, stateless.migrations.function.currentVersion));
    expect(trigger.Properties.InvocationType).toBe('RequestResponse');
    expect(resources[logicalId(stateless, stateless.importWorkflow.stateMachine)]!.DependsOn).toContain(triggerId);
    for (const name of [...STEP_FUNCTIONS, 'Trigger'] as const) {
      expect(resources[logicalId(stateless, stateless.functions[name]!)]!.DependsOn, name).toContain(triggerId);
    }
  });

  it('starts the trigger from "Object Created" under imports/ of the bucket, with retries and a dead-letter queue', () => {
    const { stateless$, stateless } = synthStage(stage);
    const [[, rule]] = ofType(stateless$, 'AWS::Events::Rule') as [[string, Resource]];
    expect(rule.Properties.EventPattern).toMatchObject({ source: ['aws.s3'], 'detail-type': ['Object Created'], detail: { object: { key: [{ prefix: 'imports/' }, { prefix: 'mappings/' }] } } });
    const [target] = rule.Properties.Targets;
    const triggerId = logicalId(stateless, stateless.functions.Trigger!);
    expect(target.Arn).toEqual({ 'Fn::GetAtt': [triggerId, 'Arn'] });
    expect(target.RetryPolicy.MaximumRetryAttempts).toBe(8);
    expect(target.DeadLetterConfig.Arn['Fn::GetAtt'][0]).toMatch(/^TriggerDeadLetterQueue/);
    expect(resourcesOf(stateless$)[triggerId]!.Properties.DeadLetterConfig.TargetArn['Fn::GetAtt'][0]).toMatch(/^TriggerDeadLetterQueue/);
  });

  it('schedules the integrity check with EventBridge Scheduler: daily, and weekly deep', () => {
    const { stateless$, stateless } = synthStage(stage);
    const schedules = ofType(stateless$, 'AWS::Scheduler::Schedule').map(([, s]) => s.Properties);
    expect(schedules).toHaveLength(2);
    const byExpression = (e: string) => schedules.find((s) => s.ScheduleExpression === e);
    expect(byExpression(config.integritySchedule.expression)).toMatchObject({ ScheduleExpressionTimezone: config.integritySchedule.timeZone, State: 'ENABLED' });
    expect(byExpression(config.integritySchedule.expression)!.Target.Input).toBeUndefined();
    expect(byExpression(config.integritySchedule.deepExpression)).toMatchObject({ ScheduleExpressionTimezone: config.integritySchedule.timeZone, State: 'ENABLED' });
    expect(JSON.parse(byExpression(config.integritySchedule.deepExpression)!.Target.Input)).toEqual({ deep: true });
    for (const s of schedules) expect(s.Target.Arn).toEqual({ 'Fn::GetAtt': [logicalId(stateless, stateless.functions.IntegrityCheck!), 'Arn'] });
  });

  it('alarms to the SNS topic on failed executions, dead letters, critical integrity violations and the errors no execution reports', () => {
    const { stateless$, stateless } = synthStage(stage);
    const alarms = ofType(stateless$, 'AWS::CloudWatch::Alarm').map(([, a]) => a.Properties);
    const topic = logicalId(stateless, stateless.operations.topic);
    for (const alarm of alarms) expect(alarm.AlarmActions).toEqual([{ Ref: topic }]);
    // the workflow steps' errors are retried, then reported by the failed execution (ExecutionsFailed)
    const retried = ['StoreImport', 'CreateMasterFlow', 'LinkRecords', 'StartDiscovery', 'ReconcileInventory', 'ValidateIntegrity', 'MarkFailed'];
    const find = (namespace: string, metric: string) => alarms.filter((a) => a.Namespace === namespace && a.MetricName === metric);

    expect(find('AWS/States', 'ExecutionsFailed')).toHaveLength(1);
    expect(find('AWS/States', 'ExecutionsTimedOut')).toHaveLength(1);
    expect(find('AWS/SQS', 'ApproximateNumberOfMessagesVisible')).toHaveLength(2);
    expect(find('AWS/Lambda', 'Errors')).toHaveLength(Object.keys(stateless.functions).length - retried.length);
    expect(find('AWS/Lambda', 'Throttles')).toHaveLength(Object.keys(stateless.functions).length - retried.length);
    expect(find('AWS/States', 'ExecutionsAborted')).toHaveLength(1);
    expect(find('AWS/States', 'ExecutionThrottled')).toHaveLength(1);
    for (const metric of ['CPUUtilization', 'FreeStorageSpace', 'DatabaseConnections', 'DatabaseConnectionsCurrentlySessionPinned']) {
      expect(find('AWS/RDS', metric), metric).toHaveLength(1);
    }
    expect(find('AWS/RDS', 'DatabaseConnectionsCurrentlySessionPinned')[0].Dimensions).toEqual([{ Name: 'ProxyName', Value: `flowlink-${stage}-proxy` }]);
    expect(find('Flowlink', 'HealthScore')).toMatchObject([{ Statistic: 'SampleCount', TreatMissingData: 'missing', ComparisonOperator: 'LessThanThreshold', Threshold: 1 }]);
    // the alarm topic's key serves only this account's CloudWatch alarms
    const [[, key]] = ofType(stateless$, 'AWS::KMS::Key') as [[string, Resource]];
    const cloudwatch = key.Properties.KeyPolicy.Statement.find((st: any) => st.Principal?.Service === 'cloudwatch.amazonaws.com');
    expect(cloudwatch.Condition.StringEquals).toEqual({ 'aws:SourceAccount': config.account });
    const [critical] = find('Flowlink', 'CriticalViolations');
    expect(critical).toMatchObject({ Threshold: 0, ComparisonOperator: 'GreaterThanThreshold', Dimensions: [{ Name: 'service', Value: 'flowlink' }] });
    expect(ofType(stateless$, 'AWS::SNS::Subscription')).toHaveLength(config.alarms.email ? 1 : 0);
    const [[, dashboard]] = ofType(stateless$, 'AWS::CloudWatch::Dashboard') as [[string, Resource]];
    const body = JSON.stringify(dashboard.Properties.DashboardBody);
    for (const metric of ['ExecutionsStarted', 'ExecutionsFailed', 'ExecutionTime', 'RowsStored', 'HealthScore', 'CriticalViolations', 'FailingChecks']) {
      expect(body, metric).toContain(metric);
    }
    expect(body).toContain('SEARCH(');
  });
});

describe('cdk-nag', () => {
  it('fails the synth on an unacknowledged finding (the check is live)', () => {
    // Prepare: a bucket with none of our defaults
    const app = new App({ context: testContext(), builtinCloudFormationValidation: false });
    const stack = new Stack(app, 'Careless');
    new Bucket(stack, 'Bare');
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app));

    // Act / Assess
    expect(() => app.synth()).toThrow(/AwsSolutions-S1|AwsSolutions-S10/);
  });

  it('gives every acknowledgement a reason', () => {
    const { app } = synthStage('dev');
    const acknowledgements = app.node.findAll().flatMap((c) => c.node.metadata.filter((m) => m.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY).map((m) => ({ path: c.node.path, data: m.data })));
    expect(acknowledgements.length).toBeGreaterThan(5);
    for (const { path, data } of acknowledgements) {
      for (const [id, reason] of Object.entries(data as Record<string, string>)) expect(reason.length, `${path} ${id}`).toBeGreaterThan(30);
    }
  });
});

describe('metric names', () => {
  it('match what the integrity-check Lambda publishes', () => {
    expect(FLOWLINK_METRICS.namespace).toBe(INTEGRITY_METRICS.namespace);
    expect(FLOWLINK_METRICS.healthScore).toBe(INTEGRITY_METRICS.healthScore);
    expect(FLOWLINK_METRICS.criticalViolations).toBe(INTEGRITY_METRICS.criticalViolations);
    expect(FLOWLINK_METRICS.failingChecks).toBe(INTEGRITY_METRICS.failingChecks);
  });
});
