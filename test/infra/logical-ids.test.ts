import { describe, expect, it } from 'vitest';
import { STAGES } from '../../infra/config/environments.ts';
import { synthStage } from './synth.ts';

/**
 * A changed logical id makes CloudFormation create a new resource and delete the old one: for these
 * that means an empty database, an empty bucket, new credentials. Change one only on purpose.
 */
const PINNED = {
  'AWS::RDS::DBInstance': 'DatabaseB269D8BB',
  'AWS::SecretsManager::Secret': 'DatabaseSecret86DBB7B3',
  'AWS::S3::Bucket': 'ImportBucketAD3E8C78',
  'AWS::EC2::VPC': 'Vpc8378EB38',
  'AWS::RDS::DBProxy': 'DatabaseProxyE01FC4E6',
} as const;

describe('stateful logical ids', () => {
  for (const stage of STAGES) {
    it(`keeps the database, its secret, the import bucket, the VPC and the proxy under fixed ids (${stage})`, () => {
      // Prepare / Act
      const { stateful$, stateful } = synthStage(stage);
      const { database, importBucket, databaseSecret } = stateful;
      const resources = stateful$.toJSON().Resources as Record<string, { Type: string }>;

      // Assess
      for (const [type, id] of Object.entries(PINNED)) {
        expect(resources[id]?.Type, `${id} in ${stateful.stackName}`).toBe(type);
      }
      expect(Object.keys(resources).filter((id) => resources[id]!.Type === 'AWS::RDS::DBInstance')).toEqual([PINNED['AWS::RDS::DBInstance']]);
      expect(stateful.resolve(database.instanceIdentifier)).toEqual({ Ref: PINNED['AWS::RDS::DBInstance'] });
      expect(stateful.resolve(importBucket.bucketName)).toEqual({ Ref: PINNED['AWS::S3::Bucket'] });
      // the secret the Lambdas read is the attachment of the pinned secret
      expect(resources[PINNED['AWS::SecretsManager::Secret']]).toBeDefined();
      expect(stateful.resolve(databaseSecret.secretArn)).toEqual({ Ref: 'DatabaseSecretAttachment9A63A3D4' });
    });
  }

  it('uses generated physical names for the stateful resources (no fixed names to collide)', () => {
    const resources = synthStage('prod').stateful$.toJSON().Resources as Record<string, { Properties?: Record<string, unknown> }>;
    expect(resources[PINNED['AWS::S3::Bucket']]!.Properties!.BucketName).toBeUndefined();
    expect(resources[PINNED['AWS::RDS::DBInstance']]!.Properties!.DBInstanceIdentifier).toBeUndefined();
    expect(resources[PINNED['AWS::SecretsManager::Secret']]!.Properties!.Name).toBeUndefined();
  });
});
