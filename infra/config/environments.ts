import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { LAMBDA_IDS, LAMBDAS, type LambdaId } from '../../workflows/steps.ts';

/** The environments flowlink deploys to; `cdk deploy -c stage=<stage>` picks one. */
export const STAGES = ['dev', 'staging', 'prod'] as const;
export type Stage = (typeof STAGES)[number];

/**
 * Everything that differs between environments. Plain data (no constructs), so the whole table is
 * reviewable in one place and pinned by a snapshot test. Secrets never appear here: the database
 * credentials are generated into Secrets Manager by the stateful stack.
 */
export interface EnvironmentConfig {
  readonly stage: Stage;
  /** AWS account id. Placeholders until a team fills in its own; synth needs no credentials. */
  readonly account: string;
  readonly region: string;
  /**
   * The availability zones the VPC spans. Committed here so synth never looks them up (offline,
   * deterministic); they must exist in `region`.
   */
  readonly availabilityZones: readonly string[];
  readonly database: {
    /** RDS instance class, e.g. `t4g.micro` (Graviton, like the Lambdas). */
    readonly instanceType: string;
    /** Pinned engine version: full version and its major, e.g. `17.9` / `17`. */
    readonly postgresFullVersion: string;
    readonly postgresMajorVersion: string;
    readonly allocatedStorageGiB: number;
    readonly maxAllocatedStorageGiB: number;
    readonly multiAz: boolean;
    readonly backupRetention: Duration;
    readonly deletionProtection: boolean;
    /** What CloudFormation does with the instance when it leaves the stack. */
    readonly removalPolicy: RemovalPolicy;
    /**
     * The instance's `max_connections`: RDS's default LEAST(DBInstanceClassMemory/9531392, 5000),
     * taken below the class's nominal memory (RDS reserves some for the OS; measured: 2 GiB → 198,
     * 8 GiB → 856). The proxy and the direct clients must fit in it (capacity.ts).
     */
    readonly maxConnections: number;
    /** The RDS Proxy's share of max_connections (MaxConnectionsPercent); the rest is for direct clients. */
    readonly proxyMaxConnectionsPercent: number;
    /** Performance Insights (top SQL and waits; 7 days at no charge). */
    readonly performanceInsights: boolean;
  };
  readonly importBucket: {
    readonly removalPolicy: RemovalPolicy;
    /** Superseded object versions move to Infrequent Access after this long... */
    readonly noncurrentVersionTransitionAfter: Duration;
    /** ...and are deleted after this long. */
    readonly noncurrentVersionExpiration: Duration;
    /** How long S3 server access logs are kept. */
    readonly accessLogExpiration: Duration;
    /** How long an outcome report (reports/…) is kept after it was last written. */
    readonly reportExpiration: Duration;
  };
  readonly logs: {
    readonly retention: RetentionDays;
    readonly removalPolicy: RemovalPolicy;
  };
  /**
   * EventBridge Scheduler expressions of the daily integrity check (constraints in force prove what
   * they can) and of the weekly deep one (every row read, no constraint trusted), and their time zone.
   */
  readonly integritySchedule: { readonly expression: string; readonly deepExpression: string; readonly timeZone: string };
  readonly alarms: {
    /** E-mail subscribed to the alarm topic; none in dev (the topic still exists for other subscribers). */
    readonly email?: string;
  };
  readonly lambda: {
    /**
     * The account's Lambda concurrency quota in this region (Service Quotas "Concurrent executions",
     * L-B99A9384). New accounts start at 10; Lambda keeps 100 of it unreserved, so the reservations
     * below must add up to at most this minus 100 (synth fails otherwise: infra/config/capacity.ts).
     */
    readonly accountConcurrency: number;
    /**
     * Reserved concurrency per function: it reserves and caps. The caps bound the connections the
     * functions open (each container holds one), so they must fit the database (capacity.ts).
     * None in an account at the new-account quota.
     */
    readonly reservedConcurrency: Partial<Record<FunctionId, number>>;
    /** Memory and timeout per function, from measured need (docs/operations/deploy.md: Lambda sizes). */
    readonly sizes: Record<FunctionId, LambdaSize>;
  };
  /** StoreImport refuses a larger object before reading it; its /tmp is sized to spool one. */
  readonly maxImportObjectBytes: number;
  /**
   * The import workflow's chunking, passed by the trigger into each execution's input: raw records
   * per chunk of the LinkRecords and StartDiscovery Maps (one chunk is one Lambda invocation and one
   * transaction; at most 1,000 chunks a file), and how many chunks each Map runs at once. Each
   * running chunk holds one database connection, so mapConcurrency stays within the step Lambdas'
   * reserved concurrency (the connection budget). 50,000 rows keep the longest invocation (a
   * DiscoverChunk) within 60 s even with four chunks sharing two vCPUs (docs/performance.md: large drops).
   * maxRejectedRowsPercent: more rejected rows than this share of a file fail its import after
   * storing (docs/row-outcome.md); also passed into each execution's input.
   */
  readonly workflow: { readonly chunkRows: number; readonly mapConcurrency: number; readonly maxRejectedRowsPercent: number };
  /** Stateful stack termination protection (prod only). */
  readonly terminationProtection: boolean;
}

/** Every Lambda of an environment, by its construct id in the stateless stack (workflows/steps.ts). */
export const FUNCTION_IDS: readonly LambdaId[] = LAMBDA_IDS;
export type FunctionId = LambdaId;

/** The functions that connect to PostgreSQL directly (advisory locks, long sessions); the others go through the RDS Proxy. */
export const DIRECT_CLIENTS: readonly FunctionId[] = ['Backfill', 'Retract', 'IntegrityCheck', 'Migrations'];

export interface LambdaSize {
  /** 1769 MB is one full vCPU; Lambda's CPU share is proportional to memory. */
  readonly memoryMiB: number;
  /** The Lambda's timeout; each Task of the workflow waits at most this long (TimeoutSeconds ≤ it). */
  readonly timeout: Duration;
  /** /tmp, when the function spools more than the default 512 MB. */
  readonly ephemeralStorageMiB?: number;
}

/** The largest object StoreImport accepts: 1 GiB (≈ 7M CSV rows of 150 bytes, ~150 s at the benchmarked 47k rows/s). */
const MAX_IMPORT_OBJECT_BYTES = 1024 ** 3;

/**
 * Sizes from the step contract (workflows/steps.ts, where each is justified). The same in every
 * environment: the work per import does not depend on the stage.
 */
export const LAMBDA_SIZES = Object.fromEntries(
  LAMBDA_IDS.map((id) => [
    id,
    {
      memoryMiB: LAMBDAS[id].memoryMiB,
      timeout: Duration.seconds(LAMBDAS[id].timeoutS),
      // StoreImport spools workbooks to /tmp whole
      ...(id === 'StoreImport' ? { ephemeralStorageMiB: Math.ceil(MAX_IMPORT_OBJECT_BYTES / 1024 ** 2) + 512 } : {}),
    },
  ]),
) as Record<FunctionId, LambdaSize>;

const EU_WEST_1_AZS = ['eu-west-1a', 'eu-west-1b'] as const;
const POSTGRES = { postgresFullVersion: '17.9', postgresMajorVersion: '17' } as const;

/** The same reservation for each workflow step Lambda. */
function steps(n: number): Partial<Record<FunctionId, number>> {
  return Object.fromEntries(LAMBDA_IDS.filter((id) => 'tasks' in LAMBDAS[id]).map((id) => [id, n]));
}

export const environments: Record<Stage, EnvironmentConfig> = {
  dev: {
    stage: 'dev',
    account: '111111111111',
    region: 'eu-west-1',
    availabilityZones: EU_WEST_1_AZS,
    database: {
      instanceType: 't4g.micro',
      ...POSTGRES,
      allocatedStorageGiB: 20,
      maxAllocatedStorageGiB: 50,
      multiAz: false,
      backupRetention: Duration.days(1),
      deletionProtection: false,
      removalPolicy: RemovalPolicy.DESTROY,
      maxConnections: 80,
      proxyMaxConnectionsPercent: 75,
      performanceInsights: false,
    },
    importBucket: {
      removalPolicy: RemovalPolicy.DESTROY,
      noncurrentVersionTransitionAfter: Duration.days(30),
      noncurrentVersionExpiration: Duration.days(60),
      accessLogExpiration: Duration.days(30),
      reportExpiration: Duration.days(30),
    },
    logs: { retention: RetentionDays.ONE_WEEK, removalPolicy: RemovalPolicy.DESTROY },
    integritySchedule: { expression: 'cron(0 6 * * ? *)', deepExpression: 'cron(30 6 ? * SUN *)', timeZone: 'Europe/London' },
    alarms: {},
    // a new account: 10 concurrent executions, nothing can be reserved
    lambda: { accountConcurrency: 10, reservedConcurrency: {}, sizes: LAMBDA_SIZES },
    maxImportObjectBytes: MAX_IMPORT_OBJECT_BYTES,
    workflow: { chunkRows: 50_000, mapConcurrency: 4, maxRejectedRowsPercent: 10 },
    terminationProtection: false,
  },
  staging: {
    stage: 'staging',
    account: '222222222222',
    region: 'eu-west-1',
    availabilityZones: EU_WEST_1_AZS,
    database: {
      instanceType: 't4g.small',
      ...POSTGRES,
      allocatedStorageGiB: 50,
      maxAllocatedStorageGiB: 200,
      multiAz: false,
      backupRetention: Duration.days(7),
      deletionProtection: false,
      removalPolicy: RemovalPolicy.SNAPSHOT,
      maxConnections: 190,
      proxyMaxConnectionsPercent: 75,
      performanceInsights: false,
    },
    importBucket: {
      removalPolicy: RemovalPolicy.RETAIN,
      noncurrentVersionTransitionAfter: Duration.days(30),
      noncurrentVersionExpiration: Duration.days(90),
      accessLogExpiration: Duration.days(90),
      reportExpiration: Duration.days(180),
    },
    logs: { retention: RetentionDays.ONE_MONTH, removalPolicy: RemovalPolicy.DESTROY },
    integritySchedule: { expression: 'cron(0 5 * * ? *)', deepExpression: 'cron(30 5 ? * SUN *)', timeZone: 'Europe/London' },
    alarms: { email: 'flowlink-staging-alarms@example.com' },
    lambda: {
      accountConcurrency: 1000,
      reservedConcurrency: {
        ...steps(5),
        Trigger: 5,
        // one at a time: two backfills or migrations never race (their advisory locks are the second guard)
        Backfill: 1,
        Retract: 1,
        Migrations: 1,
        IntegrityCheck: 1,
      },
      sizes: LAMBDA_SIZES,
    },
    maxImportObjectBytes: MAX_IMPORT_OBJECT_BYTES,
    // each running chunk holds a connection: the Maps stay within the step Lambdas' reservation (5)
    workflow: { chunkRows: 50_000, mapConcurrency: 5, maxRejectedRowsPercent: 10 },
    terminationProtection: false,
  },
  prod: {
    stage: 'prod',
    account: '333333333333',
    region: 'eu-west-1',
    availabilityZones: ['eu-west-1a', 'eu-west-1b', 'eu-west-1c'],
    database: {
      instanceType: 'm7g.large',
      ...POSTGRES,
      allocatedStorageGiB: 100,
      maxAllocatedStorageGiB: 1000,
      multiAz: true,
      backupRetention: Duration.days(30),
      deletionProtection: true,
      removalPolicy: RemovalPolicy.RETAIN,
      maxConnections: 850,
      proxyMaxConnectionsPercent: 75,
      performanceInsights: true,
    },
    importBucket: {
      removalPolicy: RemovalPolicy.RETAIN,
      noncurrentVersionTransitionAfter: Duration.days(30),
      noncurrentVersionExpiration: Duration.days(365),
      accessLogExpiration: Duration.days(365),
      reportExpiration: Duration.days(400),
    },
    logs: { retention: RetentionDays.ONE_YEAR, removalPolicy: RemovalPolicy.RETAIN },
    integritySchedule: { expression: 'cron(0 4 * * ? *)', deepExpression: 'cron(30 4 ? * SUN *)', timeZone: 'Europe/London' },
    alarms: { email: 'flowlink-oncall@example.com' },
    lambda: {
      accountConcurrency: 1000,
      reservedConcurrency: { ...steps(25), Trigger: 10, Backfill: 1, Retract: 1, Migrations: 1, IntegrityCheck: 1 },
      sizes: LAMBDA_SIZES,
    },
    maxImportObjectBytes: MAX_IMPORT_OBJECT_BYTES,
    workflow: { chunkRows: 50_000, mapConcurrency: 20, maxRejectedRowsPercent: 10 },
    terminationProtection: true,
  },
};

/** Narrows a context value to a stage, naming the valid ones when it is not. */
export function parseStage(value: unknown): Stage {
  if (typeof value === 'string' && (STAGES as readonly string[]).includes(value)) return value as Stage;
  throw new Error(`unknown stage ${JSON.stringify(value)}: pass -c stage=${STAGES.join('|')}`);
}
