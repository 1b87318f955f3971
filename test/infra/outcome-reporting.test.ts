import { describe, expect, it } from 'vitest';
import { environments, STAGES } from '../../infra/config/environments.ts';
import { logicalId, synthStage } from './synth.ts';

type Resource = { Type: string; Properties: Record<string, any> };
const resourcesOf = (template: { toJSON(): any }) => template.toJSON().Resources as Record<string, Resource>;
const ofType = (template: { toJSON(): any }, type: string) => Object.entries(resourcesOf(template)).filter(([, r]) => r.Type === type);
const asArray = <T>(x: T | T[] | undefined): T[] => (x === undefined ? [] : Array.isArray(x) ? x : [x]);

/**
 * EventBridge's matching for the pattern operators a rule of ours may use: exact values (any JSON,
 * compared deeply, so an unresolved bucket-name token matches itself) and `prefix`. Any other
 * operator fails the test rather than being guessed.
 */
function matches(pattern: unknown, event: unknown): boolean {
  if (Array.isArray(pattern)) {
    return pattern.some((p) => {
      if (p && typeof p === 'object' && !Array.isArray(p) && Object.keys(p).some((k) => !k.startsWith('Fn::') && k !== 'Ref')) {
        const ops = Object.keys(p);
        if (ops.length !== 1 || ops[0] !== 'prefix') throw new Error(`pattern operator ${ops.join(',')} is not evaluated by this test`);
        return typeof event === 'string' && event.startsWith((p as { prefix: string }).prefix);
      }
      return JSON.stringify(p) === JSON.stringify(event);
    });
  }
  if (pattern && typeof pattern === 'object') {
    if (!event || typeof event !== 'object') return false;
    return Object.entries(pattern).every(([k, p]) => matches(p, (event as Record<string, unknown>)[k]));
  }
  throw new Error(`a pattern leaf must be an array: ${JSON.stringify(pattern)}`);
}

/** Statements of every IAM policy attached to a role (by the role's logical id). */
function statementsOf(template: { toJSON(): any }, roleId: string): any[] {
  return ofType(template, 'AWS::IAM::Policy')
    .filter(([, p]) => p.Properties.Roles.some((r: any) => r.Ref === roleId))
    .flatMap(([, p]) => asArray<any>(p.Properties.PolicyDocument.Statement));
}

describe.each(STAGES)('outcome reports and events in %s', (stage) => {
  it('lets report-outcome put objects only under reports/ of the import bucket, and nothing else in S3', () => {
    const { stateless$, stateless } = synthStage(stage);
    const reportRole = logicalId(stateless, stateless.functions.ReportOutcome!.role as any);
    const s3 = statementsOf(stateless$, reportRole).filter((s) => asArray<string>(s.Action).some((a) => a.startsWith('s3:')));
    expect(s3).toHaveLength(1);
    expect(s3[0]).toMatchObject({ Effect: 'Allow', Action: 's3:PutObject' });
    // the import bucket's ARN comes from the stateful stack's SSM parameter (no export), objects under reports/ only
    expect(JSON.stringify(s3[0].Resource)).toMatch(/^\{"Fn::Join":\["",\[\{"Ref":"SsmParameterValue[^"]*importbucketarn[^"]*"\},"\/reports\/\*"\]\]\}$/);

    // no other role of the stack may write objects anywhere
    const writers = ofType(stateless$, 'AWS::IAM::Policy')
      .filter(([, p]) => asArray<any>(p.Properties.PolicyDocument.Statement).some((s) => asArray<string>(s.Action).some((a) => /^s3:(PutObject|\*)/.test(a))))
      .flatMap(([, p]) => p.Properties.Roles.map((r: any) => r.Ref));
    expect(writers).toEqual([reportRole]);
  });

  it('lets the state machine put events only on the default bus and only with source flowlink; no S3 for it', () => {
    const { stateless$, stateless } = synthStage(stage);
    const config = environments[stage];
    const smRole = logicalId(stateless, stateless.importWorkflow.stateMachine.role as any);
    const statements = statementsOf(stateless$, smRole);
    // the distributed Maps' managed rule (events:PutRule/PutTargets/DescribeRule) is the issue-16 statement beside it
    const events = statements.filter((s) => asArray<string>(s.Action).includes('events:PutEvents'));
    expect(events).toEqual([
      {
        Effect: 'Allow',
        Action: 'events:PutEvents',
        Resource: { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, `:events:${config.region}:${config.account}:event-bus/default`]] },
        Condition: { StringEquals: { 'events:source': 'flowlink' } },
      },
    ]);
    expect(JSON.stringify(statements)).not.toContain('s3:');
    // and no other role may put events
    const putters = ofType(stateless$, 'AWS::IAM::Policy')
      .filter(([, p]) => JSON.stringify(p.Properties.PolicyDocument).includes('events:PutEvents'))
      .flatMap(([, p]) => p.Properties.Roles.map((r: any) => r.Ref));
    expect(putters).toEqual([smRole]);
  });

  it("starts imports from imports/ only: the rule's pattern matches a drop and ignores a report write", () => {
    const { stateless$ } = synthStage(stage);
    const rules = ofType(stateless$, 'AWS::Events::Rule').filter(([, r]) => JSON.stringify(r.Properties.EventPattern ?? {}).includes('aws.s3'));
    expect(rules).toHaveLength(1);
    const pattern = rules[0]![1].Properties.EventPattern;
    const bucket = pattern.detail.bucket.name[0];
    const created = (key: string) => ({
      version: '0',
      id: 'e',
      'detail-type': 'Object Created',
      source: 'aws.s3',
      account: '1',
      time: 't',
      region: 'eu-west-1',
      resources: [],
      detail: { version: '0', bucket: { name: bucket }, object: { key, size: 1, etag: 'x' }, reason: 'PutObject' },
    });
    const tenant = 'f3a1c6a0-0000-4000-8000-000000000001/f3a1c6a0-0000-4000-8000-000000000002';
    expect(matches(pattern, created(`imports/${tenant}/servers.csv`))).toBe(true);
    expect(matches(pattern, created(`reports/${tenant}/servers.csv.0123abcd.json`))).toBe(false);
    expect(matches(pattern, { ...created(`imports/${tenant}/servers.csv`), 'detail-type': 'Object Deleted' })).toBe(false);
  });

  it("expires reports after the environment's reportExpiration, their superseded versions after a day", () => {
    const { stateful$, stateful } = synthStage(stage);
    const bucket = resourcesOf(stateful$)[logicalId(stateful, stateful.importBucket)]!.Properties;
    expect(bucket.LifecycleConfiguration.Rules).toContainEqual({
      Id: 'expire-reports',
      Status: 'Enabled',
      Prefix: 'reports/',
      ExpirationInDays: environments[stage].importBucket.reportExpiration.toDays(),
      NoncurrentVersionExpiration: { NoncurrentDays: 1 },
    });
  });
});
