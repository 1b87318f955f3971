import { Duration, TimeZone } from 'aws-cdk-lib';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { Schedule, ScheduleExpression, ScheduleTargetInput } from 'aws-cdk-lib/aws-scheduler';
import { LambdaInvoke } from 'aws-cdk-lib/aws-scheduler-targets';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';

export interface IntegrityCheckScheduleProps {
  /** The integrity-check Lambda. */
  readonly function: IFunction;
  /** EventBridge Scheduler expression of the daily check, e.g. `cron(0 4 * * ? *)`. */
  readonly expression: string;
  /** Expression of the deep check (every row read, no constraint trusted), e.g. weekly `cron(30 4 ? * SUN *)`. */
  readonly deepExpression: string;
  /** IANA time zone the expression is read in. */
  readonly timeZone: string;
  /** Receives the invocations Scheduler could not deliver. */
  readonly deadLetterQueue: IQueue;
}

/**
 * Runs the full integrity check on a schedule (EventBridge Scheduler), retrying delivery twice: the
 * daily one, where validated and enforced foreign keys prove what they can, and a deep one that reads
 * every row (it also finds rows written while enforcement was off, e.g. by a replica-role restore).
 *
 * @example
 * new IntegrityCheckSchedule(this, 'IntegritySchedule', { function: integrityCheck, expression: 'cron(0 4 * * ? *)', deepExpression: 'cron(30 4 ? * SUN *)', timeZone: 'Europe/London', deadLetterQueue });
 */
export class IntegrityCheckSchedule extends Construct {
  readonly schedule: Schedule;
  readonly deepSchedule: Schedule;

  constructor(scope: Construct, id: string, props: IntegrityCheckScheduleProps) {
    super(scope, id);
    this.schedule = new Schedule(this, 'Schedule', {
      description: 'flowlink: daily integrity check of the whole database',
      schedule: ScheduleExpression.expression(props.expression, TimeZone.of(props.timeZone)),
      target: new LambdaInvoke(props.function, { retryAttempts: 2, maxEventAge: Duration.hours(1), deadLetterQueue: props.deadLetterQueue }),
    });
    this.deepSchedule = new Schedule(this, 'DeepSchedule', {
      description: 'flowlink: weekly deep integrity check (every row read, no constraint trusted)',
      schedule: ScheduleExpression.expression(props.deepExpression, TimeZone.of(props.timeZone)),
      target: new LambdaInvoke(props.function, {
        input: ScheduleTargetInput.fromObject({ deep: true }),
        retryAttempts: 2,
        maxEventAge: Duration.hours(1),
        deadLetterQueue: props.deadLetterQueue,
      }),
    });
  }
}
