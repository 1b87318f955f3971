import { Duration, TimeZone } from 'aws-cdk-lib';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { Schedule, ScheduleExpression } from 'aws-cdk-lib/aws-scheduler';
import { LambdaInvoke } from 'aws-cdk-lib/aws-scheduler-targets';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';

export interface IntegrityCheckScheduleProps {
  /** The integrity-check Lambda. */
  readonly function: IFunction;
  /** EventBridge Scheduler expression, e.g. `cron(0 4 * * ? *)`. */
  readonly expression: string;
  /** IANA time zone the expression is read in. */
  readonly timeZone: string;
  /** Receives the invocations Scheduler could not deliver. */
  readonly deadLetterQueue: IQueue;
}

/**
 * Runs the full integrity check on a schedule (EventBridge Scheduler), retrying delivery twice.
 *
 * @example
 * new IntegrityCheckSchedule(this, 'IntegritySchedule', { function: integrityCheck, expression: 'cron(0 4 * * ? *)', timeZone: 'Europe/London', deadLetterQueue });
 */
export class IntegrityCheckSchedule extends Construct {
  readonly schedule: Schedule;

  constructor(scope: Construct, id: string, props: IntegrityCheckScheduleProps) {
    super(scope, id);
    this.schedule = new Schedule(this, 'Schedule', {
      description: 'flowlink: daily integrity check of the whole database',
      schedule: ScheduleExpression.expression(props.expression, TimeZone.of(props.timeZone)),
      target: new LambdaInvoke(props.function, { retryAttempts: 2, maxEventAge: Duration.hours(1), deadLetterQueue: props.deadLetterQueue }),
    });
  }
}
