import type { Context } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { environments, STAGES, type Stage } from '../../infra/config/environments.ts';
import { useTestDatabase } from '../support/db.ts';
import { LAMBDAS, STEP_TASKS } from '../../workflows/steps.ts';
import { synthStage } from './synth.ts';

/**
 * The checks CloudFormation, EC2, Lambda and CloudWatch make only when a stack is created (or
 * never: an alarm on a metric nobody publishes just stays silent), made offline on the three
 * synthesized stages.
 */

type Resource = { Type: string; Properties?: Record<string, any> };
type CfnTemplate = { Resources: Record<string, Resource>; Outputs?: Record<string, any>; Parameters?: Record<string, any> };
interface StackUnderTest {
  readonly stage: Stage;
  readonly stackName: string;
  readonly template: CfnTemplate;
}

function stacksOf(stage: Stage): StackUnderTest[] {
  const s = synthStage(stage);
  return [s.stateful, s.stateless].map((stack) => ({ stage, stackName: stack.stackName, template: s.assembly.getStackByName(stack.stackName).template as CfnTemplate }));
}
const allStacks = () => STAGES.flatMap(stacksOf);
const ofType = (t: CfnTemplate, type: string) => Object.entries(t.Resources).filter(([, r]) => r.Type === type);
const asArray = <T>(x: T | T[] | undefined): T[] => (x === undefined ? [] : Array.isArray(x) ? x : [x]);

/** A new account's Lambda concurrency quota: what an environment that declares none must fit. */
const NEW_ACCOUNT_CONCURRENCY = 10;
/** Lambda keeps this much of the account's concurrency unreserved. */
const UNRESERVED_MINIMUM = 100;

describe('no duplicate security-group rule (EC2: InvalidPermission.Duplicate)', () => {
  /** What EC2 compares: group, direction, protocol, port range and peer (descriptions do not count). */
  function rulesOf(t: CfnTemplate): string[] {
    const portOf = (v: unknown): unknown => {
      // the instance's port as EC2 sees it at create time
      const getAtt = (v as { 'Fn::GetAtt'?: [string, string] })?.['Fn::GetAtt'];
      if (getAtt && getAtt[1] === 'Endpoint.Port') return Number(t.Resources[getAtt[0]]?.Properties?.Port ?? 5432);
      return typeof v === 'string' ? Number(v) : v;
    };
    const key = (group: unknown, direction: string, r: Record<string, any>) =>
      JSON.stringify({
        group,
        direction,
        protocol: String(r.IpProtocol),
        from: portOf(r.FromPort),
        to: portOf(r.ToPort),
        peer: r.CidrIp ?? r.CidrIpv6 ?? r.SourceSecurityGroupId ?? r.DestinationSecurityGroupId ?? r.SourcePrefixListId ?? r.DestinationPrefixListId,
      });
    const rules: string[] = [];
    for (const [id, sg] of ofType(t, 'AWS::EC2::SecurityGroup')) {
      const group = { 'Fn::GetAtt': [id, 'GroupId'] };
      for (const r of asArray<any>(sg.Properties?.SecurityGroupIngress)) rules.push(key(group, 'ingress', r));
      for (const r of asArray<any>(sg.Properties?.SecurityGroupEgress)) rules.push(key(group, 'egress', r));
    }
    for (const [, r] of ofType(t, 'AWS::EC2::SecurityGroupIngress')) rules.push(key(r.Properties!.GroupId, 'ingress', r.Properties!));
    for (const [, r] of ofType(t, 'AWS::EC2::SecurityGroupEgress')) rules.push(key(r.Properties!.GroupId, 'egress', r.Properties!));
    return rules;
  }

  it.each(STAGES)('%s: every rule once', (stage) => {
    for (const { stackName, template } of stacksOf(stage)) {
      const rules = rulesOf(template);
      const duplicates = rules.filter((r, i) => rules.indexOf(r) !== i);
      expect(duplicates, stackName).toEqual([]);
    }
  });
});

describe('physical names: unique across the three stages, each carrying its stage', () => {
  /**
   * The property that names each resource type in its account and region, or null when the type
   * has no such name (or only one scoped to a parent). A type missing here fails the test: decide.
   */
  const NAME_PROPERTY: Record<string, string | null> = {
    'AWS::CloudWatch::Alarm': 'AlarmName',
    'AWS::CloudWatch::Dashboard': 'DashboardName',
    'AWS::EC2::FlowLog': null,
    'AWS::EC2::RouteTable': null,
    'AWS::EC2::SecurityGroup': 'GroupName',
    'AWS::EC2::SecurityGroupEgress': null,
    'AWS::EC2::SecurityGroupIngress': null,
    'AWS::EC2::Subnet': null,
    'AWS::EC2::SubnetRouteTableAssociation': null,
    'AWS::EC2::VPC': null,
    'AWS::EC2::VPCEndpoint': null,
    'AWS::Events::Rule': 'Name',
    'AWS::IAM::Policy': null, // inline, scoped to its role
    'AWS::IAM::Role': 'RoleName',
    'AWS::KMS::Key': null,
    'AWS::KMS::Alias': 'AliasName',
    'AWS::Lambda::Function': 'FunctionName',
    'AWS::Lambda::Permission': null,
    'AWS::Lambda::Version': null,
    'AWS::Logs::LogGroup': 'LogGroupName',
    'AWS::RDS::DBInstance': 'DBInstanceIdentifier',
    'AWS::RDS::DBProxy': 'DBProxyName',
    'AWS::RDS::DBProxyTargetGroup': null, // always "default", scoped to its proxy
    'AWS::RDS::DBSubnetGroup': 'DBSubnetGroupName',
    'AWS::RDS::DBParameterGroup': 'DBParameterGroupName',
    'AWS::S3::Bucket': 'BucketName',
    'AWS::S3::BucketPolicy': null,
    'AWS::SNS::Topic': 'TopicName',
    'AWS::SNS::TopicPolicy': null,
    'AWS::SNS::Subscription': null,
    'AWS::SQS::Queue': 'QueueName',
    'AWS::SQS::QueuePolicy': null,
    'AWS::SSM::Parameter': 'Name',
    'AWS::Scheduler::Schedule': 'Name',
    'AWS::SecretsManager::Secret': 'Name',
    'AWS::SecretsManager::SecretTargetAttachment': null,
    'AWS::StepFunctions::StateMachine': 'StateMachineName',
    'Custom::S3BucketNotifications': null,
    'Custom::Trigger': null,
    'Custom::LogRetention': null,
  };

  /** A name as CloudFormation resolves it, or undefined when it is generated from another resource. */
  function resolveName(value: unknown, stack: StackUnderTest): string | undefined {
    const config = environments[stack.stage];
    if (typeof value === 'string') return value;
    const v = value as Record<string, any>;
    if (v?.Ref === 'AWS::StackName') return stack.stackName;
    if (v?.Ref === 'AWS::Region') return config.region;
    if (v?.Ref === 'AWS::AccountId') return config.account;
    if (v?.['Fn::Join']) {
      const parts = (v['Fn::Join'][1] as unknown[]).map((p) => resolveName(p, stack));
      return parts.every((p) => p !== undefined) ? parts.join(v['Fn::Join'][0]) : undefined;
    }
    return undefined;
  }

  function physicalNames(): { name: string; where: string; stage: Stage }[] {
    const names: { name: string; where: string; stage: Stage }[] = [];
    for (const stack of allStacks()) {
      names.push({ name: `stack ${stack.stackName}`, where: stack.stackName, stage: stack.stage });
      for (const [id, r] of Object.entries(stack.template.Resources)) {
        const property = NAME_PROPERTY[r.Type];
        if (!property) continue;
        const name = resolveName(r.Properties?.[property], stack);
        if (name !== undefined) names.push({ name: `${r.Type} ${name}`, where: `${stack.stackName}/${id}`, stage: stack.stage });
      }
      for (const [id, output] of Object.entries(stack.template.Outputs ?? {})) {
        const name = resolveName(output.Export?.Name, stack);
        if (name !== undefined) names.push({ name: `export ${name}`, where: `${stack.stackName}/${id}`, stage: stack.stage });
      }
    }
    return names;
  }

  it('knows, for every resource type deployed, which property names it', () => {
    const types = new Set(allStacks().flatMap((s) => Object.values(s.template.Resources).map((r) => r.Type)));
    expect([...types].filter((t) => !(t in NAME_PROPERTY))).toEqual([]);
  });

  it('gives no two resources of the three stages the same name', () => {
    const names = physicalNames();
    const seen = new Map<string, string>();
    const clashes: string[] = [];
    for (const { name, where } of names) {
      if (seen.has(name)) clashes.push(`${name}: ${seen.get(name)} and ${where}`);
      else seen.set(name, where);
    }
    expect(clashes).toEqual([]);
  });

  it('puts the stage in every explicit name', () => {
    expect(
      physicalNames()
        .filter(({ name, stage }) => !name.includes(stage))
        .map(({ name, where }) => `${where}: ${name}`),
    ).toEqual([]);
  });
});

describe('reserved concurrency within the declared account limit minus the 100 Lambda keeps unreserved', () => {
  it.each(STAGES)('%s', (stage) => {
    const config = environments[stage];
    // stages sharing an account and region share its concurrency
    const together = STAGES.filter((s) => environments[s].account === config.account && environments[s].region === config.region);
    const reservations = together.flatMap((s) =>
      stacksOf(s).flatMap(({ stackName, template }) =>
        ofType(template, 'AWS::Lambda::Function')
          .filter(([, fn]) => fn.Properties?.ReservedConcurrentExecutions !== undefined)
          .map(([id, fn]) => ({ fn: `${stackName}/${id}`, reserved: Number(fn.Properties!.ReservedConcurrentExecutions) })),
      ),
    );
    const declared = (config as { lambda?: { accountConcurrency?: number } }).lambda?.accountConcurrency ?? NEW_ACCOUNT_CONCURRENCY;
    const total = reservations.reduce((sum, r) => sum + r.reserved, 0);
    expect(
      // Lambda refuses a reservation that would leave less than 100 unreserved; none is always fine
      { total, allowed: Math.max(0, declared - UNRESERVED_MINIMUM), fits: total === 0 || total <= declared - UNRESERVED_MINIMUM },
      `account concurrency ${declared}; reservations ${JSON.stringify(reservations)}`,
    ).toMatchObject({ fits: true });
  });
});

describe("every Task's TimeoutSeconds within its Lambda's timeout", () => {
  /** Every Task state, also inside Map and Parallel states. */
  function tasksOf(states: Record<string, any>): [string, any][] {
    return Object.entries(states).flatMap(([name, state]) => [
      ...(state.Type === 'Task' ? [[name, state] as [string, any]] : []),
      ...(state.ItemProcessor ? tasksOf(state.ItemProcessor.States) : []),
      ...(state.Iterator ? tasksOf(state.Iterator.States) : []),
      ...asArray<any>(state.Branches).flatMap((b) => tasksOf(b.States)),
    ]);
  }

  it.each(STAGES)('%s', (stage) => {
    const [, stateless] = stacksOf(stage);
    const [[, sm]] = ofType(stateless!.template, 'AWS::StepFunctions::StateMachine') as [[string, Resource]];
    const definition = JSON.parse(sm.Properties!.DefinitionString);
    const substitutions = sm.Properties!.DefinitionSubstitutions as Record<string, { 'Fn::GetAtt': [string, string] }>;
    const tasks = tasksOf(definition.States);
    expect(tasks.length).toBeGreaterThan(0);
    const problems: string[] = [];
    for (const [name, task] of tasks) {
      // a native service integration (the outcome events' putEvents) runs no Lambda: its own TimeoutSeconds bounds it
      if (task.Resource?.startsWith('arn:aws:states:::') && !task.Resource.startsWith('arn:aws:states:::lambda:')) {
        if (task.TimeoutSeconds === undefined) problems.push(`${name}: no TimeoutSeconds (${task.Resource})`);
        continue;
      }
      const placeholder = /^\$\{(\w+)\}$/.exec(task.Resource ?? task.Parameters?.FunctionName ?? '')?.[1];
      const fnId = placeholder && substitutions[placeholder]?.['Fn::GetAtt'][0];
      const fn = fnId ? stateless!.template.Resources[fnId] : undefined;
      if (!fn) {
        problems.push(`${name}: no Lambda found for ${task.Resource}`);
        continue;
      }
      const lambdaTimeout = Number(fn.Properties!.Timeout ?? 3);
      if (task.TimeoutSeconds === undefined) problems.push(`${name}: no TimeoutSeconds (Lambda ${fnId}: ${lambdaTimeout} s)`);
      else if (task.TimeoutSeconds > lambdaTimeout) problems.push(`${name}: TimeoutSeconds ${task.TimeoutSeconds} > Lambda ${fnId} timeout ${lambdaTimeout} s`);
    }
    expect(problems).toEqual([]);
  });
});

describe('the deployed Lambdas and Tasks are the step contract (workflows/steps.ts)', () => {
  it.each(STAGES)('%s', (stage) => {
    const [, stateless] = stacksOf(stage);
    const [[, sm]] = ofType(stateless!.template, 'AWS::StepFunctions::StateMachine') as [[string, Resource]];
    const substitutions = sm.Properties!.DefinitionSubstitutions as Record<string, { 'Fn::GetAtt': [string, string] }>;
    const tasks = Object.values(STEP_TASKS);
    const deployed = Object.fromEntries(
      tasks.map((t) => {
        const fn = stateless!.template.Resources[substitutions[LAMBDAS[t.lambda].placeholder]!['Fn::GetAtt'][0]]!;
        return [t.state, { memoryMiB: fn.Properties!.MemorySize, lambdaTimeoutS: fn.Properties!.Timeout }];
      }),
    );
    expect(deployed).toEqual(Object.fromEntries(tasks.map((t) => [t.state, { memoryMiB: LAMBDAS[t.lambda].memoryMiB, lambdaTimeoutS: LAMBDAS[t.lambda].timeoutS }])));
  });
});

describe('alarms read the metrics the code publishes, and the metrics published for an alarm have one', () => {
  const database = useTestDatabase();
  /** Published metric → `namespace|name|dimension=value,...` as CloudWatch keys a series. */
  const published = new Set<string>();
  const seriesKey = (namespace: string, name: string, dims: Record<string, string>) =>
    `${namespace}|${name}|${Object.entries(dims)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([k, v]) => `${k}=${v}`)
      .join(',')}`;

  /** Metrics of the code that exist to be alarmed on, and why. */
  const ALARMED = {
    CriticalViolations: 'any critical integrity violation',
    HealthScore: 'published by every daily check: missing means the check stopped running',
  };

  /** The AWS metrics the alarms may read, and the dimension each is published under (AWS docs). */
  const AWS_METRICS: Record<string, { names: string[]; dimension: string; resource: string }[]> = {
    'AWS/Lambda': [{ names: ['Errors', 'Throttles', 'Duration', 'ConcurrentExecutions', 'Invocations'], dimension: 'FunctionName', resource: 'AWS::Lambda::Function' }],
    'AWS/States': [
      {
        names: ['ExecutionsFailed', 'ExecutionsTimedOut', 'ExecutionsAborted', 'ExecutionThrottled', 'ExecutionsStarted', 'ExecutionsSucceeded', 'ExecutionTime'],
        dimension: 'StateMachineArn',
        resource: 'AWS::StepFunctions::StateMachine',
      },
    ],
    'AWS/SQS': [{ names: ['ApproximateNumberOfMessagesVisible', 'ApproximateAgeOfOldestMessage'], dimension: 'QueueName', resource: 'AWS::SQS::Queue' }],
    'AWS/RDS': [
      { names: ['CPUUtilization', 'FreeStorageSpace', 'DatabaseConnections', 'FreeableMemory'], dimension: 'DBInstanceIdentifier', resource: 'AWS::RDS::DBInstance' },
      {
        names: ['DatabaseConnectionsCurrentlySessionPinned', 'ClientConnections', 'DatabaseConnections', 'DatabaseConnectionsBorrowLatency', 'QueryDatabaseResponseLatency'],
        dimension: 'ProxyName',
        resource: 'AWS::RDS::DBProxy',
      },
    ],
  };

  beforeAll(async () => {
    // Run the integrity-check handler with the environment the dev template gives it, and record
    // the EMF it prints (namespace, names and dimensions, exactly as CloudWatch will key them).
    const { stateless, stateless$ } = synthStage('dev');
    const fn = stateless$.toJSON().Resources[stateless.getLogicalId(stateless.functions.IntegrityCheck!.node.defaultChild as any)];
    for (const [k, v] of Object.entries(fn.Properties.Environment.Variables as Record<string, unknown>)) {
      if (typeof v === 'string') vi.stubEnv(k, v);
    }
    vi.stubEnv('DB_SECRET_ARN', '');
    vi.stubEnv('DATABASE_URL', database.current.url);
    vi.stubEnv('POWERTOOLS_LOG_LEVEL', 'SILENT');
    vi.resetModules();
    const { handler } = await import('../../functions/integrity-check/handler.ts');
    const lines: string[] = [];
    const spy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => (lines.push(...String(chunk).split('\n')), true));
    try {
      await handler({} as never, { functionName: 'integrity-check', awsRequestId: 'r', getRemainingTimeInMillis: () => 60_000 } as unknown as Context);
    } finally {
      spy.mockRestore();
    }
    for (const line of lines) {
      const doc = (() => {
        try {
          return JSON.parse(line);
        } catch {
          return null;
        }
      })();
      for (const directive of doc?._aws?.CloudWatchMetrics ?? []) {
        for (const dimensionSet of directive.Dimensions as string[][]) {
          const dims = Object.fromEntries(dimensionSet.map((d) => [d, String(doc[d])]));
          for (const m of directive.Metrics) published.add(seriesKey(directive.Namespace, m.Name, dims));
        }
      }
    }
    const { closeLambdaDatabase } = await import('../../functions/_shared/database.ts');
    await closeLambdaDatabase();
  });
  afterAll(() => {
    vi.unstubAllEnvs();
  });

  it('records what the integrity check publishes', () => {
    expect([...published].some((k) => k.includes('|HealthScore|'))).toBe(true);
  });

  it.each(STAGES)('%s: every alarm reads a published metric, with its dimensions', (stage) => {
    const [stateful, stateless] = stacksOf(stage);
    expect(alarmProblems(stateful!, stateless!)).toEqual([]);
  });

  it('finds an alarm on a dimension nobody publishes, and one naming no deployed resource (the check is live)', () => {
    const [stateful, stateless] = stacksOf('dev');
    const template = JSON.parse(JSON.stringify(stateless!.template)) as CfnTemplate;
    const alarms = ofType(template, 'AWS::CloudWatch::Alarm');
    const critical = alarms.find(([, a]) => a.Properties!.MetricName === 'CriticalViolations')![1];
    critical.Properties!.Dimensions = [{ Name: 'service', Value: 'flowlink-integrity' }];
    const throttles = alarms.find(([, a]) => a.Properties!.MetricName === 'Throttles')![1];
    throttles.Properties!.Dimensions = [{ Name: 'FunctionName', Value: 'flowlink-dev-nothing' }];
    const pinned = alarms.find(([, a]) => a.Properties!.MetricName === 'DatabaseConnectionsCurrentlySessionPinned')![1];
    pinned.Properties!.Dimensions = [{ Name: 'DBInstanceIdentifier', Value: 'x' }];
    const problems = alarmProblems(stateful!, { ...stateless!, template });
    expect(problems).toHaveLength(3);
    expect(problems.join('\n')).toMatch(/CriticalViolations .*not published by the code/);
    expect(problems.join('\n')).toMatch(/Throttles .*does not name a AWS::Lambda::Function/);
    expect(problems.join('\n')).toMatch(/DatabaseConnectionsCurrentlySessionPinned .*publishes no such metric under these dimensions/);
  });

  function alarmProblems(stateful: StackUnderTest, stateless: StackUnderTest): string[] {
    const problems: string[] = [];
    /** Where a dimension value points: a resource of this stack, or (through an SSM parameter) of the stateful one. */
    const target = (value: any): { type: string; id: string } | { literal: string } | undefined => {
      if (typeof value === 'string') return { literal: value };
      const id = value?.Ref ?? value?.['Fn::GetAtt']?.[0];
      const resource = stateless!.template.Resources[id];
      if (resource) return { type: resource.Type, id };
      const parameter = stateless!.template.Parameters?.[id];
      if (parameter?.Type?.startsWith('AWS::SSM::Parameter::Value')) {
        const [, ssm] = ofType(stateful!.template, 'AWS::SSM::Parameter').find(([, p]) => p.Properties!.Name === parameter.Default) ?? [];
        return ssm ? resolveInStateful(ssm.Properties!.Value) : undefined;
      }
      return undefined;
    };
    const resolveInStateful = (value: any) => {
      const id = value?.Ref ?? value?.['Fn::GetAtt']?.[0];
      const resource = stateful!.template.Resources[id];
      return resource ? { type: resource.Type, id } : undefined;
    };
    const namedIn = (type: string, literal: string) =>
      [stateful!, stateless!].some(({ template }) => ofType(template, type).some(([, r]) => Object.values(r.Properties ?? {}).some((v) => v === literal)));

    for (const [id, alarm] of ofType(stateless!.template, 'AWS::CloudWatch::Alarm')) {
      const metrics = alarm.Properties!.Metrics ? (alarm.Properties!.Metrics as any[]).filter((m) => m.MetricStat).map((m) => m.MetricStat.Metric) : [alarm.Properties!];
      for (const m of metrics) {
        const dims = Object.fromEntries(asArray<any>(m.Dimensions).map((d) => [d.Name, d.Value]));
        const where = `${id}: ${m.Namespace} ${m.MetricName} ${JSON.stringify(dims)}`;
        if (!m.Namespace.startsWith('AWS/')) {
          if (!Object.values(dims).every((v) => typeof v === 'string')) problems.push(`${where}: dimension values must be literal`);
          else if (!published.has(seriesKey(m.Namespace, m.MetricName, dims as Record<string, string>))) problems.push(`${where}: not published by the code`);
          continue;
        }
        const catalog = AWS_METRICS[m.Namespace]?.find((c) => c.names.includes(m.MetricName) && Object.keys(dims).join() === c.dimension);
        if (!catalog) {
          problems.push(`${where}: ${m.Namespace} publishes no such metric under these dimensions`);
          continue;
        }
        const points = target(dims[catalog.dimension]);
        if (!points) problems.push(`${where}: the dimension points at nothing deployed`);
        else if ('literal' in points ? !namedIn(catalog.resource, points.literal) : points.type !== catalog.resource) {
          problems.push(`${where}: the dimension does not name a ${catalog.resource}`);
        }
      }
    }
    return problems;
  }

  it.each(STAGES)('%s: every metric published for an alarm has one', (stage) => {
    const [, stateless] = stacksOf(stage);
    const alarmed = new Set(
      ofType(stateless!.template, 'AWS::CloudWatch::Alarm').flatMap(([, a]) =>
        (a.Properties!.Metrics ? (a.Properties!.Metrics as any[]).filter((m) => m.MetricStat).map((m) => m.MetricStat.Metric) : [a.Properties!]).map((m: any) =>
          seriesKey(m.Namespace, m.MetricName, Object.fromEntries(asArray<any>(m.Dimensions).map((d) => [d.Name, d.Value]))),
        ),
      ),
    );
    const wanted = [...published].filter((k) => Object.keys(ALARMED).includes(k.split('|')[1]!));
    expect(wanted).toHaveLength(Object.keys(ALARMED).length);
    expect(wanted.filter((k) => !alarmed.has(k))).toEqual([]);
  });

  it.each(STAGES)('%s: an integrity check that stops running notifies (INSUFFICIENT_DATA after OK), and a day without one clears nothing', (stage) => {
    const [, stateless] = stacksOf(stage);
    const integrity = ofType(stateless!.template, 'AWS::CloudWatch::Alarm').filter(([, a]) => a.Properties!.Namespace === 'Flowlink');
    const missingCheck = integrity.filter(([, a]) => a.Properties!.MetricName === 'HealthScore');
    // missing, not breaching: a fresh deploy starts in INSUFFICIENT_DATA without paging; a check that stops moves it there and notifies
    expect(missingCheck.map(([, a]) => a.Properties!.TreatMissingData)).toEqual(['missing']);
    expect(missingCheck[0]![1].Properties!.InsufficientDataActions).toHaveLength(1);
    expect(integrity.filter(([, a]) => a.Properties!.TreatMissingData === 'notBreaching').map(([id]) => id)).toEqual([]);
  });
});

describe('database credentials: only the migrations read the master secret; each function connects as its one database user (IAM)', () => {
  /** Per Lambda (by its logical id): what its role may do with the database, and its database environment. */
  function access(t: CfnTemplate) {
    const roleOf = (fn: Resource) => (fn.Properties!.Role as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0];
    const statementsOf = (role: string) =>
      ofType(t, 'AWS::IAM::Policy')
        .filter(([, p]) => asArray<any>(p.Properties!.Roles).some((r) => r.Ref === role))
        .flatMap(([, p]) => asArray<any>(p.Properties!.PolicyDocument.Statement));
    return ofType(t, 'AWS::Lambda::Function')
      .filter(([, fn]) => fn.Properties?.VpcConfig)
      .map(([id, fn]) => {
        const statements = statementsOf(roleOf(fn));
        const actions = (s: any) => asArray<string>(s.Action);
        return {
          fn: id,
          readsSecret: statements.some((s) => actions(s).some((a) => a.startsWith('secretsmanager:Get'))),
          connectsAs: [...new Set(statements.filter((s) => actions(s).includes('rds-db:connect')).flatMap((s) => [...JSON.stringify(s.Resource).matchAll(/\/(flowlink_\w+)"/g)].map((m) => m[1]!)))],
          dbUser: fn.Properties!.Environment?.Variables?.DB_USER ?? null,
          secretArn: fn.Properties!.Environment?.Variables?.DB_SECRET_ARN !== undefined,
        };
      });
  }

  it.each(STAGES)('%s', (stage) => {
    const [stateful, stateless] = stacksOf(stage);
    const functions = access(stateless!.template);
    const migrations = functions.filter((f) => /^Migrations/.test(f.fn));
    expect(migrations.length, JSON.stringify(functions.map((f) => f.fn))).toBe(1);
    for (const f of functions) {
      const operator = /^(Backfill|Retract|IntegrityCheck)/.test(f.fn);
      const migrator = /^Migrations/.test(f.fn);
      const expected = migrator
        ? { readsSecret: true, secretArn: true, connectsAs: [], dbUser: null }
        : { readsSecret: false, secretArn: false, connectsAs: [operator ? 'flowlink_operator' : 'flowlink_app'], dbUser: operator ? 'flowlink_operator' : 'flowlink_app' };
      expect({ fn: f.fn, readsSecret: f.readsSecret, secretArn: f.secretArn, connectsAs: f.connectsAs, dbUser: f.dbUser }).toEqual({ fn: f.fn, ...expected });
    }
    expect(functions.filter((f) => f.dbUser === 'flowlink_app').length).toBeGreaterThanOrEqual(8);
    const [[, proxy]] = ofType(stateful!.template, 'AWS::RDS::DBProxy') as [[string, Resource]];
    expect(proxy.Properties!.DefaultAuthScheme).toBe('IAM_AUTH');
    expect(asArray<any>(proxy.Properties!.Auth).map((a) => a.IAMAuth)).toEqual(['REQUIRED']);
    const [[, instance]] = ofType(stateful!.template, 'AWS::RDS::DBInstance') as [[string, Resource]];
    expect(instance.Properties!.EnableIAMDatabaseAuthentication).toBe(true);
  });
});
