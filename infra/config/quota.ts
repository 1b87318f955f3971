import { GetAccountSettingsCommand, type GetAccountSettingsCommandOutput } from '@aws-sdk/client-lambda';
import { connectionBudget, UNRESERVED_CONCURRENCY } from './capacity.ts';
import type { EnvironmentConfig } from './environments.ts';

/** The Lambda client's one call the check makes (faked in tests at this boundary). */
export interface LambdaSettingsClient {
  send(command: GetAccountSettingsCommand): Promise<Pick<GetAccountSettingsCommandOutput, 'AccountLimit'>>;
}

/**
 * What the account's real Lambda concurrency quota says about deploying `config`, in words; empty
 * when it fits. The synth checks the reservations against the declared
 * `lambda.accountConcurrency` only (offline); this asks Lambda (GetAccountSettings) before a deploy:
 * a fresh account's quota is 10, and CloudFormation would fail on the first function with a
 * reservation, after creating half the stack.
 */
export async function lambdaQuotaProblems(config: EnvironmentConfig, lambda: LambdaSettingsClient): Promise<string[]> {
  const { AccountLimit } = await lambda.send(new GetAccountSettingsCommand({}));
  const quota = AccountLimit?.ConcurrentExecutions;
  if (quota === undefined) return [`${config.stage}: Lambda GetAccountSettings returned no ConcurrentExecutions for account ${config.account} in ${config.region}`];
  const { reserved } = connectionBudget(config);
  const needed = reserved + UNRESERVED_CONCURRENCY;
  const problems: string[] = [];
  const where = `account ${config.account} in ${config.region}`;
  if (reserved > 0 && quota < needed) {
    problems.push(
      `${config.stage}: the Lambda concurrency quota of ${where} is ${quota}, but ${config.stage} reserves ${reserved} and Lambda keeps ` +
        `${UNRESERVED_CONCURRENCY} unreserved: request at least ${needed} (Service Quotas L-B99A9384: aws service-quotas ` +
        `request-service-quota-increase --service-code lambda --quota-code L-B99A9384 --desired-value ${needed} --region ${config.region})`,
    );
  }
  if (quota < config.lambda.accountConcurrency) {
    problems.push(
      `${config.stage}: infra/config/environments.ts declares lambda.accountConcurrency ${config.lambda.accountConcurrency}, but the quota of ` +
        `${where} is ${quota}: declare the real quota (the connection budget is computed from it) or raise the quota`,
    );
  }
  return problems;
}
