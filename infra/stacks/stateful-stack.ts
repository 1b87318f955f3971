import { ArnFormat, RemovalPolicy, Stack, type StackProps, Validations } from 'aws-cdk-lib';
import {
  FlowLogDestination,
  FlowLogTrafficType,
  GatewayVpcEndpointAwsService,
  InstanceType,
  InterfaceVpcEndpointAwsService,
  IpAddresses,
  Port,
  SecurityGroup,
  SubnetType,
  Vpc,
} from 'aws-cdk-lib/aws-ec2';
import { PolicyStatement, type Role } from 'aws-cdk-lib/aws-iam';
import { LogGroup } from 'aws-cdk-lib/aws-logs';
import { StringParameter } from 'aws-cdk-lib/aws-ssm';
import { Credentials, DatabaseInstance, DatabaseInstanceEngine, type DatabaseProxy, DatabaseSecret, DefaultAuthScheme, ParameterGroup, PostgresEngineVersion, StorageType } from 'aws-cdk-lib/aws-rds';
import type { ISecret } from 'aws-cdk-lib/aws-secretsmanager';
import type { Bucket } from 'aws-cdk-lib/aws-s3';
import type { Construct } from 'constructs';
import { ROLES } from '../../db/schema/access.ts';
import type { EnvironmentConfig, Stage } from '../config/environments.ts';
import { ImportBucket } from '../constructs/import-bucket.ts';

export interface StatefulStackProps extends StackProps {
  readonly config: EnvironmentConfig;
}

/** The database every Lambda connects to, under this name. */
export const DATABASE_NAME = 'flowlink';

/** The RDS Proxy's name: physical names carry the stage, so stages can share an account and region. */
export const proxyName = (stage: Stage) => `flowlink-${stage}-proxy`;

/**
 * What the stateless stack reads from the stateful one, as SSM parameters (`/flowlink/<stage>/…`)
 * rather than CloudFormation exports: an export in use blocks replacing what it exports (the
 * database, the proxy); a parameter is re-read by the next deploy of the stateless stack.
 */
export const SHARED_PARAMETERS = [
  'vpc-id',
  'database-clients-security-group-id',
  'database-secret-arn',
  'database-endpoint',
  'database-instance-id',
  'database-resource-id',
  'proxy-endpoint',
  'proxy-arn',
  'import-bucket-arn',
] as const;
export type SharedParameter = (typeof SHARED_PARAMETERS)[number] | `isolated-subnet-${number}`;
export const parameterName = (stage: Stage, name: SharedParameter) => `/flowlink/${stage}/${name}`;

/**
 * Everything that holds data or is costly to recreate: the VPC, PostgreSQL with its credentials and
 * RDS Proxy, the import bucket. Its construct ids are pinned by test/infra/logical-ids.test.ts:
 * renaming one would make CloudFormation replace (and so empty) the resource.
 */
export class StatefulStack extends Stack {
  readonly vpc: Vpc;
  /** Lambdas in this group reach the database, the proxy and the VPC endpoints. */
  readonly databaseClients: SecurityGroup;
  readonly database: DatabaseInstance;
  /** The credentials (host, port, dbname attached), as the Lambdas read them. */
  readonly databaseSecret: ISecret;
  readonly proxy: DatabaseProxy;
  readonly importBucket: Bucket;
  private readonly zones: readonly string[];

  constructor(scope: Construct, id: string, props: StatefulStackProps) {
    const { config } = props;
    super(scope, id, { ...props, terminationProtection: config.terminationProtection });
    this.zones = config.availabilityZones;

    const flowLogs = new LogGroup(this, 'VpcFlowLogs', { retention: config.logs.retention, removalPolicy: config.logs.removalPolicy });
    this.vpc = new Vpc(this, 'Vpc', {
      ipAddresses: IpAddresses.cidr('10.40.0.0/16'),
      maxAzs: config.availabilityZones.length,
      // no NAT: isolated subnets, and VPC endpoints for every AWS API the Lambdas call
      natGateways: 0,
      subnetConfiguration: [{ name: 'isolated', subnetType: SubnetType.PRIVATE_ISOLATED, cidrMask: 22 }],
      flowLogs: { all: { trafficType: FlowLogTrafficType.ALL, destination: FlowLogDestination.toCloudWatchLogs(flowLogs) } },
    });
    Validations.of(this.vpc).acknowledge({
      id: 'CloudFormation-Validate::W3010',
      reason: 'The zones are committed in infra/config/environments.ts on purpose: synth stays offline and deterministic (no lookup).',
    });
    const isolated = { subnetType: SubnetType.PRIVATE_ISOLATED };
    this.vpc.addGatewayEndpoint('S3Endpoint', { service: GatewayVpcEndpointAwsService.S3, subnets: [isolated] });
    // Only the APIs the code calls (each interface endpoint is billed per zone): Step Functions
    // (the trigger's StartExecution) and Secrets Manager (the database secret). Logs and EMF metrics
    // leave through the Lambda service, not the function's network.
    const interfaceEndpoints = {
      StepFunctionsEndpoint: InterfaceVpcEndpointAwsService.STEP_FUNCTIONS,
      SecretsManagerEndpoint: InterfaceVpcEndpointAwsService.SECRETS_MANAGER,
    };
    this.databaseClients = new SecurityGroup(this, 'DatabaseClients', {
      vpc: this.vpc,
      description: 'flowlink Lambdas: reach PostgreSQL, the RDS Proxy and the VPC endpoints',
      allowAllOutbound: true,
    });
    // the endpoints admit HTTPS from the Lambdas only, not from the whole VPC
    const endpointsGroup = new SecurityGroup(this, 'EndpointsSecurityGroup', { vpc: this.vpc, description: 'flowlink VPC endpoints', allowAllOutbound: false });
    endpointsGroup.addIngressRule(this.databaseClients, Port.tcp(443), 'flowlink Lambdas to AWS APIs');
    for (const [endpointId, service] of Object.entries(interfaceEndpoints)) {
      this.vpc.addInterfaceEndpoint(endpointId, { service, subnets: isolated, privateDnsEnabled: true, securityGroups: [endpointsGroup], open: false });
    }
    const databaseGroup = new SecurityGroup(this, 'DatabaseSecurityGroup', { vpc: this.vpc, description: 'flowlink PostgreSQL', allowAllOutbound: false });
    const proxyGroup = new SecurityGroup(this, 'ProxySecurityGroup', { vpc: this.vpc, description: 'flowlink RDS Proxy', allowAllOutbound: false });

    const secret = new DatabaseSecret(this, 'DatabaseSecret', { username: 'flowlink' });
    // the password lives as long as the database: kept with a retained instance and with the
    // snapshot a removed one leaves (a secret has no snapshot), deleted only with a destroyed one
    secret.applyRemovalPolicy(config.database.removalPolicy === RemovalPolicy.DESTROY ? RemovalPolicy.DESTROY : RemovalPolicy.RETAIN);
    const engine = DatabaseInstanceEngine.postgres({
      version: PostgresEngineVersion.of(config.database.postgresFullVersion, config.database.postgresMajorVersion),
    });
    // a group of our own from the start: moving off the default group later needs a reboot
    const parameterGroup = new ParameterGroup(this, 'DatabaseParameters', {
      engine,
      description: `flowlink ${config.stage} PostgreSQL`,
      // slow statements reach the exported postgresql log
      parameters: { log_min_duration_statement: '5000' },
    });
    this.database = new DatabaseInstance(this, 'Database', {
      engine,
      parameterGroup,
      cloudwatchLogsExports: ['postgresql'],
      cloudwatchLogsRetention: config.logs.retention,
      enablePerformanceInsights: config.database.performanceInsights,
      // pinned: a minor upgrade is a reviewed change of the config, not a maintenance-window surprise
      autoMinorVersionUpgrade: false,
      instanceType: new InstanceType(config.database.instanceType),
      vpc: this.vpc,
      vpcSubnets: isolated,
      securityGroups: [databaseGroup],
      credentials: Credentials.fromSecret(secret),
      databaseName: DATABASE_NAME,
      storageEncrypted: true,
      storageType: StorageType.GP3,
      allocatedStorage: config.database.allocatedStorageGiB,
      maxAllocatedStorage: config.database.maxAllocatedStorageGiB,
      multiAz: config.database.multiAz,
      backupRetention: config.database.backupRetention,
      deletionProtection: config.database.deletionProtection,
      removalPolicy: config.database.removalPolicy,
      publiclyAccessible: false,
      // the functions log in as their database roles with IAM tokens (docs/security.md): no password in any function
      iamAuthentication: true,
    });
    this.databaseSecret = this.database.secret!;
    // addProxy also opens proxy → instance on the database port, both ways (ingress on the instance's
    // group, egress on the proxy's): adding either again would be a duplicate rule, which EC2 refuses
    this.proxy = this.database.addProxy('Proxy', {
      dbProxyName: proxyName(config.stage),
      secrets: [this.databaseSecret],
      vpc: this.vpc,
      vpcSubnets: isolated,
      securityGroups: [proxyGroup],
      requireTLS: true,
      // clients authenticate with IAM tokens only, and the proxy logs in to the database with IAM as the
      // same role (end to end); the master secret stays for the migrations' direct connection
      iamAuth: true,
      defaultAuthScheme: DefaultAuthScheme.IAM_AUTH,
      // the rest of max_connections is for the direct clients (migrations, backfill, integrity check, operators)
      maxConnectionsPercent: config.database.proxyMaxConnectionsPercent,
    });
    // end-to-end IAM: the proxy itself connects to the instance as the role its client asked for
    const proxyRole = this.proxy.node.findChild('IAMRole') as Role;
    proxyRole.addToPrincipalPolicy(
      new PolicyStatement({
        actions: ['rds-db:connect'],
        resources: [this.formatArn({ service: 'rds-db', resource: 'dbuser', resourceName: `${this.database.instanceResourceId}/${ROLES.app}`, arnFormat: ArnFormat.COLON_RESOURCE_NAME })],
      }),
    );
    // migrations, backfill and the integrity check connect directly (advisory locks pin proxy sessions)
    this.database.connections.allowDefaultPortFrom(this.databaseClients, 'flowlink Lambdas to PostgreSQL');
    proxyGroup.addIngressRule(this.databaseClients, Port.tcp(5432), 'flowlink Lambdas to the RDS Proxy');

    this.importBucket = new ImportBucket(this, 'ImportBucket', config.importBucket).bucket;

    const share = (name: SharedParameter, value: string) =>
      new StringParameter(this, `Shared-${name}`, { parameterName: parameterName(config.stage, name), stringValue: value, description: `flowlink ${config.stage}: ${name}` });
    share('vpc-id', this.vpc.vpcId);
    for (const [i, subnet] of this.vpc.isolatedSubnets.entries()) share(`isolated-subnet-${i}`, subnet.subnetId);
    share('database-clients-security-group-id', this.databaseClients.securityGroupId);
    share('database-secret-arn', this.databaseSecret.secretArn);
    share('database-endpoint', this.database.dbInstanceEndpointAddress);
    share('database-instance-id', this.database.instanceIdentifier);
    // the DbiResourceId an rds-db:connect grant names (always set on an instance this stack creates)
    share('database-resource-id', this.database.instanceResourceId!);
    share('proxy-endpoint', this.proxy.endpoint);
    share('proxy-arn', this.proxy.dbProxyArn);
    share('import-bucket-arn', this.importBucket.bucketArn);

    this.acknowledgeFindings(config, secret);
  }

  /** The configured zones: synth never asks AWS for them (offline, deterministic). */
  override get availabilityZones(): string[] {
    return [...this.zones];
  }

  private acknowledgeFindings(config: EnvironmentConfig, secret: DatabaseSecret): void {
    // the CDK's singleton behind eventBridgeEnabled, which turns on the bucket's EventBridge notifications
    const notifications = this.node.tryFindChild('BucketNotificationsHandler050a0587b7544547bf325f094a3db834');
    if (notifications) {
      Validations.of(notifications).acknowledge({
        id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
        reason: 'CDK-owned handler that configures the bucket notification once per deploy: AWS-maintained logging policy.',
      });
    }
    // the CDK's singleton behind cloudwatchLogsRetention, which sets the retention of the exported postgresql log
    const logRetention = this.node.tryFindChild('LogRetentionaae0aa3c5b4d4f87b02d85b201efdd8a');
    if (logRetention) {
      Validations.of(logRetention).acknowledge({
        id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
        reason: "CDK-owned handler that sets the RDS log group's retention once per deploy: AWS-maintained logging policy.",
      });
      Validations.of(logRetention).acknowledge({
        id: 'AwsSolutions-IAM5[Resource::*]',
        reason: 'CDK-owned handler: logs:PutRetentionPolicy/DeleteRetentionPolicy on the log group RDS creates, whose name is not known before the instance exists.',
      });
    }
    Validations.of(secret).acknowledge({
      id: 'AwsSolutions-SMG4',
      reason:
        'Not rotated yet: the Lambdas read the password once per container and keep their connection; a rotation would break ' +
        'warm containers at their next reconnect. Rotation comes with a reconnect that re-reads the secret.',
    });
    Validations.of(this.database).acknowledge({
      id: 'AwsSolutions-RDS11',
      reason: 'The default port is kept: the instance sits in isolated subnets behind security groups, a different port adds no protection.',
    });
    if (!config.database.multiAz) {
      Validations.of(this.database).acknowledge({
        id: 'AwsSolutions-RDS3',
        reason: `Single-AZ in ${config.stage}: a non-production database, restored from backups if its zone fails; prod is Multi-AZ.`,
      });
    }
    if (!config.database.deletionProtection) {
      Validations.of(this.database).acknowledge({
        id: 'AwsSolutions-RDS10',
        reason: `No deletion protection in ${config.stage}, so the environment can be torn down; prod has it.`,
      });
    }
  }
}
