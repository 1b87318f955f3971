import { describe, expect, it } from 'vitest';
import { STAGES } from '../../infra/config/environments.ts';
import { synthStage } from './synth.ts';

describe.each(STAGES)('the %s environment: a mapping correction dropped under mappings/ reaches the trigger', (stage) => {
  it('the rule sends objects created under imports/ and mappings/ to the trigger, which may read mappings/ and nothing more of it', () => {
    const { stateless$ } = synthStage(stage);
    const resources = Object.values(stateless$.toJSON().Resources as Record<string, { Type: string; Properties: any }>);
    const rules = resources.filter((r) => r.Type === 'AWS::Events::Rule' && r.Properties.EventPattern?.source?.includes('aws.s3'));
    expect(rules).toHaveLength(1);
    expect(rules[0]!.Properties.EventPattern.detail.object.key).toEqual([{ prefix: 'imports/' }, { prefix: 'mappings/' }]);
    const reads = resources
      .filter((r) => r.Type === 'AWS::IAM::Policy')
      .flatMap((p) => p.Properties.PolicyDocument.Statement as Array<{ Action: string | string[]; Resource: unknown }>)
      .filter((s) => JSON.stringify(s.Resource).includes('/mappings/*'));
    expect(reads).toHaveLength(1);
    expect([reads[0]!.Action].flat().sort()).toEqual(['s3:GetObject', 's3:GetObjectVersion']);
  });
});
