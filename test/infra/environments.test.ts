import { describe, expect, it } from 'vitest';
import { environments, parseStage, STAGES } from '../../infra/config/environments.ts';

/** The table as a reviewer reads it: durations in days, everything else as is. */
function readable() {
  return Object.fromEntries(
    STAGES.map((stage) => {
      const c = environments[stage];
      return [
        stage,
        {
          ...c,
          database: { ...c.database, backupRetention: `${c.database.backupRetention.toDays()} days` },
          importBucket: {
            ...c.importBucket,
            noncurrentVersionTransitionAfter: `${c.importBucket.noncurrentVersionTransitionAfter.toDays()} days`,
            noncurrentVersionExpiration: `${c.importBucket.noncurrentVersionExpiration.toDays()} days`,
            accessLogExpiration: `${c.importBucket.accessLogExpiration.toDays()} days`,
            reportExpiration: `${c.importBucket.reportExpiration.toDays()} days`,
          },
        },
      ];
    }),
  );
}

describe('environments', () => {
  it('matches the reviewed table (update the snapshot only with a reviewed config change)', () => {
    expect(readable()).toMatchSnapshot();
  });

  it('protects prod: Multi-AZ, deletion protection, retained data, termination protection', () => {
    const prod = environments.prod;
    expect(prod.database).toMatchObject({ multiAz: true, deletionProtection: true, removalPolicy: 'retain' });
    expect(prod.importBucket.removalPolicy).toBe('retain');
    expect(prod.alarms.email).toBeTruthy();
    expect(STAGES.filter((s) => environments[s].terminationProtection)).toEqual(['prod']);
  });

  it('pins one PostgreSQL version and distinct accounts everywhere', () => {
    expect(new Set(STAGES.map((s) => environments[s].database.postgresFullVersion)).size).toBe(1);
    expect(new Set(STAGES.map((s) => environments[s].account)).size).toBe(STAGES.length);
    for (const stage of STAGES) {
      const c = environments[stage];
      expect(c.stage).toBe(stage);
      expect(c.database.postgresFullVersion.startsWith(`${c.database.postgresMajorVersion}.`)).toBe(true);
      expect(c.availabilityZones.every((az) => az.startsWith(c.region))).toBe(true);
      expect(c.availabilityZones.length).toBeGreaterThanOrEqual(2);
    }
  });

  it('sizes each Map within the connection budget: mapConcurrency ≤ the step Lambdas\' reserved concurrency, ≤ 1,000 chunks of a 10M-row file', () => {
    for (const stage of STAGES) {
      const { workflow, concurrency } = environments[stage];
      expect(workflow.mapConcurrency, stage).toBeGreaterThanOrEqual(1);
      if (concurrency.steps !== undefined) expect(workflow.mapConcurrency, stage).toBeLessThanOrEqual(concurrency.steps);
      expect(Math.ceil(10_000_000 / workflow.chunkRows), stage).toBeLessThanOrEqual(1000);
    }
  });

  it('reads a stage from context and names the valid ones otherwise', () => {
    expect(parseStage('staging')).toBe('staging');
    expect(() => parseStage(undefined)).toThrow(/-c stage=dev\|staging\|prod/);
    expect(() => parseStage('production')).toThrow(/unknown stage "production"/);
  });
});
