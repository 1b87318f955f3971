import { describe, expect, it } from 'vitest';
import { connectionBudget } from '../../infra/config/capacity.ts';
import { environments, STAGES, type Stage } from '../../infra/config/environments.ts';
import { synthStage } from './synth.ts';

/**
 * What only AWS shows, checked on the synthesized templates: alarm delivery, Map Run redrive
 * permissions, least privilege, removal policies, alarm semantics and the database's lifecycle.
 * docs/operations/aws-checks.md has the command that confirms each once on a real account.
 */

type Resource = { Type: string; Properties?: Record<string, any>; DeletionPolicy?: string };
type CfnTemplate = { Resources: Record<string, Resource> };

const templates = (stage: Stage) => {
  const s = synthStage(stage);
  const of = (name: string) => s.assembly.getStackByName(name).template as CfnTemplate;
  return { stateful: of(s.stateful.stackName), stateless: of(s.stateless.stackName) };
};
const ofType = (t: CfnTemplate, type: string) => Object.entries(t.Resources).filter(([, r]) => r.Type === type);
const one = (t: CfnTemplate, type: string, idPrefix: string) => {
  const found = ofType(t, type).filter(([id]) => id.startsWith(idPrefix));
  expect(found.map(([id]) => id)).toHaveLength(1);
  return found[0]![1];
};
const asArray = <T>(x: T | T[] | undefined): T[] => (x === undefined ? [] : Array.isArray(x) ? x : [x]);
const statementsOf = (r: Resource) => asArray<any>(r.Properties!.PolicyDocument.Statement);
const actionsOf = (s: any) => asArray<string>(s.Action);

describe.each(STAGES)('%s: operations on AWS', (stage) => {
  const { stateful, stateless } = templates(stage);

  it('lets CloudWatch alarms of this account publish to the alarm topic (enforceSSL alone leaves a Deny-only policy)', () => {
    const policy = one(stateless, 'AWS::SNS::TopicPolicy', 'OperationsAlarmTopicPolicy');
    const allows = statementsOf(policy).filter((s) => s.Effect === 'Allow' && actionsOf(s).includes('sns:Publish'));
    expect(allows).toHaveLength(1);
    const allow = allows[0];
    expect(allow.Principal).toEqual({ Service: 'cloudwatch.amazonaws.com' });
    expect(allow.Condition.StringEquals['aws:SourceAccount']).toBeDefined();
    expect(JSON.stringify(allow.Condition.ArnLike['aws:SourceArn'])).toContain(':alarm:*');
  });

  it('may redrive the Map Runs of its own state machine and holds no .sync-only EventBridge permission', () => {
    const policy = one(stateless, 'AWS::IAM::Policy', 'ImportWorkflowDistributedMapPolicy');
    const statements = statementsOf(policy);
    const redrive = statements.filter((s) => actionsOf(s).includes('states:RedriveExecution'));
    expect(redrive).toHaveLength(1);
    // the child executions: <state machine>/<map run label or id>:<execution>
    expect(JSON.stringify(redrive[0].Resource)).toContain('/*');
    expect(statements.flatMap(actionsOf).filter((a) => a.startsWith('events:'))).toEqual([]);
  });

  it('logs the state machine under /aws/vendedlogs/ (the account log resource policy stays small)', () => {
    const group = one(stateless, 'AWS::Logs::LogGroup', 'ImportWorkflowLogs');
    expect(group.Properties!.LogGroupName).toBe(`/aws/vendedlogs/states/flowlink-${stage}-import`);
  });

  it('lets StoreImport list imports/ so a missing object is a 404, not a 403', () => {
    const [, policy] = ofType(stateless, 'AWS::IAM::Policy').find(([id]) => id.startsWith('StoreImportServiceRoleDefaultPolicy'))!;
    const list = statementsOf(policy).filter((s) => actionsOf(s).includes('s3:ListBucket'));
    expect(list).toHaveLength(1);
    expect(list[0].Condition).toEqual({ StringLike: { 's3:prefix': ['imports/*'] } });
  });

  it('keeps the database secret as long as the database (retained, or its snapshot kept)', () => {
    const db = one(stateful, 'AWS::RDS::DBInstance', 'Database');
    const secret = one(stateful, 'AWS::SecretsManager::Secret', 'DatabaseSecret');
    expect(secret.DeletionPolicy).toBe(db.DeletionPolicy === 'Delete' ? 'Delete' : 'Retain');
  });

  it("removes the alarm topic's key with a throwaway stack (dev) and keeps it otherwise", () => {
    const key = one(stateless, 'AWS::KMS::Key', 'OperationsAlarmTopicKey');
    expect(key.DeletionPolicy).toBe(environments[stage].logs.removalPolicy === 'destroy' ? 'Delete' : 'Retain');
  });

  it('a fresh deploy does not page for the integrity check that has not run yet, a stopped one does', () => {
    const [, alarm] = ofType(stateless, 'AWS::CloudWatch::Alarm').find(([id]) => id.startsWith('OperationsIntegrityCheckMissing'))!;
    // missing data keeps the alarm in INSUFFICIENT_DATA (where a new alarm starts, without a notification);
    // a check that stops running moves it there from OK, which notifies
    expect(alarm.Properties!.TreatMissingData).toBe('missing');
    expect(alarm.Properties!.InsufficientDataActions).toHaveLength(1);
  });

  it('pages for a workflow step only through its execution failing, not for each retried error or throttle', () => {
    const alarms = ofType(stateless, 'AWS::CloudWatch::Alarm').map(([id]) => id);
    for (const step of ['StoreImport', 'CreateMasterFlow', 'LinkRecords', 'StartDiscovery', 'ValidateIntegrity', 'MarkFailed']) {
      expect(alarms.filter((id) => id.startsWith(`Operations${step}Errors`) || id.startsWith(`Operations${step}Throttles`))).toEqual([]);
    }
    // ReportOutcome's failures are caught (the outcome never changes): its alarm is the only sign of a missing report
    for (const fn of ['ReportOutcome', 'Trigger', 'Backfill', 'IntegrityCheck', 'Migrations']) {
      expect(alarms.filter((id) => id.startsWith(`Operations${fn}Errors`))).toHaveLength(1);
    }
    expect(alarms.filter((id) => id.startsWith('OperationsExecutionsFailed'))).toHaveLength(1);
  });

  it('alarms on pinned proxy sessions summed over the proxy hosts, above what the proxied step containers explain', () => {
    const [, alarm] = ofType(stateless, 'AWS::CloudWatch::Alarm').find(([id]) => id.startsWith('OperationsProxySessionsPinned'))!;
    expect(alarm.Properties!.Statistic).toBe('Sum');
    expect(alarm.Properties!.Threshold).toBe(connectionBudget(environments[stage]).proxyClients);
  });

  it('runs PostgreSQL with its own parameter group and exports its log', () => {
    const db = one(stateful, 'AWS::RDS::DBInstance', 'Database');
    expect(db.Properties!.DBParameterGroupName).toBeDefined();
    expect(ofType(stateful, 'AWS::RDS::DBParameterGroup')).toHaveLength(1);
    expect(db.Properties!.EnableCloudwatchLogsExports).toEqual(['postgresql']);
    if (stage === 'prod') expect(db.Properties!.EnablePerformanceInsights).toBe(true);
  });
});
