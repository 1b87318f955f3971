import { describe, expect, it } from 'vitest';
import { App } from 'aws-cdk-lib';
import { capacityProblems, connectionBudget } from '../../infra/config/capacity.ts';
import { environments, parseStage, STAGES, type EnvironmentConfig } from '../../infra/config/environments.ts';
import { addFlowlink } from '../../infra/flowlink-app.ts';
import { testContext } from './synth.ts';

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
          lambda: {
            ...c.lambda,
            sizes: Object.fromEntries(
              Object.entries(c.lambda.sizes).map(([id, size]) => [id, `${size.memoryMiB} MB, ${size.timeout.toSeconds()} s${size.ephemeralStorageMiB ? `, /tmp ${size.ephemeralStorageMiB} MB` : ''}`]),
            ),
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

  it("sizes each Map within the connection budget: mapConcurrency ≤ the step Lambdas' reserved concurrency, ≤ 1,000 chunks of a 10M-row file", () => {
    for (const stage of STAGES) {
      const { workflow, lambda } = environments[stage];
      expect(workflow.mapConcurrency, stage).toBeGreaterThanOrEqual(1);
      for (const fn of ['LinkRecords', 'StartDiscovery'] as const) {
        const reserved = lambda.reservedConcurrency[fn];
        if (reserved !== undefined) expect(workflow.mapConcurrency, `${stage} ${fn}`).toBeLessThanOrEqual(reserved);
        else expect(workflow.mapConcurrency, `${stage}: unreserved, within the account's unreserved pool`).toBeLessThanOrEqual(lambda.accountConcurrency);
      }
      expect(Math.ceil(10_000_000 / workflow.chunkRows), stage).toBeLessThanOrEqual(1000);
    }
  });

  it('reads a stage from context and names the valid ones otherwise', () => {
    expect(parseStage('staging')).toBe('staging');
    expect(() => parseStage(undefined)).toThrow(/-c stage=dev\|staging\|prod/);
    expect(() => parseStage('production')).toThrow(/unknown stage "production"/);
  });

  it('reserves no concurrency in dev (a new account has none to reserve), and fits every account and database', () => {
    expect(environments.dev.lambda.reservedConcurrency).toEqual({});
    for (const stage of STAGES) expect(capacityProblems(environments[stage]), stage).toEqual([]);
    // the numbers behind it, reviewed with the config
    expect(Object.fromEntries(STAGES.map((s) => [s, connectionBudget(environments[s])]))).toMatchInlineSnapshot(`
      {
        "dev": {
          "directBudget": 15,
          "directClients": 15,
          "proxyBudget": 60,
          "proxyClients": 10,
          "reservable": -90,
          "reserved": 0,
        },
        "prod": {
          "directBudget": 208,
          "directClients": 9,
          "proxyBudget": 637,
          "proxyClients": 210,
          "reservable": 900,
          "reserved": 214,
        },
        "staging": {
          "directBudget": 43,
          "directClients": 9,
          "proxyBudget": 142,
          "proxyClients": 45,
          "reservable": 900,
          "reserved": 49,
        },
      }
    `);
  });

  it('fails the synth with the reason when reservations exceed the account concurrency minus 100', () => {
    const config: EnvironmentConfig = { ...environments.staging, lambda: { ...environments.staging.lambda, accountConcurrency: 100 } };
    const app = new App({ context: testContext(), builtinCloudFormationValidation: false });
    expect(() => addFlowlink(app, config)).toThrow(/flowlink staging: reserved concurrency 49 \(StoreImport 5, .*\) exceeds the account's 100 minus the 100 Lambda keeps unreserved \(0\)/);
  });

  it('fails when the proxied functions can open more connections than the proxy may, or the direct ones than it leaves', () => {
    const tight: EnvironmentConfig = { ...environments.prod, database: { ...environments.prod.database, maxConnections: 100 } };
    const problems = capacityProblems(tight);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/proxied functions can hold 210 connections but the RDS Proxy may open 75/);
    const greedyProxy: EnvironmentConfig = { ...environments.dev, database: { ...environments.dev.database, proxyMaxConnectionsPercent: 100 } };
    expect(capacityProblems(greedyProxy).join()).toMatch(/direct clients .* can hold 15 connections but max_connections 80 leaves them -5/);
  });
});
