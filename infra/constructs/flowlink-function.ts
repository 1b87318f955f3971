import { Duration, type RemovalPolicy, Size, Validations } from 'aws-cdk-lib';
import type { ISecurityGroup, IVpc } from 'aws-cdk-lib/aws-ec2';
import { SubnetType } from 'aws-cdk-lib/aws-ec2';
import { Architecture, Runtime } from 'aws-cdk-lib/aws-lambda';
import { type ICommandHooks, NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import { METRICS } from '../../workflows/metrics.ts';
import { cdkBundling, handlerEntry, type LambdaName, PROJECT_ROOT } from './bundling.ts';

/** Where a function runs and how long its logs live. */
export interface FlowlinkFunctionProps {
  /** The Lambda's folder under functions/; its entry is `functions/<name>/handler.ts`. */
  readonly name: LambdaName;
  readonly description: string;
  readonly vpc: IVpc;
  /** The security group the database and the RDS Proxy admit. */
  readonly securityGroup: ISecurityGroup;
  readonly environment?: Record<string, string>;
  /** @default 1 minute */
  readonly timeout?: Duration;
  /** @default 512 MiB */
  readonly memorySize?: number;
  /** /tmp in MiB. @default 512 */
  readonly ephemeralStorageMiB?: number;
  readonly reservedConcurrentExecutions?: number;
  readonly deadLetterQueue?: IQueue;
  readonly logRetention: RetentionDays;
  readonly logRemovalPolicy: RemovalPolicy;
  /** Extra bundling commands, e.g. copying files the function reads at run time. */
  readonly commandHooks?: ICommandHooks;
}

/**
 * A flowlink Lambda with the house defaults: Node.js 24 on ARM64, ESM bundled and minified by the
 * local esbuild (no Docker; the same options as the bundle-size benchmark), source maps, the AWS
 * SDK left to the runtime, isolated subnets of the VPC, and a log group of its own with a retention.
 *
 * @example
 * new FlowlinkFunction(this, 'LinkRecords', { name: 'link-records', description: 'Links raw records', vpc, securityGroup, logRetention, logRemovalPolicy });
 */
export class FlowlinkFunction extends NodejsFunction {
  constructor(scope: Construct, id: string, props: FlowlinkFunctionProps) {
    // created beside the function (not inside it): a subclass cannot own children before super()
    const logGroup = new LogGroup(scope, `${id}LogGroup`, { retention: props.logRetention, removalPolicy: props.logRemovalPolicy });
    super(scope, id, {
      entry: handlerEntry(props.name),
      handler: 'handler',
      description: props.description,
      runtime: Runtime.NODEJS_24_X,
      architecture: Architecture.ARM_64,
      projectRoot: PROJECT_ROOT,
      depsLockFilePath: `${PROJECT_ROOT}/package-lock.json`,
      bundling: cdkBundling(props.commandHooks ? { commandHooks: props.commandHooks } : {}),
      vpc: props.vpc,
      vpcSubnets: { subnetType: SubnetType.PRIVATE_ISOLATED },
      securityGroups: [props.securityGroup],
      logGroup,
      timeout: props.timeout ?? Duration.minutes(1),
      memorySize: props.memorySize ?? 512,
      ephemeralStorageSize: props.ephemeralStorageMiB ? Size.mebibytes(props.ephemeralStorageMiB) : undefined,
      reservedConcurrentExecutions: props.reservedConcurrentExecutions,
      deadLetterQueue: props.deadLetterQueue,
      environment: {
        NODE_OPTIONS: '--enable-source-maps',
        POWERTOOLS_SERVICE_NAME: METRICS.serviceName,
        POWERTOOLS_METRICS_NAMESPACE: METRICS.namespace,
        ...props.environment,
      },
    });
    Validations.of(this).acknowledge(
      {
        id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
        reason: 'AWS-maintained policy granting only CloudWatch Logs writes; the function writes to its own log group.',
      },
      {
        id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole]',
        reason: 'AWS-maintained policy granting the ENI management every VPC Lambda needs (those EC2 actions support no resource scoping).',
      },
    );
  }
}
