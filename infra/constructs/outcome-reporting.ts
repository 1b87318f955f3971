import { Stack, Validations } from 'aws-cdk-lib';
import { type IGrantable, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import type { IBucket } from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { EVENT_SOURCE, REPORT_PREFIX } from '../../workflows/report.ts';

export interface OutcomeReportingProps {
  /** The import bucket: reports are written beside the drops, under reports/. */
  readonly importBucket: IBucket;
  /** The name cdk-nag shows for the bucket's ARN (the parameter that reads it from SSM), to acknowledge `reports/*`. */
  readonly importBucketArnName: string;
  /** report-outcome (the ReportSucceeded/ReportFailed states' Lambda). */
  readonly reportFunction: IFunction;
  /** The import state machine, whose PublishSucceeded/PublishFailed states put the outcome events. */
  readonly stateMachine: IGrantable;
}

/**
 * The permissions of the outcome report and event, and nothing more.
 *
 * Primary course:
 * 1. report-outcome may PutObject under `reports/*` of the import bucket only: it can neither read
 *    a drop nor write under `imports/` (which would start an import).
 * 2. The state machine may PutEvents on the default bus only with `events:source = flowlink`.
 *
 * @example
 * new OutcomeReporting(this, 'OutcomeReporting', { importBucket, importBucketArnName, reportFunction, stateMachine });
 */
export class OutcomeReporting extends Construct {
  constructor(scope: Construct, id: string, props: OutcomeReportingProps) {
    super(scope, id);
    const reports = props.importBucket.arnForObjects(`${REPORT_PREFIX}*`);
    props.reportFunction.addToRolePolicy(new PolicyStatement({ actions: ['s3:PutObject'], resources: [reports] }));
    Validations.of(props.reportFunction).acknowledge({
      id: `AwsSolutions-IAM5[Resource::${props.importBucketArnName}/${REPORT_PREFIX}*]`,
      reason: 'report-outcome writes one report per dropped object version under reports/ of the import bucket; the key is only known at run time.',
    });

    const stack = Stack.of(this);
    const defaultBus = stack.formatArn({ service: 'events', resource: 'event-bus', resourceName: 'default' });
    props.stateMachine.grantPrincipal.addToPrincipalPolicy(
      new PolicyStatement({
        actions: ['events:PutEvents'],
        resources: [defaultBus],
        conditions: { StringEquals: { 'events:source': EVENT_SOURCE } },
      }),
    );
  }
}
