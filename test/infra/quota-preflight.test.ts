import { GetAccountSettingsCommand } from '@aws-sdk/client-lambda';
import { describe, expect, it } from 'vitest';
import { connectionBudget } from '../../infra/config/capacity.ts';
import { environments } from '../../infra/config/environments.ts';
import { lambdaQuotaProblems, type LambdaSettingsClient } from '../../infra/config/quota.ts';

/** Lambda at the SDK boundary: answers GetAccountSettings with the given concurrency quota. */
function lambdaWithQuota(concurrentExecutions: number): LambdaSettingsClient & { sent: unknown[] } {
  const sent: unknown[] = [];
  return {
    sent,
    async send(command) {
      sent.push(command);
      expect(command).toBeInstanceOf(GetAccountSettingsCommand);
      return { AccountLimit: { ConcurrentExecutions: concurrentExecutions, UnreservedConcurrentExecutions: concurrentExecutions } };
    },
  };
}

describe("pre-deploy check of the account's Lambda concurrency quota", () => {
  it('refuses staging and prod in a fresh account (quota 10) and names the quota to request', async () => {
    for (const stage of ['staging', 'prod'] as const) {
      const needed = connectionBudget(environments[stage]).reserved + 100;
      const lambda = lambdaWithQuota(10);
      const problems = await lambdaQuotaProblems(environments[stage], lambda);
      expect(lambda.sent).toHaveLength(1);
      expect(problems.join('\n')).toContain(`at least ${needed}`);
      expect(problems.join('\n')).toContain('L-B99A9384');
    }
  });

  it('passes when the quota holds the reservations plus the 100 Lambda keeps unreserved, and dev (no reservations) anywhere', async () => {
    const prod = environments.prod;
    expect(await lambdaQuotaProblems(prod, lambdaWithQuota(prod.lambda.accountConcurrency))).toEqual([]);
    expect(await lambdaQuotaProblems(environments.dev, lambdaWithQuota(10))).toEqual([]);
  });

  it('refuses an account whose quota is below what the environment declares (the synth checked the declaration only)', async () => {
    const staging = environments.staging;
    const needed = connectionBudget(staging).reserved + 100;
    const problems = await lambdaQuotaProblems(staging, lambdaWithQuota(needed));
    expect(problems.join('\n')).toContain(`declares lambda.accountConcurrency ${staging.lambda.accountConcurrency}`);
  });
});
