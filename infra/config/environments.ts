import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';

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
  readonly concurrency: {
    /**
     * Reserved concurrency of the trigger Lambda: caps how many imports start at once. Undefined
     * leaves it unreserved (new accounts have too little concurrency to reserve any).
     */
    readonly trigger?: number;
    /** Reserved concurrency of each workflow step Lambda, bounding connections to the RDS Proxy. */
    readonly steps?: number;
  };
  /**
   * The import workflow's chunking, passed by the trigger into each execution's input: raw records
   * per chunk of the LinkRecords and StartDiscovery Maps (one chunk is one Lambda invocation and one
   * transaction; at most 1,000 chunks a file), and how many chunks each Map runs at once. Each
   * running chunk holds one database connection, so mapConcurrency stays within the step Lambdas'
   * reserved concurrency (the connection budget).
   */
  readonly workflow: { readonly chunkRows: number; readonly mapConcurrency: number };
  /** Stateful stack termination protection (prod only). */
  readonly terminationProtection: boolean;
}

const EU_WEST_1_AZS = ['eu-west-1a', 'eu-west-1b'] as const;
const POSTGRES = { postgresFullVersion: '17.9', postgresMajorVersion: '17' } as const;

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
    concurrency: {},
    workflow: { chunkRows: 100_000, mapConcurrency: 4 },
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
    concurrency: { trigger: 5, steps: 10 },
    workflow: { chunkRows: 100_000, mapConcurrency: 8 },
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
    concurrency: { trigger: 10, steps: 25 },
    workflow: { chunkRows: 100_000, mapConcurrency: 20 },
    terminationProtection: true,
  },
};

/** Narrows a context value to a stage, naming the valid ones when it is not. */
export function parseStage(value: unknown): Stage {
  if (typeof value === 'string' && (STAGES as readonly string[]).includes(value)) return value as Stage;
  throw new Error(`unknown stage ${JSON.stringify(value)}: pass -c stage=${STAGES.join('|')}`);
}
