import { LambdaClient } from '@aws-sdk/client-lambda';
import { environments, parseStage } from '../config/environments.ts';
import { lambdaQuotaProblems } from '../config/quota.ts';

// Before `cdk deploy`, with the stage's credentials: `npm run -s preflight -- -c stage=prod`.
// Checks what only the account can tell (docs/operations/aws-checks.md); exits 1 with what to request.
const args = process.argv.slice(2);
const given = args.find((a) => a.startsWith('stage='))?.slice('stage='.length) ?? args[args.indexOf('--stage') + 1];
const config = environments[parseStage(given)];
const problems = await lambdaQuotaProblems(config, new LambdaClient({ region: config.region }));
for (const problem of problems) console.error(`✗ ${problem}`);
if (problems.length) process.exit(1);
console.log(`✓ ${config.stage}: the Lambda concurrency quota holds the reservations`);
